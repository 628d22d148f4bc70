package dev.vouch.cli;

import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.SoftwareTpm;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.agent.trust.TrustAgent;
import dev.vouch.agent.trust.TrustAgentConfig;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.GoldenFlavors;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Part 3 of {@code vouch demo}: continuous host monitoring on a live swtpm, with the server's own
 * parts over an H2 database in a temporary directory: enrollment by credential activation against
 * swtpm's EK certificate, golden flavors on first use, a signed trust report checked against the
 * report CA, tampering caught, a failed host whose agent breaks staying failed, a reboot into
 * changed firmware that TOFU adopts but reports as a changed baseline, and the same reboot refused
 * once the administrator has approved the platform's flavors, and under strict mode.
 */
final class DemoMonitoring {
  private static final String HOST = "demo-host";

  // held so the levels stick: the demo prints its own story, the components' logs would drown it
  private static final java.util.logging.Logger JUL =
      java.util.logging.Logger.getLogger("dev.vouch");

  private static final java.util.logging.Logger JUL_SERVER =
      java.util.logging.Logger.getLogger("dev.vouch.server");

  private DemoMonitoring() {}

  static void quietLogs() {
    JUL.setLevel(java.util.logging.Level.WARNING);
    if (org.slf4j.LoggerFactory.getLogger("dev.vouch") instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    // the demo's server has no EK roots on purpose (part 4 enrolls no host): its start-up warning
    // about that is right for an operator and noise here
    JUL_SERVER.setLevel(java.util.logging.Level.SEVERE);
    if (org.slf4j.LoggerFactory.getLogger("dev.vouch.server")
        instanceof ch.qos.logback.classic.Logger l) {
      l.setLevel(ch.qos.logback.classic.Level.ERROR);
    }
  }

  static boolean run(PrintWriter out, byte[] firmwareLog) throws Exception {
    if (!SoftwareTpm.installed()) {
      out.println("   swtpm is not installed: " + DemoCommand.INSTALL_HINT);
      return true;
    }
    Optional<EkTrust> ekRoots = swtpmLocalCa();
    if (ekRoots.isEmpty()) {
      // enrollment needs the CA that signed swtpm's EK certificates; without it nothing enrolls
      out.println(
          "   swtpm's local CA (/var/lib/swtpm-localca) is not readable by this user: run the demo"
              + " as root, or 'sudo chmod -R a+rX /var/lib/swtpm-localca'");
      return false;
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
      TrustReportStore reports = new TrustReportStore(db);
      java.util.concurrent.atomic.AtomicBoolean agentBroken =
          new java.util.concurrent.atomic.AtomicBoolean();
      HostAttestor attestor =
          new HostAttestor(
              enrollments,
              (id, request) -> {
                if (agentBroken.get()) {
                  throw new dev.vouch.server.hosts.AgentException("TPM link dead");
                }
                try {
                  return agent.quote(request);
                } catch (dev.vouch.agent.tpm.TpmException | java.io.IOException e) {
                  throw new dev.vouch.server.hosts.AgentException("TPM: " + e.getMessage(), e);
                }
              },
              QuotePlan.firmware(),
              clock,
              new SecureRandom());
      HostVerifier verifier =
          new HostVerifier(
              attestor, flavors, reports, identity, HostVerifier.Settings.defaults(), clock);

      AttestationOutcome first = verifier.attest(host(HostStatus.UNKNOWN, Optional.empty()));
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
      AttestationOutcome tampered = verifier.attest(host(first.status(), first.reportId()));
      String failedReport =
          reports.get(UUID.fromString(tampered.reportId().orElseThrow())).orElseThrow().jws();
      TrustReport failure =
          TrustReports.verifyWithoutRevocation(
                  failedReport, List.of(identity.ca()), clock.instant())
              .report();
      out.printf(
          "   after an unexpected extend of PCR 1: %s (%s); its signed report says overall trust"
              + " %s%n",
          tampered.status(), tampered.reasons().get(0).split(":")[0], failure.overall());

      agentBroken.set(true);
      AttestationOutcome broken = verifier.attest(host(tampered.status(), tampered.reportId()));
      agentBroken.set(false);
      out.printf(
          "   the failed host's agent breaks: still %s (%s), failed report kept: %s%n",
          broken.status(),
          broken.reasons().get(0).split(":")[0],
          broken.reportId().equals(tampered.reportId()));

      // TOFU: a reboot into changed firmware becomes golden, but the change is reported
      byte[] changedFirmware =
          withPlatformConfigEvent(firmwareLog, "demo: firmware setting changed");
      reboot(swtpm, tpm, log, changedFirmware);
      AttestationOutcome rebooted = verifier.attest(host(broken.status(), broken.reportId()));
      out.printf(
          "   after a reboot into changed firmware (TOFU): %s; baseline-changed event: %s%n",
          rebooted.status(), rebooted.baseline().map(b -> b.describe()).orElse("none"));

      // the administrator approves the genuine platform: TOFU no longer adopts another one
      reboot(swtpm, tpm, log, firmwareLog);
      verifier.flavorsFromHost(HOST, java.util.EnumSet.of(FlavorPart.PLATFORM));
      AttestationOutcome genuine = verifier.attest(host(rebooted.status(), rebooted.reportId()));
      reboot(swtpm, tpm, log, changedFirmware);
      AttestationOutcome refused = verifier.attest(host(genuine.status(), genuine.reportId()));
      out.printf(
          "   with an approved PLATFORM flavor, the genuine firmware is %s and the changed one %s"
              + " (golden flavors %s)%n",
          genuine.status(), refused.status(), flavors.audit(HOST).getLast().action());

      // strict mode, the production setting: only approved flavors count, nothing is adopted
      HostVerifier strict =
          new HostVerifier(
              attestor,
              flavors,
              reports,
              identity,
              HostVerifier.Settings.defaults().withMode(GoldenFlavors.Mode.STRICT),
              clock);
      AttestationOutcome strictChanged = strict.attest(host(refused.status(), refused.reportId()));
      reboot(swtpm, tpm, log, firmwareLog);
      AttestationOutcome strictGenuine =
          strict.attest(host(strictChanged.status(), strictChanged.reportId()));
      out.printf(
          "   strict mode (production): changed firmware %s, genuine firmware %s%n",
          strictChanged.status(), strictGenuine.status());
      boolean ok =
          first.status() == HostStatus.VERIFIED
              && report.overall()
              && tampered.status() == HostStatus.ATTESTATION_FAILED
              && !failure.overall()
              && broken.status() == HostStatus.ATTESTATION_FAILED
              && broken.reportId().equals(tampered.reportId())
              && rebooted.status() == HostStatus.VERIFIED
              && rebooted.baseline().isPresent()
              && genuine.status() == HostStatus.VERIFIED
              && refused.status() == HostStatus.ATTESTATION_FAILED
              && strictChanged.status() == HostStatus.ATTESTATION_FAILED
              && strictGenuine.status() == HostStatus.VERIFIED;
      if (!ok) {
        out.println(
            "   UNEXPECTED: "
                + List.of(
                    first,
                    tampered,
                    broken,
                    rebooted,
                    genuine,
                    refused,
                    strictChanged,
                    strictGenuine));
      }
      return ok;
    } finally {
      SoftwareTpm.deleteTree(dir);
    }
  }

  private static Host host(HostStatus status, Optional<String> lastReport) {
    return new Host(
        HOST,
        "default",
        "in-process",
        status,
        OptionalLong.empty(),
        Instant.now(),
        Optional.empty(),
        Optional.empty(),
        lastReport.map(r -> Instant.now()),
        lastReport);
  }

  /**
   * An orderly reboot: TPM2_Shutdown(CLEAR), power cycle, TPM2_Startup(CLEAR), the firmware
   * measures {@code firmware}, the log is saved. (Repeated power loss without a shutdown counts
   * against the TPM's dictionary-attack protection and ends in lockout.)
   */
  private static void reboot(SoftwareTpm swtpm, TpmClient tpm, Path logFile, byte[] firmware)
      throws Exception {
    tpm.shutdown(StartupType.CLEAR);
    swtpm.powerCycle();
    tpm.startup(StartupType.CLEAR);
    SoftwareTpm.measureFirmware(tpm, firmware);
    Files.write(logFile, firmware);
  }

  /** The log with one more EV_PLATFORM_CONFIG_FLAGS event in PCR 1, digested in every bank. */
  private static byte[] withPlatformConfigEvent(byte[] log, String text) throws Exception {
    byte[] data = bytes(text);
    List<HashAlg> banks = dev.vouch.evidence.tpm.eventlog.TcgEventLog.parse(log).banks();
    int digests = banks.stream().mapToInt(a -> 2 + a.size()).sum();
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(log.length + 4 + 4 + 4 + digests + 4 + data.length)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.put(log);
    b.putInt(1).putInt(0x0a).putInt(banks.size());
    for (HashAlg a : banks) {
      b.putShort((short) a.tpmId()).put(a.digest(data));
    }
    b.putInt(data.length).put(data);
    return b.array();
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
