package dev.vouch.policy.rvps;

import java.time.Instant;

/**
 * Where a reference value came from.
 *
 * @param kind how it was registered
 * @param signer the key id ({@code kid}) that signed the bundle, or {@code null} for samples
 * @param registeredAt when the store accepted it
 */
public record Provenance(Kind kind, String signer, Instant registeredAt) {

  /** Registration paths. */
  public enum Kind {
    /** Plain JSON, trusted because the caller is (admin API, files on disk). */
    SAMPLE,
    /** A JWS-signed bundle verified against a configured key. */
    SIGNED
  }
}
