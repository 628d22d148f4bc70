package dev.vouch.policy.rvps;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * The public keys that may sign reference value bundles, each with the one algorithm it is used
 * with: ES256 (P-256), ES384 (P-384) or RS256 (RSA of at least 2048 bits). Keys embedded in a
 * bundle's header ({@code jwk}, {@code x5c}, {@code jku}) are never used.
 */
public final class BundleKeys {
  private final List<JWK> keys;

  private BundleKeys(List<JWK> keys) {
    this.keys = List.copyOf(keys);
  }

  /** No keys: every signed bundle is refused. */
  public static BundleKeys none() {
    return new BundleKeys(List.of());
  }

  /**
   * Parses a JWKS document ({@code {"keys":[...]}}) of public keys.
   *
   * @throws IllegalArgumentException for a key that is private, of an unsupported type or curve, or
   *     too short, so that a misconfiguration stops start-up
   */
  public static BundleKeys fromJwks(String jwks) {
    try {
      List<JWK> out = new ArrayList<>();
      for (JWK k : JWKSet.parse(jwks).getKeys()) {
        if (k.isPrivate()) {
          throw new IllegalArgumentException("key " + k.getKeyID() + " holds private material");
        }
        algorithmOf(k);
        out.add(k);
      }
      return new BundleKeys(out);
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a JWKS document: " + e.getMessage(), e);
    }
  }

  /** Keys as given. */
  public static BundleKeys of(List<? extends JWK> keys) {
    List<JWK> out = new ArrayList<>();
    for (JWK k : keys) {
      algorithmOf(k);
      out.add(k.toPublicJWK());
    }
    return new BundleKeys(out);
  }

  public List<JWK> keys() {
    return keys;
  }

  /** The one algorithm a key verifies. */
  static JWSAlgorithm algorithmOf(JWK k) {
    if (k instanceof ECKey ec) {
      if (Curve.P_256.equals(ec.getCurve())) {
        return JWSAlgorithm.ES256;
      }
      if (Curve.P_384.equals(ec.getCurve())) {
        return JWSAlgorithm.ES384;
      }
      throw new IllegalArgumentException("key " + k.getKeyID() + ": curve " + ec.getCurve());
    }
    if (k instanceof RSAKey rsa) {
      if (rsa.size() < 2048) {
        throw new IllegalArgumentException("key " + k.getKeyID() + ": RSA below 2048 bits");
      }
      return JWSAlgorithm.RS256;
    }
    throw new IllegalArgumentException("key " + k.getKeyID() + ": type " + k.getKeyType());
  }

  /** Keys that could have made a signature with this header: same algorithm, same kid if given. */
  List<JWK> candidates(JWSHeader header) {
    List<JWK> out = new ArrayList<>();
    for (JWK k : keys) {
      if (algorithmOf(k).equals(header.getAlgorithm())
          && (header.getKeyID() == null || header.getKeyID().equals(k.getKeyID()))) {
        out.add(k);
      }
    }
    return out;
  }

  static JWSVerifier verifier(JWK k) throws JOSEException {
    return k instanceof ECKey ec ? new ECDSAVerifier(ec) : new RSASSAVerifier((RSAKey) k);
  }
}
