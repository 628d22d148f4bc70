package dev.vouch.server.registrar;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.AkKey;
import dev.vouch.evidence.tpm.AkKeys;
import java.time.Instant;
import java.util.Objects;

/**
 * A host whose attestation key the registrar trusts: the AK was proven to live in the TPM whose EK
 * certificate is identified by {@code ekCertificateSha256}.
 *
 * @param hostId the host's id
 * @param ekCertificateSha256 hex SHA-256 of the EK certificate (DER)
 * @param akPublic the AK's TPM2B_PUBLIC
 * @param akName the AK's TPM name (nameAlg id + digest)
 * @param enrolledAt when activation completed
 */
public record EnrolledHost(
    String hostId, String ekCertificateSha256, byte[] akPublic, byte[] akName, Instant enrolledAt) {
  public EnrolledHost {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(ekCertificateSha256, "ekCertificateSha256");
    Objects.requireNonNull(enrolledAt, "enrolledAt");
    akPublic = akPublic.clone();
    akName = akName.clone();
  }

  @Override
  public byte[] akPublic() {
    return akPublic.clone();
  }

  @Override
  public byte[] akName() {
    return akName.clone();
  }

  /** The AK as quote verification takes it. */
  public AkKey ak() throws VerificationException {
    return AkKeys.parse(akPublic);
  }
}
