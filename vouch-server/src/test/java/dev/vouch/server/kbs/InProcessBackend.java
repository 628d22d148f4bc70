package dev.vouch.server.kbs;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.Verifiers;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.DefaultPolicies;
import dev.vouch.policy.PolicyEngine;
import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.policy.ear.EarIssuer;
import dev.vouch.policy.ear.InMemorySigningKeys;
import dev.vouch.policy.ear.Submod;
import dev.vouch.policy.ear.VerifierId;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.as.AttestationInput;
import dev.vouch.server.as.AttestationOutcome;
import dev.vouch.server.as.RuntimeData;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test-only attestation backend assembled from what the evidence and policy modules provide: the
 * evidence verifiers, the default policies with settable reference values, and an EAR issuer. The
 * server's attestation service is the production one; this exists so that the KBS can be tested on
 * its own. Sample evidence ({@code {"svn", "report_data"}}, Trustee's sample attester) is checked
 * here as Trustee's sample verifier checks it.
 */
public final class InProcessBackend implements AttestationBackend {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The launch digest the sample "TEE" reports. */
  public static final String SAMPLE_LAUNCH_DIGEST = "ab".repeat(48);

  private final Verifiers verifiers = Verifiers.defaults();
  private final InMemorySigningKeys keys;
  private final EarIssuer issuer;
  private final Map<String, List<Object>> reference = new ConcurrentHashMap<>();

  public InProcessBackend(Clock clock, Duration tokenLifetime) {
    this.keys = new InMemorySigningKeys(EarAlgorithm.ES256, clock);
    this.issuer =
        new EarIssuer(
            keys, new VerifierId("https://vouch.dev", "vouch-test"), tokenLifetime, clock);
    reference.put("sample.launch_digest", List.of(SAMPLE_LAUNCH_DIGEST));
    reference.put("sample.svn", List.of("1"));
  }

  /** Sets a reference value (e.g. {@code tpm.pcr.sha256.0}). */
  public InProcessBackend reference(String name, List<Object> values) {
    reference.put(name, List.copyOf(values));
    return this;
  }

  /** The issuer's public keys, for passport-mode verification. */
  public String jwks() {
    return keys.jwksJson();
  }

  @Override
  public AttestationOutcome attest(AttestationInput input) throws VerificationException {
    byte[] expected =
        switch (input.runtimeData().orElseThrow()) {
          case RuntimeData.Raw raw -> raw.bytes();
          case RuntimeData.Structured s ->
              RuntimeDataBinding.reportData(
                  input.tee(), RuntimeDataBinding.digest(s.json(), input.runtimeDataHash()));
        };
    VerifiedEvidence verified =
        input.tee() == Tee.SAMPLE
            ? sample(input.evidence(), expected)
            : verifier(input.tee()).verify(input.evidence(), Expectations.withNonce(expected));
    Claims claims = verified.claims();
    Appraisal appraisal =
        PolicyEngine.evaluate(
            DefaultPolicies.load(input.tee().wireName()), claims, reference, Map.of());
    Map<String, Object> annotated = new LinkedHashMap<>(claims.asMap());
    if (input.runtimeData().get() instanceof RuntimeData.Structured s) {
      annotated.put("runtime_data_claims", JSON.convertValue(s.json(), Map.class));
    }
    String token = issuer.issue(Map.of("cpu0", Submod.of(appraisal, annotated)), null);
    return new AttestationOutcome(token, appraisal.status().earName(), claims.asMap());
  }

  private EvidenceVerifier verifier(Tee tee) throws VerificationException {
    return verifiers
        .forTee(tee)
        .orElseThrow(
            () -> new VerificationException(Failure.UNSUPPORTED, "no verifier for " + tee));
  }

  private static VerifiedEvidence sample(byte[] evidence, byte[] expected)
      throws VerificationException {
    Map<?, ?> m;
    try {
      m = JSON.readValue(evidence, Map.class);
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, "sample evidence is not JSON");
    }
    if (!(m.get("report_data") instanceof String rd) || !(m.get("svn") instanceof String svn)) {
      throw new VerificationException(Failure.MALFORMED, "sample evidence needs svn, report_data");
    }
    byte[] reportData;
    try {
      reportData = Base64.getDecoder().decode(rd);
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "sample report_data is not base64");
    }
    if (!Arrays.equals(reportData, expected)) {
      throw new VerificationException(
          Failure.REPORT_DATA_MISMATCH, "sample report_data differs from the runtime data hash");
    }
    return new VerifiedEvidence(
        Tee.SAMPLE,
        Claims.builder()
            .put("sample.svn", svn)
            .put("sample.debug", false)
            .put("sample.launch_digest", SAMPLE_LAUNCH_DIGEST)
            .build());
  }
}
