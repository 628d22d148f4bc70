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
 */
public record PendingChallenge(String id, EnrolledHost host, byte[] secret, Instant expiresAt) {
  public PendingChallenge {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(expiresAt, "expiresAt");
    secret = secret.clone();
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
        + "]";
  }
}
