package dev.vouch.evidence.cca;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.SignatureScheme;

/**
 * The COSE signature algorithms attestation tokens use (RFC 9053 §2.1): ECDSA with the curve each
 * identifier is paired with. A key on another curve is refused rather than tolerated, so a token
 * cannot downgrade to a weaker curve than its algorithm names.
 */
public enum CoseAlgorithm {
  ES256(-7, EcCurve.P256, SignatureScheme.ECDSA_SHA256),
  ES384(-35, EcCurve.P384, SignatureScheme.ECDSA_SHA384),
  ES512(-36, EcCurve.P521, SignatureScheme.ECDSA_SHA512);

  private final int id;
  private final EcCurve curve;
  private final SignatureScheme scheme;

  CoseAlgorithm(int id, EcCurve curve, SignatureScheme scheme) {
    this.id = id;
    this.curve = curve;
    this.scheme = scheme;
  }

  /** The COSE algorithm identifier, e.g. -35. */
  public int id() {
    return id;
  }

  /** The curve the key must be on. */
  public EcCurve curve() {
    return curve;
  }

  /** The JCA signature scheme (message hashed by the verifier). */
  public SignatureScheme scheme() {
    return scheme;
  }

  /** Length of the raw {@code r||s} signature. */
  public int signatureLength() {
    return 2 * curve.fieldBytes();
  }

  /** The algorithm with this COSE identifier; {@link Failure#UNSUPPORTED} for any other. */
  public static CoseAlgorithm fromId(long id) throws VerificationException {
    for (CoseAlgorithm a : values()) {
      if (a.id == id) {
        return a;
      }
    }
    throw new VerificationException(
        Failure.UNSUPPORTED, "COSE algorithm " + id + " is not supported (ES256, ES384, ES512)");
  }
}
