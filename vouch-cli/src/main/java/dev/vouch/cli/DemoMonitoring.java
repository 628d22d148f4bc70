package dev.vouch.cli;

import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.SoftwareTpm;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.agent.trust.TrustAgent;
import dev.vouch.agent.trust.TrustAgentConfig;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.manager.AttestationOutcome;
import dev.vouch.server.manager.Host;
import dev.vouch.server.monitor.FlavorStore;
import dev.vouch.server.monitor.HostVerifier;
import dev.vouch.server.monitor.ServerIdentity;
import dev.vouch.server.monitor.TrustReportStore;
import dev.vouch.server.registrar.EkTrust;
import dev.vouch.server.registrar.EnrollmentChallenge;
import dev.vouch.server.registrar.EnrollmentRequest;
import dev.vouch.server.registrar.Registrar;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.JdbcEnrollmentStore;
import dev.vouch.server.store.Sealer;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Part 3 of {@code vouch demo}: continuous host monitoring on a live swtpm, with the server's own
 * parts over an H2 database in a temporary directory: enrollment by credential activation against
 * swtpm's EK certificate, golden flavors on first use, a signed trust report checked against the
 * report CA, tampering caught, and a reboot whose new measurements become golden.
 */
final class DemoMonitoring {
  private static final String HOST = "demo-host";

  // held so the levels stick: the demo prints its own story, the components' logs would drown it
  private static final java.util.logging.Logger JUL =
      java.util.logging.Logger.getLogger("dev.vouch");

  private DemoMonitoring() {}

  private static void quietLogs() {
    JUL.setLevel(java.util.logging.Level.WARNING);
    if (org.slf4j.LoggerFactory.getLogger("dev.vouch") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(ch.qos.logback.classic.Level.WARN);
    }
  }

  static boolean run(PrintWriter out, byte[] firmwareLog) throws Exception {
    out.println();
    out.println(
        "3. Continuous monitoring: golden flavors, signed trust reports, tampering, reboot");
    if (!SoftwareTpm.installed()) {
      out.println("   swtpm is not installed: skipped (apt-get install swtpm swtpm-tools)");
      return true;
    }
    Optional<EkTrust> ekRoots = swtpmLocalCa();
    if (ekRoots.isEmpty()) {
      out.println("   swtpm's local CA (/var/lib/swtpm-localca) is not readable: skipped");
      return true;
    }
    quietLogs();
    Path dir = Files.createTempDirectory("vouch-demo-monitor");
    Path state = dir.resolve("tpm");
    SoftwareTpm.manufacture(state, null);
    Path log = dir.resolve("binary_bios_measurements");
    Files.write(log, firmwareLog);
    Files.createDirectories(dir.resolve("root/etc"));
    Files.writeString(
        dir.resolve("root/etc/os-release"), "NAME=\"Vouch Demo OS\"\nVERSION_ID=\"1.0\"\n");
    Clock clock = Clock.systemUTC();
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    try (SoftwareTpm swtpm = SoftwareTpm.start(state, false);
        TpmClient tpm = swtpm.client();
        Database db = Database.open(Database.h2Url(dir), Optional.empty(), Optional.empty(), 2)) {
      SoftwareTpm.measureFirmware(tpm, firmwareLog);
      Sealer sealer = new Sealer(kek);
      JdbcEnrollmentStore enrollments = new JdbcEnrollmentStore(db, sealer);
      Registrar registrar =
          new Registrar(
              ekRoots.get(), enrollments, clock, Duration.ofSeconds(60), new SecureRandom());
      PersistentKey ak = Enrollment.withDefaults(tpm).enroll(HOST, inProcess(registrar));
      out.println(
          "   enrolled: EK certificate chains to swtpm's CA, AK proven by credential activation");
      TrustAgent agent =
          new TrustAgent(
              new TrustAgentConfig(HOST, log, dir.resolve("no-ima"), dir.resolve("root")), tpm, ak);
      ServerIdentity identity = ServerIdentity.loadOrCreate(db, sealer, clock);
      FlavorStore flavors = new FlavorStore(db);
      HostVerifier verifier =
          new HostVerifier(
              new HostAttestor(
                  enrollments,
                  (id, request) -> {
                    try {
                      return agent.quote(request);
                    } catch (dev.vouch.agent.tpm.TpmException | java.io.IOException e) {
                      throw new dev.vouch.server.hosts.AgentException("TPM: " + e.getMessage(), e);
                    }
                  },
                  QuotePlan.firmware(),
                  clock,
                  new SecureRandom()),
              flavors,
              new TrustReportStore(db),
              identity,
              HostVerifier.Settings.defaults(),
              clock);
      Host host =
          new Host(
              HOST,
              "default",
              "in-process",
              HostStatus.UNKNOWN,
              OptionalLong.empty(),
              clock.instant(),
              Optional.empty(),
              Optional.empty(),
              Optional.empty(),
              Optional.empty());
      TrustReportStore reports = new TrustReportStore(db);

      AttestationOutcome first = verifier.attest(host);
      out.printf(
          "   first attestation: %s; golden flavors %s%n",
          first.status(), flavors.audit(HOST).getLast().reason());
      String jws = reports.get(UUID.fromString(first.reportId().orElseThrow())).orElseThrow().jws();
      TrustReport report =
          TrustReports.verifyWithoutRevocation(jws, List.of(identity.ca()), clock.instant())
              .report();
      out.printf(
          "   trust report %s...: signature VALID against the report CA, overall trust %s,"
              + " Secure Boot %s%n",
          report.id().toString().substring(0, 8),
          report.overall(),
          report.secureBoot().map(b -> b ? "on" : "off").orElse("not shown"));

      tpm.pcrExtend(1, Map.of(HashAlg.SHA256, HashAlg.SHA256.digest(bytes("tampered"))));
      AttestationOutcome tampered = verifier.attest(host);
      out.printf(
          "   after an unexpected extend of PCR 1: %s (%s)%n",
          tampered.status(), tampered.reasons().get(0).split(":")[0]);

      swtpm.powerCycle();
      tpm.startup(StartupType.CLEAR);
      SoftwareTpm.measureFirmware(tpm, firmwareLog);
      AttestationOutcome rebooted = verifier.attest(host);
      out.printf(
          "   after a reboot: %s; %s%n", rebooted.status(), flavors.audit(HOST).getLast().reason());
      boolean ok =
          first.status() == HostStatus.VERIFIED
              && report.overall()
              && tampered.status() == HostStatus.ATTESTATION_FAILED
              && rebooted.status() == HostStatus.VERIFIED;
      if (!ok) {
        out.println("   UNEXPECTED: " + first + " / " + tampered + " / " + rebooted);
      }
      return ok;
    } finally {
      SoftwareTpm.deleteTree(dir);
    }
  }

  /** swtpm_localca's root and issuing certificates, when this user may read them. */
  private static Optional<EkTrust> swtpmLocalCa() {
    try {
      List<Path> ca = SoftwareTpm.localCaCertificates();
      // swtpm's local CA cannot sign CRLs (keyCertSign only): revocation is off, explicitly
      return Optional.of(
          EkTrust.withoutRevocation(List.of(pem(ca.get(0))), List.of(pem(ca.get(1)))));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private static X509Certificate pem(Path p) throws Exception {
    try (InputStream in = Files.newInputStream(p)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static Enrollment.RegistrarClient inProcess(Registrar r) {
    return new Enrollment.RegistrarClient() {
      @Override
      public Enrollment.Challenge begin(String hostId, Enrollment.Material m) throws Exception {
        EnrollmentChallenge c =
            r.begin(new EnrollmentRequest(hostId, m.ekPublic(), m.ekCertificate(), m.akPublic()));
        return new Enrollment.Challenge(c.id(), c.credentialBlob(), c.encryptedSecret());
      }

      @Override
      public void complete(String challengeId, byte[] secret) throws Exception {
        r.complete(challengeId, secret);
      }
    };
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
