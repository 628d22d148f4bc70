package dev.vouch.evidence.tpm;

import java.util.Optional;

/** The TPM_ECC_CURVE values Vouch turns into keys: the NIST prime curves. */
public enum EccCurve {
  NIST_P256(0x0003, "secp256r1", 32),
  NIST_P384(0x0004, "secp384r1", 48),
  NIST_P521(0x0005, "secp521r1", 66);

  private final int tpmId;
  private final String stdName;
  private final int coordinateSize;

  EccCurve(int tpmId, String stdName, int coordinateSize) {
    this.tpmId = tpmId;
    this.stdName = stdName;
    this.coordinateSize = coordinateSize;
  }

  /** The TPM_ECC_CURVE value. */
  public int tpmId() {
    return tpmId;
  }

  /** The SEC 2 name, e.g. {@code secp256r1}. */
  public String stdName() {
    return stdName;
  }

  /** Bytes in one coordinate (field element). */
  public int coordinateSize() {
    return coordinateSize;
  }

  public static Optional<EccCurve> fromTpmId(int id) {
    for (EccCurve c : values()) {
      if (c.tpmId == id) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** Looks a curve up by SEC 2 name ({@code secp256r1}) or NIST name ({@code P-256}). */
  public static Optional<EccCurve> fromName(String name) {
    for (EccCurve c : values()) {
      String nist = "P-" + c.name().substring("NIST_P".length());
      if (c.stdName.equalsIgnoreCase(name) || nist.equalsIgnoreCase(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
