package dev.vouch.server.aas;

import java.util.Set;

/**
 * Who made an admin request, as the AAS authenticated it.
 *
 * @param account the account name
 * @param roles its roles at the time of the request
 * @param permissions what those roles allow
 * @param credential how it authenticated: {@code jwt:<jti>} or {@code apikey:<id>} (never the
 *     secret)
 */
public record Principal(
    String account, Set<String> roles, Set<Permission> permissions, String credential) {
  public Principal {
    roles = Set.copyOf(roles);
    permissions = Set.copyOf(permissions);
  }

  public boolean may(Permission p) {
    return permissions.contains(p);
  }
}
