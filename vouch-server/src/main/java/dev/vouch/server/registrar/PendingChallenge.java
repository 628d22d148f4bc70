package dev.vouch.server.registrar;

import java.time.Instant;
import java.util.Objects;

/**
 * A challenge the registrar issued and has not settled: what it needs to finish enrollment when the
 * agent answers. The secret never leaves the registrar.
 *
 * @param id the challenge id
 * @param host the host as it will be recorded once the agent proves possession
 * @param secret the protected secret
 * @param expiresAt the deadline for the answer
 * @param placement where the host goes in the attestation manager once enrolled
 */
public record PendingChallenge(
    String id, EnrolledHost host, byte[] secret, Instant expiresAt, Placement placement) {
  public PendingChallenge {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(placement, "placement");
    secret = secret.clone();
  }

  /** A challenge for the {@link Placement#DEFAULT} placement. */
  public PendingChallenge(String id, EnrolledHost host, byte[] secret, Instant expiresAt) {
    this(id, host, secret, expiresAt, Placement.DEFAULT);
  }

  @Override
  public byte[] secret() {
    return secret.clone();
  }

  @Override
  public String toString() {
    return "PendingChallenge[id="
        + id
        + ", host="
        + host.hostId()
        + ", expiresAt="
        + expiresAt
        + ", placement="
        + placement
        + "]";
  }
}
