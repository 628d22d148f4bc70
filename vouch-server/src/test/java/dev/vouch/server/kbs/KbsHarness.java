package dev.vouch.server.kbs;

import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import io.javalin.Javalin;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A KBS on its own Javalin app on a loopback port, with the real attestation service and a test
 * clock.
 */
final class KbsHarness implements AutoCloseable {
  final MutableClock clock = new MutableClock(Instant.now());
  final RealAttestation backend = new RealAttestation(clock, Duration.ofMinutes(5));
  final InMemorySessionStore sessions = new InMemorySessionStore();
  final InMemoryResourceStore resources = new InMemoryResourceStore();
  final KbsService service;
  final Javalin app;

  KbsHarness(
      KbsConfig config, Optional<TokenVerifier> passport, AdminAuth admin, boolean withBackend) {
    service =
        new KbsService(
            config,
            withBackend ? Optional.<AttestationBackend>of(backend) : Optional.empty(),
            passport,
            sessions,
            resources,
            admin,
            ResourcePolicy.defaultPolicy(),
            clock,
            new SecureRandom());
    KbsRoutes routes = new KbsRoutes(service);
    app = Javalin.create(routes::register).start("127.0.0.1", 0);
  }

  /**
   * A KBS for {@code tees} with the real attestation service {@code as}, default policy and no
   * admin, started on a loopback port (for tests that configure their own verifiers).
   */
  static Javalin serve(
      Set<Tee> tees, AttestationBackend as, ResourceStore resources, java.time.Clock clock) {
    KbsService service =
        new KbsService(
            KbsConfig.defaults().withTees(tees),
            Optional.of(as),
            Optional.empty(),
            new InMemorySessionStore(),
            resources,
            AdminAuth.denyAll(),
            ResourcePolicy.defaultPolicy(),
            clock,
            new SecureRandom());
    return Javalin.create(new KbsRoutes(service)::register).start("127.0.0.1", 0);
  }

  /** A KBS accepting sample evidence (and TPM), default limits, admin disabled. */
  static KbsHarness sample() {
    return new KbsHarness(testConfig(), Optional.empty(), AdminAuth.denyAll(), true);
  }

  static KbsConfig testConfig() {
    return new KbsConfig(
        Duration.ofMinutes(5), 64 * 1024, EnumSet.of(Tee.SAMPLE, Tee.TPM), "sha384", List.of());
  }

  String url() {
    return "http://127.0.0.1:" + app.port();
  }

  @Override
  public void close() {
    app.stop();
    backend.close();
  }
}
