package dev.vouch.server.kbs;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.sample.SampleEvidenceVerifier;
import dev.vouch.policy.EvaluationLimits;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.policy.ear.EarIssuer;
import dev.vouch.policy.ear.InMemorySigningKeys;
import dev.vouch.policy.ear.VerifierId;
import dev.vouch.policy.rvps.InMemoryReferenceValueStore;
import dev.vouch.policy.rvps.Provenance;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.as.AttestationInput;
import dev.vouch.server.as.AttestationOutcome;
import dev.vouch.server.as.AttestationService;
import dev.vouch.server.as.TrustSetup;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.policy.PolicyStore;
import dev.vouch.server.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The server's real {@link AttestationService} for tests of the KBS on its own: the verifiers the
 * server builds from its {@code verifiers} configuration (here with the sample kind explicitly
 * enabled, as a test must), the built-in default policies in a policy store on an in-memory H2
 * database, reference values in memory, and an EAR issuer with in-memory keys. Nothing is
 * re-implemented: binding, verification and appraisal are the service's.
 */
public final class RealAttestation implements AttestationBackend, AutoCloseable {
  private final Database db;
  private final InMemorySigningKeys keys;
  private final InMemoryReferenceValueStore references = new InMemoryReferenceValueStore();
  private final Clock clock;
  private final AttestationService service;

  /** With the sample kind enabled and its launch digest and SVN as reference values. */
  public RealAttestation(Clock clock, Duration tokenLifetime) {
    this(clock, tokenLifetime, ServerConfig.Verifiers.defaults().withSample(true));
    reference("sample.launch_digest", List.of(SampleEvidenceVerifier.LAUNCH_DIGEST));
    reference("sample.svn", List.of("1"));
  }

  /** With the verifiers this configuration section gives. */
  public RealAttestation(Clock clock, Duration tokenLifetime, ServerConfig.Verifiers verifiers) {
    this.clock = clock;
    this.db =
        Database.open(
            "jdbc:h2:mem:as-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
            Optional.empty(),
            Optional.empty(),
            2);
    this.keys = new InMemorySigningKeys(EarAlgorithm.ES256, clock);
    EarIssuer issuer =
        new EarIssuer(
            keys, new VerifierId("https://vouch.dev", "vouch-test"), tokenLifetime, clock);
    TrustSetup trust;
    try {
      trust = TrustSetup.of(verifiers, clock);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    this.service =
        new AttestationService(
            trust.verifiers(),
            trust.collateral(),
            new PolicyStore(db, new PolicyCompiler(EvaluationLimits.DEFAULT), clock),
            references,
            issuer,
            clock);
  }

  /** Sets a reference value (e.g. {@code tpm.pcr.sha256.0}). */
  public RealAttestation reference(String name, List<Object> values) {
    references.putAll(
        List.of(
            new ReferenceValue(
                name,
                values,
                new Provenance(Provenance.Kind.SAMPLE, null, clock.instant()),
                null,
                null)));
    return this;
  }

  /** The issuer's public keys, for passport-mode verification. */
  public String jwks() {
    return keys.jwksJson();
  }

  /** The service itself. */
  public AttestationService service() {
    return service;
  }

  @Override
  public AttestationOutcome attest(AttestationInput input) throws VerificationException {
    return service.attest(input);
  }

  @Override
  public void close() {
    db.close();
  }
}
