package dev.vouch.server.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.security.interfaces.RSAPublicKey;
import java.util.Set;

/**
 * The key a TEE sends in {@code runtime-data.tee-pubkey}, which the KBS encrypts resources to.
 * Accepted, as Trustee's KBS accepts them except for the deprecated RSA1_5:
 *
 * <ul>
 *   <li>{@code {"kty":"EC","crv":"P-256"|"P-384"|"P-521","alg":"ECDH-ES+A256KW","x","y"}}; the
 *       point must lie on the curve;
 *   <li>{@code {"kty":"RSA","alg":"RSA-OAEP-256","n","e"}} with a modulus of at least 2048 bits and
 *       an odd public exponent of at least 65537.
 * </ul>
 *
 * Members other than those of the key's type are dropped, as Trustee's typed struct drops them, so
 * {@link #json()} is exactly what the runtime-data binding hashes.
 */
public final class TeePublicKey {
  /** The smallest RSA modulus accepted. */
  public static final int MIN_RSA_BITS = 2048;

  private static final int MAX_RSA_BITS = 8192;
  private static final Set<Curve> CURVES = Set.of(Curve.P_256, Curve.P_384, Curve.P_521);

  private final JWK jwk;
  private final JWEAlgorithm algorithm;
  private final ObjectNode json;

  private TeePublicKey(JWK jwk, JWEAlgorithm algorithm, ObjectNode json) {
    this.jwk = jwk;
    this.algorithm = algorithm;
    this.json = json;
  }

  /**
   * Reads and checks a {@code tee-pubkey} member.
   *
   * @throws KbsError {@link KbsError.Kind#SerdeError} naming what is missing, weak or unsupported
   */
  public static TeePublicKey parse(JsonNode node) throws KbsError {
    if (node == null || !node.isObject()) {
      throw refused("runtime-data.tee-pubkey must be a JWK object");
    }
    String kty = text(node, "kty");
    return switch (kty) {
      case "EC" -> ec(node);
      case "RSA" -> rsa(node);
      default -> throw refused("tee-pubkey kty \"" + kty + "\" is not supported (EC, RSA)");
    };
  }

  private static TeePublicKey ec(JsonNode node) throws KbsError {
    String crv = text(node, "crv");
    String alg = text(node, "alg");
    String x = text(node, "x");
    String y = text(node, "y");
    Curve curve;
    try {
      curve = Curve.parse(crv);
    } catch (IllegalArgumentException e) {
      // Nimbus refuses blank names with an unchecked exception
      throw refused("tee-pubkey curve \"" + crv + "\" is not accepted (P-256, P-384, P-521)");
    }
    if (!CURVES.contains(curve)) {
      throw refused("tee-pubkey curve \"" + crv + "\" is not accepted (P-256, P-384, P-521)");
    }
    if (!JWEAlgorithm.ECDH_ES_A256KW.getName().equals(alg)) {
      throw refused("an EC tee-pubkey must have alg ECDH-ES+A256KW, not \"" + alg + "\"");
    }
    ECKey key;
    try {
      // Nimbus checks that the point lies on the named curve
      key = new ECKey.Builder(curve, new Base64URL(x), new Base64URL(y)).build();
      int size = (curve.toECParameterSpec().getCurve().getField().getFieldSize() + 7) / 8;
      if (key.getX().decode().length != size || key.getY().decode().length != size) {
        throw refused("tee-pubkey x and y must be " + size + " bytes each for " + crv);
      }
    } catch (IllegalArgumentException | IllegalStateException e) {
      // Nimbus throws IllegalStateException for coordinates off the curve
      throw refused("tee-pubkey is not a point on " + crv);
    }
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("kty", "EC").put("crv", crv).put("alg", alg).put("x", x).put("y", y);
    return new TeePublicKey(key, JWEAlgorithm.ECDH_ES_A256KW, json);
  }

  private static TeePublicKey rsa(JsonNode node) throws KbsError {
    String alg = text(node, "alg");
    String n = text(node, "n");
    String e = text(node, "e");
    if (!JWEAlgorithm.RSA_OAEP_256.getName().equals(alg)) {
      throw refused(
          "an RSA tee-pubkey must have alg RSA-OAEP-256, not \""
              + alg
              + "\" (RSA1_5 is refused: it is open to padding-oracle attacks)");
    }
    RSAKey key;
    RSAPublicKey pub;
    try {
      key = new RSAKey.Builder(new Base64URL(n), new Base64URL(e)).build();
      pub = key.toRSAPublicKey();
    } catch (com.nimbusds.jose.JOSEException | IllegalArgumentException ex) {
      throw refused("tee-pubkey is not a valid RSA key");
    }
    int bits = pub.getModulus().bitLength();
    if (bits < MIN_RSA_BITS) {
      throw refused(
          "tee-pubkey RSA modulus has "
              + bits
              + " bits; at least "
              + MIN_RSA_BITS
              + " are required");
    }
    if (bits > MAX_RSA_BITS) {
      throw refused("tee-pubkey RSA modulus has " + bits + " bits; at most " + MAX_RSA_BITS);
    }
    BigInteger exp = pub.getPublicExponent();
    if (!exp.testBit(0) || exp.compareTo(BigInteger.valueOf(65537)) < 0 || exp.bitLength() > 256) {
      throw refused("tee-pubkey RSA exponent must be odd and at least 65537");
    }
    ObjectNode json = JsonNodeFactory.instance.objectNode();
    json.put("kty", "RSA").put("alg", alg).put("n", n).put("e", e);
    return new TeePublicKey(key, JWEAlgorithm.RSA_OAEP_256, json);
  }

  private static String text(JsonNode node, String name) throws KbsError {
    JsonNode v = node.get(name);
    if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
      throw refused("tee-pubkey lacks the string member \"" + name + "\"");
    }
    return v.textValue();
  }

  private static KbsError refused(String detail) {
    return new KbsError(KbsError.Kind.SerdeError, detail);
  }

  /** The Nimbus public key. */
  public JWK jwk() {
    return jwk;
  }

  /** The key-management algorithm resources are encrypted with. */
  public JWEAlgorithm algorithm() {
    return algorithm;
  }

  /** The key as the binding hashes it: exactly the members of its type. */
  public ObjectNode json() {
    return json.deepCopy();
  }

  @Override
  public String toString() {
    return "TeePublicKey[" + algorithm + ", " + jwk.getKeyType() + "]";
  }
}
