package dev.vouch.policy.ear;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;

/** The signature algorithms for attestation result tokens. */
public enum EarAlgorithm {
  ES256(JWSAlgorithm.ES256, Curve.P_256),
  ES384(JWSAlgorithm.ES384, Curve.P_384);

  private final JWSAlgorithm jws;
  private final Curve curve;

  EarAlgorithm(JWSAlgorithm jws, Curve curve) {
    this.jws = jws;
    this.curve = curve;
  }

  public JWSAlgorithm jws() {
    return jws;
  }

  public Curve curve() {
    return curve;
  }
}
