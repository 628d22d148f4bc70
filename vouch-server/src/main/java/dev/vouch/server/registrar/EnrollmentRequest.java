package dev.vouch.server.registrar;

import java.util.Objects;

/**
 * What an agent sends to enroll.
 *
 * @param hostId the host's id
 * @param ekPublic the endorsement key's TPM2B_PUBLIC
 * @param ekCertificate the EK certificate, DER, as the TPM manufacturer stored it in NV
 * @param akPublic the attestation key's TPM2B_PUBLIC
 * @param placement the host group and connection the host gets once enrolled
 */
public record EnrollmentRequest(
    String hostId, byte[] ekPublic, byte[] ekCertificate, byte[] akPublic, Placement placement) {
  public EnrollmentRequest {
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(placement, "placement");
    ekPublic = ekPublic.clone();
    ekCertificate = ekCertificate.clone();
    akPublic = akPublic.clone();
  }

  /** A request for the {@link Placement#DEFAULT} placement. */
  public EnrollmentRequest(String hostId, byte[] ekPublic, byte[] ekCertificate, byte[] akPublic) {
    this(hostId, ekPublic, ekCertificate, akPublic, Placement.DEFAULT);
  }

  @Override
  public byte[] ekPublic() {
    return ekPublic.clone();
  }

  @Override
  public byte[] ekCertificate() {
    return ekCertificate.clone();
  }

  @Override
  public byte[] akPublic() {
    return akPublic.clone();
  }
}
