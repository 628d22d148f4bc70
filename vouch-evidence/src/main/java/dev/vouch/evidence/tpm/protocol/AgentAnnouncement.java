package dev.vouch.evidence.tpm.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.VerificationException;
import java.util.Set;

/**
 * What a trust agent publishes when it starts ({@code vouch.agent.<hostId>.announce}), so that a
 * verifier attests it at once. The counters are unsigned hints (a reset count that grew means a
 * reboot); the verifier learns the signed values from the quote it then asks for.
 *
 * <pre>{@code {"host_id": "node-1", "reset_count": 12, "restart_count": 0}}</pre>
 *
 * @param hostId the agent's host id
 * @param resetCount the TPM's reset count at start-up
 * @param restartCount the TPM's restart count at start-up
 */
public record AgentAnnouncement(String hostId, long resetCount, long restartCount) {

  private static final Set<String> MEMBERS = Set.of("host_id", "reset_count", "restart_count");

  public AgentAnnouncement {
    if (!HostIds.isValid(hostId)) {
      throw new IllegalArgumentException("invalid host id");
    }
  }

  public byte[] toJson() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("host_id", hostId);
    o.put("reset_count", resetCount);
    o.put("restart_count", restartCount);
    return Json.write(o);
  }

  /**
   * Reads an announcement.
   *
   * @throws VerificationException MALFORMED for bad JSON, an invalid host id or bad counters
   */
  public static AgentAnnouncement parse(byte[] json) throws VerificationException {
    ObjectNode o = Json.object(json, "announcement");
    Json.onlyMembers(o, MEMBERS, "announcement");
    return new AgentAnnouncement(
        HostIds.require(Json.text(o, "host_id")),
        Json.count(Json.required(o, "reset_count"), "reset_count"),
        Json.count(Json.required(o, "restart_count"), "restart_count"));
  }
}
