package dev.vouch.policy.flavor;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.util.Base64URL;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.json.Jcs;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.util.List;
import java.util.Optional;

/**
 * Signs flavors with the server's EC key and checks them.
 *
 * <p>Format (a Vouch decision; ISecL's RSA signature over Go's JSON encoding cannot be reproduced
 * byte for byte): the flavor keeps ISecL's {@code {"flavor": ..., "signature": ...}} envelope and
 * the signature is a JWS in compact serialization with a <em>detached</em> payload ({@code
 * header..signature}, RFC 7515 appendix F). The payload is the RFC 8785 canonical JSON of the
 * flavor, {@code meta.id} included, so the id cannot be swapped. The header carries {@code alg}
 * (ES256 for P-256 keys, ES384 for P-384) and {@code typ: "vouch-flavor+jws"}.
 */
public final class FlavorSigner {
  /** The JWS {@code typ} of flavor signatures. */
  public static final String TYPE = "vouch-flavor+jws";

  private FlavorSigner() {}

  /** Signs a flavor with an EC P-256 (ES256) or P-384 (ES384) private key. */
  public static SignedFlavor sign(Flavor flavor, ECPrivateKey key) throws VerificationException {
    JWSAlgorithm alg = algorithmFor(key.getParams().getCurve().getField().getFieldSize());
    JWSObject jws =
        new JWSObject(
            new JWSHeader.Builder(alg).type(new com.nimbusds.jose.JOSEObjectType(TYPE)).build(),
            new Payload(Jcs.canonicalize(FlavorJson.write(flavor))));
    try {
      jws.sign(new ECDSASigner(key));
    } catch (JOSEException e) {
      throw new VerificationException(Failure.UNSUPPORTED, "cannot sign: " + e.getMessage());
    }
    return new SignedFlavor(flavor, Optional.of(jws.serialize(true)));
  }

  /**
   * Checks a signed flavor against the trusted flavor-signing keys.
   *
   * @throws VerificationException MALFORMED when there is no signature or it is no detached JWS (an
   *     imported ISecL signature, say), UNSUPPORTED for an algorithm other than ES256/ES384,
   *     KEY_MISMATCH when no trusted key of that curve exists, SIGNATURE_INVALID when no trusted
   *     key verifies it (the flavor was changed, or another key signed it)
   */
  public static void verify(SignedFlavor signed, List<PublicKey> trusted)
      throws VerificationException {
    String sig =
        signed
            .signature()
            .orElseThrow(
                () -> new VerificationException(Failure.MALFORMED, "the flavor is not signed"));
    String[] parts = sig.split("\\.", -1);
    if (parts.length != 3 || !parts[1].isEmpty()) {
      throw new VerificationException(
          Failure.MALFORMED, "the flavor signature is not a detached-payload JWS");
    }
    JWSObject jws;
    try {
      jws =
          new JWSObject(
              new Base64URL(parts[0]),
              new Payload(Jcs.canonicalize(FlavorJson.write(signed.flavor()))),
              new Base64URL(parts[2]));
    } catch (ParseException e) {
      throw new VerificationException(Failure.MALFORMED, "bad JWS header: " + e.getMessage());
    }
    var typ = jws.getHeader().getType();
    if (typ == null || !TYPE.equals(typ.getType())) {
      throw new VerificationException(
          Failure.MALFORMED, "the flavor signature is not typed " + TYPE);
    }
    JWSAlgorithm alg = jws.getHeader().getAlgorithm();
    if (!JWSAlgorithm.ES256.equals(alg) && !JWSAlgorithm.ES384.equals(alg)) {
      throw new VerificationException(Failure.UNSUPPORTED, "flavor signed with " + alg);
    }
    boolean anyKey = false;
    for (PublicKey k : trusted) {
      if (!(k instanceof ECPublicKey ec)
          || !alg.equals(algorithmFor(ec.getParams().getCurve().getField().getFieldSize()))) {
        continue;
      }
      anyKey = true;
      try {
        if (jws.verify(new ECDSAVerifier(ec))) {
          return;
        }
      } catch (JOSEException e) {
        // a key that cannot be used for this signature simply does not verify it
      }
    }
    throw new VerificationException(
        anyKey ? Failure.SIGNATURE_INVALID : Failure.KEY_MISMATCH,
        anyKey
            ? "no trusted flavor-signing key verifies flavor " + signed.flavor().meta().id()
            : "no trusted " + alg + " flavor-signing key is configured");
  }

  private static JWSAlgorithm algorithmFor(int fieldBits) throws VerificationException {
    return switch (fieldBits) {
      case 256 -> JWSAlgorithm.ES256;
      case 384 -> JWSAlgorithm.ES384;
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED,
              "flavor keys are P-256 or P-384, not a " + fieldBits + "-bit curve");
    };
  }
}
