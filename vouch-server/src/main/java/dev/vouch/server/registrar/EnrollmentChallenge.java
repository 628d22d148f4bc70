package dev.vouch.server.registrar;

import java.time.Instant;
import java.util.Objects;

/**
 * The registrar's answer to {@link Registrar#begin}: a credential only the enrolling TPM can open
 * with TPM2_ActivateCredential, and only while it holds the AK.
 *
 * @param id the challenge id to quote in {@link Registrar#complete}
 * @param credentialBlob the TPM2B_ID_OBJECT contents
 * @param encryptedSecret the TPM2B_ENCRYPTED_SECRET contents
 * @param expiresAt after this instant the challenge can no longer be completed
 */
public record EnrollmentChallenge(
    String id, byte[] credentialBlob, byte[] encryptedSecret, Instant expiresAt) {
  public EnrollmentChallenge {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(expiresAt, "expiresAt");
    credentialBlob = credentialBlob.clone();
    encryptedSecret = encryptedSecret.clone();
  }

  @Override
  public byte[] credentialBlob() {
    return credentialBlob.clone();
  }

  @Override
  public byte[] encryptedSecret() {
    return encryptedSecret.clone();
  }
}
