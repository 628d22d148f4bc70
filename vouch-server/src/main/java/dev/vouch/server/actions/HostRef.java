package dev.vouch.server.actions;

import java.util.Objects;

/**
 * The identity of a host as the node locator sees it.
 *
 * @param hostId the enrolled host id (the value a node label may carry)
 * @param hostName the host name the agent reported (the node name usually equals it)
 */
public record HostRef(String hostId, String hostName) {
  public HostRef {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(hostName, "hostName");
  }
}
