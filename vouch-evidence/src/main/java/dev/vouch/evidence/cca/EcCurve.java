package dev.vouch.evidence.cca;

import java.util.Optional;

/** The NIST curves COSE and JWK name, with their identifiers in both and in the JCA. */
public enum EcCurve {
  P256(1, "P-256", "secp256r1", 32),
  P384(2, "P-384", "secp384r1", 48),
  P521(3, "P-521", "secp521r1", 66);

  private final int coseId;
  private final String jwkName;
  private final String jcaName;
  private final int fieldBytes;

  EcCurve(int coseId, String jwkName, String jcaName, int fieldBytes) {
    this.coseId = coseId;
    this.jwkName = jwkName;
    this.jcaName = jcaName;
    this.fieldBytes = fieldBytes;
  }

  /** The COSE {@code crv} value (RFC 9053 §7.1). */
  public int coseId() {
    return coseId;
  }

  /** The JWK {@code crv} name, e.g. {@code P-384}. */
  public String jwkName() {
    return jwkName;
  }

  /** The standard (SEC 2) curve name, e.g. {@code secp384r1}. */
  public String jcaName() {
    return jcaName;
  }

  /** Bytes of one coordinate. */
  public int fieldBytes() {
    return fieldBytes;
  }

  /** The curve whose uncompressed points ({@code 04||x||y}) are {@code length} bytes long. */
  public static Optional<EcCurve> forUncompressedLength(int length) {
    for (EcCurve c : values()) {
      if (1 + 2 * c.fieldBytes == length) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** The curve with this COSE identifier. */
  public static Optional<EcCurve> fromCoseId(long id) {
    for (EcCurve c : values()) {
      if (c.coseId == id) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** The curve with this JWK name. */
  public static Optional<EcCurve> fromJwkName(String name) {
    for (EcCurve c : values()) {
      if (c.jwkName.equals(name)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
