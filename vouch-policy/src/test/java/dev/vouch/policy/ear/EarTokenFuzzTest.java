package dev.vouch.policy.ear;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Set;

/**
 * Jazzer fuzz targets for EAR tokens as a relying party reads them ({@link EarVerifier}). The
 * property: a token either verifies into a result with at least one appraised submod, or is refused
 * with one of the failures the verifier documents; no other exception, hang or out-of-memory.
 *
 * <p>{@code token} fuzzes the whole compact JWS text; a fuzzer cannot forge the signature, so
 * {@code claims} signs the fuzzed bytes as the payload with the trusted key and so reaches the
 * claim checks (validity window, profile, verifier id, submods, trust vectors) behind the
 * signature. The clock is fixed at 2026-01-01T00:00:00Z, the instant the seeds' {@code iat} and
 * {@code exp} surround. Seeds are in {@code EarTokenFuzzTestInputs/<target>}; {@code JAZZER_FUZZ=1}
 * (or {@code bin/fuzz EarTokenFuzzTest#claims}) fuzzes.
 */
class EarTokenFuzzTest {
  private static final Set<Failure> DOCUMENTED =
      EnumSet.of(
          Failure.MALFORMED,
          Failure.UNSUPPORTED,
          Failure.KEY_MISMATCH,
          Failure.SIGNATURE_INVALID,
          Failure.TOKEN_EXPIRED,
          Failure.NONCE_MISMATCH);
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
  private static final ECKey KEY = key();
  private static final EarVerifier VERIFIER = new EarVerifier(new JWKSet(KEY.toPublicJWK()), CLOCK);

  private static ECKey key() {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID("fuzz").generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "30s")
  void token(byte[] data) {
    verifiesOrFailsClosed(new String(data, StandardCharsets.UTF_8));
  }

  @FuzzTest(maxDuration = "30s")
  void claims(byte[] data) throws JOSEException {
    JWSObject jws =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("fuzz").build(), new Payload(data));
    jws.sign(new ECDSASigner(KEY));
    verifiesOrFailsClosed(jws.serialize());
  }

  private static void verifiesOrFailsClosed(String token) {
    try {
      AttestationResult r = VERIFIER.verify(token);
      assertThat(r.submods()).isNotEmpty();
      assertThat(r.status()).isNotNull();
      assertThat(r.expiresAt()).isAfter(CLOCK.instant().minusSeconds(60));
      assertThat(r.kid()).isEqualTo("fuzz");
    } catch (VerificationException e) {
      assertThat(DOCUMENTED).contains(e.failure());
    }
    try {
      VERIFIER.verify(token, "fuzz-nonce");
    } catch (VerificationException e) {
      assertThat(DOCUMENTED).contains(e.failure());
    }
  }
}
