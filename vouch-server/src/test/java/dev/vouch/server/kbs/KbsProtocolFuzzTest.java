package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.server.as.AttestationBackend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Jazzer fuzz targets for the KBS protocol bodies: the Request of {@code POST /kbs/v0/auth} and the
 * Attestation of {@code POST /kbs/v0/attest}, handled by the real {@link KbsService} in front of
 * the real attestation service (sample evidence enabled, {@link RealAttestation}). The property: a
 * body is answered (a Challenge with a nonce, a token) or refused with a {@link KbsError} of a kind
 * the protocol documents for that step; no other exception (which the server would answer 500),
 * hang or out-of-memory.
 *
 * <p>The KBS draws its nonces from a constant source here, so every session's nonce is the one the
 * {@code attest} seeds carry and the fuzzer starts from an attestation the service accepts ({@link
 * #theAttestationSeedIsAccepted}) rather than stopping at the nonce check. Seeds are in {@code
 * KbsProtocolFuzzTestInputs/<target>}; {@code bin/fuzz KbsProtocolFuzzTest#attest} fuzzes.
 */
class KbsProtocolFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<KbsError.Kind> AUTH_REFUSALS =
      EnumSet.of(KbsError.Kind.AttestationError, KbsError.Kind.SerdeError);
  private static final Set<KbsError.Kind> ATTEST_REFUSALS =
      EnumSet.of(
          KbsError.Kind.AttestationError,
          KbsError.Kind.SerdeError,
          KbsError.Kind.PayloadTooLarge,
          KbsError.Kind.TokenVerifierError,
          KbsError.Kind.AdditionalEvidenceUnsupported);
  private static final byte[] REQUEST =
      "{\"version\":\"0.4.0\",\"tee\":\"sample\",\"extra-params\":\"\"}"
          .getBytes(StandardCharsets.UTF_8);
  private static final MutableClock CLOCK = new MutableClock(Instant.now());
  private static final RealAttestation BACKEND = new RealAttestation(CLOCK, Duration.ofMinutes(5));

  @AfterAll
  static void close() {
    BACKEND.close();
  }

  /** A fresh KBS (its own session table) whose nonces are all the same, known bytes. */
  private static KbsService kbs() {
    return new KbsService(
        KbsHarness.testConfig(),
        Optional.<AttestationBackend>of(BACKEND),
        Optional.empty(),
        new InMemorySessionStore(),
        new InMemoryResourceStore(),
        AdminAuth.denyAll(),
        ResourcePolicy.defaultPolicy(),
        CLOCK,
        new ConstantRandom());
  }

  @FuzzTest(maxDuration = "30s")
  void auth(byte[] data) throws IOException {
    try {
      KbsService.Challenge c = kbs().auth(data);
      assertThat(JSON.readTree(c.json()).path("nonce").asText()).isNotEmpty();
    } catch (KbsError e) {
      assertThat(AUTH_REFUSALS).contains(e.kind());
    }
  }

  @FuzzTest(maxDuration = "30s")
  void attest(byte[] data) throws KbsError {
    KbsService kbs = kbs();
    KbsService.Challenge c = kbs.auth(REQUEST);
    try {
      KbsService.Attested a = kbs.attest(Optional.of(c.sessionId()), data);
      assertThat(a.json()).contains("\"token\"");
    } catch (KbsError e) {
      assertThat(ATTEST_REFUSALS).contains(e.kind());
    }
  }

  @Test
  void theAttestationSeedIsAccepted() throws Exception {
    KbsService kbs = kbs();
    KbsService.Challenge c = kbs.auth(REQUEST);
    byte[] seed;
    try (InputStream in =
        getClass().getResourceAsStream("KbsProtocolFuzzTestInputs/attest/sample-ec-p256")) {
      seed = in.readAllBytes();
    }
    JsonNode token = JSON.readTree(kbs.attest(Optional.of(c.sessionId()), seed).json());
    assertThat(token.path("token").asText()).startsWith("ey");
  }

  /** The same bytes every time: the seeds know the nonce the KBS hands out. */
  private static final class ConstantRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;

    @Override
    public void nextBytes(byte[] bytes) {
      Arrays.fill(bytes, (byte) 7);
    }
  }
}
