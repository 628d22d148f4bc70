package dev.vouch.policy.rvps;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class ReferenceValueMessagesTest {
  static final Instant NOW = Instant.parse("2026-11-24T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  static final ECKey P256;
  static final ECKey P384;
  static final RSAKey RSA;
  static final ECKey OTHER;

  static {
    try {
      P256 = new ECKeyGenerator(Curve.P_256).keyID("rv-p256").generate();
      P384 = new ECKeyGenerator(Curve.P_384).keyID("rv-p384").generate();
      RSA = new RSAKeyGenerator(2048).keyID("rv-rsa").generate();
      OTHER = new ECKeyGenerator(Curve.P_256).keyID("rv-p256").generate();
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  static final String BUNDLE =
      """
      {"values": {"tpm.pcr.sha256.7": ["aa", "bb"], "snp.minimum_tcb.snp": 22},
       "expires": "2027-01-01T00:00:00Z", "not_before": "2026-11-01T00:00:00Z"}
      """;

  static ReferenceValueMessages messages() {
    String jwks =
        new JWKSet(List.<JWK>of(P256.toPublicJWK(), P384.toPublicJWK(), RSA.toPublicJWK()))
            .toString();
    return new ReferenceValueMessages(BundleKeys.fromJwks(jwks), CLOCK);
  }

  static String sign(String payload, JWSAlgorithm alg, JWSSigner signer, String kid)
      throws Exception {
    JWSObject o =
        new JWSObject(new JWSHeader.Builder(alg).keyID(kid).build(), new Payload(payload));
    o.sign(signer);
    return o.serialize();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Failure failureOf(String message) {
    try {
      messages().parse(bytes(message));
    } catch (VerificationException e) {
      return e.failure();
    }
    throw new AssertionError("accepted: " + message);
  }

  @Test
  void aSampleMessageWithAnInlineObjectRegistersEveryNameAsAList() throws Exception {
    List<ReferenceValue> v =
        messages()
            .parse(
                bytes(
                    """
                    {"version":"0.1.0","type":"sample",
                     "payload":{"a":["x","y"],"n":7},"expires":"2026-12-01T00:00:00Z"}
                    """));
    assertThat(v).extracting(ReferenceValue::name).containsExactly("a", "n");
    assertThat(v.get(0).values()).containsExactly("x", "y");
    assertThat(v.get(1).values()).containsExactly(7L);
    assertThat(v.get(0).provenance().kind()).isEqualTo(Provenance.Kind.SAMPLE);
    assertThat(v.get(0).expires()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
  }

  @Test
  void aTrusteeSampleMessageWithABase64PayloadIsAccepted() throws Exception {
    String payload = Base64.getEncoder().encodeToString(bytes("{\"launch_digest\":[\"abcde\"]}"));
    List<ReferenceValue> v =
        messages()
            .parse(
                bytes(
                    "{\"version\":\"0.1.0\",\"type\":\"sample\",\"payload\":\"" + payload + "\"}"));
    assertThat(v)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.name()).isEqualTo("launch_digest");
              assertThat(r.values()).containsExactly("abcde");
              assertThat(r.expires()).isNull();
            });
  }

  @Test
  void aPlainSampleObjectTakesItsExpiryFromTheCaller() throws Exception {
    Instant exp = NOW.plusSeconds(60);
    List<ReferenceValue> v = messages().sample(bytes("{\"a\":[\"x\"]}"), exp);
    assertThat(v.get(0).expires()).isEqualTo(exp);
  }

  @Test
  void signedBundlesVerifyWithEachAlgorithm() throws Exception {
    for (String jws :
        List.of(
            sign(BUNDLE, JWSAlgorithm.ES256, new ECDSASigner(P256), "rv-p256"),
            sign(BUNDLE, JWSAlgorithm.ES384, new ECDSASigner(P384), "rv-p384"),
            sign(BUNDLE, JWSAlgorithm.RS256, new RSASSASigner(RSA), null))) {
      List<ReferenceValue> v =
          messages()
              .parse(
                  bytes("{\"version\":\"0.1.0\",\"type\":\"signed\",\"payload\":\"" + jws + "\"}"));
      assertThat(v)
          .extracting(ReferenceValue::name)
          .containsExactly("tpm.pcr.sha256.7", "snp.minimum_tcb.snp");
      assertThat(v.get(0).provenance().kind()).isEqualTo(Provenance.Kind.SIGNED);
      assertThat(v.get(0).provenance().signer()).startsWith("rv-");
      assertThat(v.get(0).expires()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
      assertThat(v.get(0).notBefore()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
    }
  }

  @Test
  void aBareCompactJwsIsASignedMessage() throws Exception {
    String jws = sign(BUNDLE, JWSAlgorithm.ES256, new ECDSASigner(P256), "rv-p256");
    assertThat(messages().parse(bytes(jws))).hasSize(2);
  }

  @Test
  void aDetachedSignatureOverTheBundleVerifies() throws Exception {
    String jws = sign(BUNDLE, JWSAlgorithm.ES256, new ECDSASigner(P256), "rv-p256");
    String[] parts = jws.split("\\.");
    String detached = parts[0] + ".." + parts[2];
    String message =
        "{\"version\":\"0.1.0\",\"type\":\"signed\",\"payload\":\""
            + parts[1]
            + "\",\"signature\":\""
            + detached
            + "\"}";
    assertThat(messages().parse(bytes(message))).hasSize(2);
    String tampered =
        Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(BUNDLE.replace("bb", "cc")));
    assertThat(failureOf(message.replace(parts[1], tampered))).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aTamperedBundleIsRefused() throws Exception {
    String jws = sign(BUNDLE, JWSAlgorithm.ES256, new ECDSASigner(P256), "rv-p256");
    String[] p = jws.split("\\.");
    String other =
        Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(BUNDLE.replace("aa", "ab")));
    assertThat(failureOf(p[0] + "." + other + "." + p[2])).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aBundleSignedByAnUnconfiguredKeyIsRefused() throws Exception {
    // same kid, different key: the signature must not verify
    assertThat(failureOf(sign(BUNDLE, JWSAlgorithm.ES256, new ECDSASigner(OTHER), "rv-p256")))
        .isEqualTo(Failure.SIGNATURE_INVALID);
    assertThat(failureOf(sign(BUNDLE, JWSAlgorithm.ES256, new ECDSASigner(OTHER), "unknown")))
        .isEqualTo(Failure.KEY_MISMATCH);
    ReferenceValueMessages none = new ReferenceValueMessages(BundleKeys.none(), CLOCK);
    String jws = sign(BUNDLE, JWSAlgorithm.ES256, new ECDSASigner(P256), "rv-p256");
    assertThatThrownBy(() -> none.parse(bytes(jws)))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.KEY_MISMATCH));
  }

  @Test
  void anExpiredOrNotYetValidBundleIsRefused() throws Exception {
    String expired = BUNDLE.replace("2027-01-01T00:00:00Z", "2026-11-24T12:00:00Z");
    assertThat(failureOf(sign(expired, JWSAlgorithm.ES256, new ECDSASigner(P256), "rv-p256")))
        .isEqualTo(Failure.COLLATERAL_EXPIRED);
    String early = BUNDLE.replace("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z");
    assertThat(failureOf(sign(early, JWSAlgorithm.ES256, new ECDSASigner(P256), "rv-p256")))
        .isEqualTo(Failure.COLLATERAL_EXPIRED);
    String noExpiry = "{\"values\":{\"a\":[1]}}";
    assertThat(failureOf(sign(noExpiry, JWSAlgorithm.ES256, new ECDSASigner(P256), "rv-p256")))
        .isEqualTo(Failure.MALFORMED);
  }

  @Test
  void unsupportedAlgorithmsAndHeadersAreRefused() throws Exception {
    String none =
        Base64.getUrlEncoder().withoutPadding().encodeToString(bytes("{\"alg\":\"none\"}"))
            + "."
            + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(BUNDLE))
            + ".";
    assertThat(failureOf(none)).isIn(Failure.MALFORMED, Failure.UNSUPPORTED);
    String hs =
        sign(
            BUNDLE,
            JWSAlgorithm.HS256,
            new com.nimbusds.jose.crypto.MACSigner(new byte[32]),
            "rv-p256");
    assertThat(failureOf(hs)).isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void badMessagesAreRefusedWithPreciseCodesAndNothingIsStored() throws Exception {
    assertThat(failureOf("{\"version\":\"0.2.0\",\"type\":\"sample\",\"payload\":{}}"))
        .isEqualTo(Failure.UNSUPPORTED);
    assertThat(failureOf("{\"version\":\"0.1.0\",\"type\":\"corim\",\"payload\":\"\"}"))
        .isEqualTo(Failure.UNSUPPORTED);
    assertThat(failureOf("{\"type\":\"sample\"}")).isEqualTo(Failure.MALFORMED);
    assertThat(failureOf("{\"type\":\"sample\",\"payload\":{}}")).isEqualTo(Failure.MALFORMED);
    assertThat(failureOf("{\"type\":\"sample\",\"payload\":\"%%%\"}")).isEqualTo(Failure.MALFORMED);
    assertThat(failureOf("{\"type\":\"sample\",\"payload\":{\"a\":[1]},\"expires\":\"soon\"}"))
        .isEqualTo(Failure.MALFORMED);
    assertThat(
            failureOf(
                "{\"type\":\"sample\",\"payload\":{\"a\":[1]},\"expires\":\"2020-01-01T00:00:00Z\"}"))
        .isEqualTo(Failure.COLLATERAL_EXPIRED);
    assertThat(failureOf("{\"type\":\"sample\",\"payload\":{\"a\":[123456789012345678901234]}}"))
        .isEqualTo(Failure.MALFORMED);
    assertThat(failureOf("{\"type\":\"sample\",\"payload\":{\"a\":[1]}} trailing"))
        .isEqualTo(Failure.MALFORMED);
    InMemoryReferenceValueStore store = new InMemoryReferenceValueStore();
    assertThatThrownBy(
            () ->
                messages()
                    .register(
                        store,
                        bytes(
                            "{\"type\":\"sample\",\"payload\":{\"a\":[1],\"b\":[99999999999999999999]}}")))
        .isInstanceOf(VerificationException.class);
    assertThat(store.list()).isEmpty();
  }

  @Property(tries = 300)
  void arbitraryTextOnlyEverFailsWithAVerificationException(@ForAll String text) {
    try {
      messages().parse(bytes(text));
    } catch (VerificationException e) {
      assertThat(e.failure())
          .isIn(
              Failure.MALFORMED,
              Failure.UNSUPPORTED,
              Failure.KEY_MISMATCH,
              Failure.SIGNATURE_INVALID,
              Failure.COLLATERAL_EXPIRED);
    }
  }
}
