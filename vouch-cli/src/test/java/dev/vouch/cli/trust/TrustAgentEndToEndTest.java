package dev.vouch.cli.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.tpm.EkTemplate;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.Tools;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.agent.trust.HttpsAgentServer;
import dev.vouch.agent.trust.NatsAgentService;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.agent.trust.TestPki;
import dev.vouch.agent.trust.Tls;
import dev.vouch.agent.trust.TrustAgent;
import dev.vouch.agent.trust.TrustAgentConfig;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import dev.vouch.server.hosts.AgentChannel;
import dev.vouch.server.hosts.AgentException;
import dev.vouch.server.hosts.AnnouncementListener;
import dev.vouch.server.hosts.HostAttestation;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.HttpsAgentChannel;
import dev.vouch.server.hosts.NatsAgentChannel;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.registrar.EkTrust;
import dev.vouch.server.registrar.EnrolledHost;
import dev.vouch.server.registrar.EnrollmentChallenge;
import dev.vouch.server.registrar.EnrollmentError;
import dev.vouch.server.registrar.EnrollmentException;
import dev.vouch.server.registrar.EnrollmentRequest;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import dev.vouch.server.registrar.Registrar;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3 end to end on real swtpm instances, tpm2-tools and nats-server: enrollment by credential
 * activation against the swtpm local CA, a firmware event log's digests extended into PCRs 0-7,
 * quotes through the Java client served over HTTPS (mutual TLS) and NATS, and the verifier's checks
 * with each way an answer can be wrong.
 */
class TrustAgentEndToEndTest {
  private static final String LOG_RESOURCE =
      "/vectors/tpm-eventlog/keylime/binary_bios_measurements-secureboot";
  private static final int EV_NO_ACTION = 3;

  /** Host A: enrolled as "host-a", PCRs 0-7 hold the firmware log. */
  static Swtpm swtpmA;

  static TpmClient tpmA;
  static TrustAgent agentA;
  static Enrollment enrollmentA;

  /** Host B: another TPM, enrolled as "host-b". */
  static Swtpm swtpmB;

  static TpmClient tpmB;
  static TrustAgent agentB;

  static Path dir;
  static byte[] eventLog;
  static InMemoryEnrollmentStore store;
  static Registrar registrar;
  static EkTrust swtpmRoots;
  static TestPki pki;
  static SSLContext verifierTls;
  static HttpsAgentServer httpsA;

  @BeforeAll
  static void startHosts() throws Exception {
    dir = Files.createTempDirectory("vouch-e2e-");
    try (InputStream in = TrustAgentEndToEndTest.class.getResourceAsStream(LOG_RESOURCE)) {
      eventLog = in.readAllBytes();
    }
    Files.write(dir.resolve("binary_bios_measurements"), eventLog);
    Files.createDirectories(dir.resolve("root/etc"));
    Files.createDirectories(dir.resolve("root/proc/sys/kernel"));
    Files.writeString(
        dir.resolve("root/etc/os-release"), "NAME=\"Vouch Test OS\"\nVERSION_ID=\"1.0\"\n");
    Files.writeString(dir.resolve("root/proc/sys/kernel/osrelease"), "6.1.0-test\n");

    // swtpm's local CA cannot sign CRLs (keyCertSign only)
    swtpmRoots = EkTrust.withoutRevocation(List.of(pem(0)), List.of(pem(1)));
    store = new InMemoryEnrollmentStore();
    registrar =
        new Registrar(
            swtpmRoots, store, Clock.systemUTC(), Duration.ofSeconds(60), new SecureRandom());

    swtpmA = Swtpm.start();
    tpmA = swtpmA.client();
    extendFirmwareLog(tpmA);
    enrollmentA = Enrollment.withDefaults(tpmA);
    PersistentKey akA = enrollmentA.enroll("host-a", inProcess(registrar));
    agentA = new TrustAgent(config("host-a"), tpmA, akA);

    swtpmB = Swtpm.start();
    tpmB = swtpmB.client();
    extendFirmwareLog(tpmB);
    PersistentKey akB = Enrollment.withDefaults(tpmB).enroll("host-b", inProcess(registrar));
    agentB = new TrustAgent(config("host-b"), tpmB, akB);

    pki = TestPki.create("Vouch test CA");
    TestPki.Issued agentCert = pki.issueTls("agent host-a");
    TestPki.Issued verifierCert = pki.issueTls("verifier");
    httpsA =
        HttpsAgentServer.start(
            agentA,
            new InetSocketAddress("127.0.0.1", 0),
            Tls.context(
                agentCert.keys().getPrivate(),
                List.of(agentCert.certificate()),
                List.of(pki.certificate())));
    verifierTls =
        Tls.context(
            verifierCert.keys().getPrivate(),
            List.of(verifierCert.certificate()),
            List.of(pki.certificate()));
  }

  @AfterAll
  static void stopHosts() throws Exception {
    if (httpsA != null) {
      httpsA.close();
    }
    for (TpmClient c : new TpmClient[] {tpmA, tpmB}) {
      if (c != null) {
        c.close();
      }
    }
    for (Swtpm s : new Swtpm[] {swtpmA, swtpmB}) {
      if (s != null) {
        s.close();
      }
    }
    if (dir != null) {
      Swtpm.deleteTree(dir);
    }
  }

  // ---------------------------------------------------------------- helpers

  private static X509Certificate pem(int which) throws Exception {
    Path p = Swtpm.localCaCertificates().get(which);
    try (InputStream in = Files.newInputStream(p)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static X509Certificate der(byte[] der) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  /** Extends every measured event of PCRs 0-9 into the SHA-256 bank, as firmware would. */
  private static void extendFirmwareLog(TpmClient tpm) throws Exception {
    assertThat(TcgEventLog.parse(eventLog).startupLocality()).isZero(); // swtpm's PCR 0 starts at 0
    dev.vouch.agent.tpm.SoftwareTpm.measureFirmware(tpm, eventLog);
  }

  private static TrustAgentConfig config(String hostId) {
    return new TrustAgentConfig(
        hostId,
        dir.resolve("binary_bios_measurements"),
        dir.resolve("no-ima-here"),
        dir.resolve("root"));
  }

  private static Enrollment.RegistrarClient inProcess(Registrar r) {
    return dev.vouch.server.monitor.SwtpmHost.inProcess(r);
  }

  private static HostAttestor attestor(AgentChannel channel) {
    return new HostAttestor(
        store, channel, QuotePlan.firmware(), Clock.systemUTC(), new SecureRandom());
  }

  private static HttpsAgentChannel https(SSLContext tls) {
    return new HttpsAgentChannel(
        tls,
        host ->
            host.equals("host-a")
                ? Optional.of(URI.create("https://127.0.0.1:" + httpsA.port()))
                : Optional.empty(),
        Duration.ofSeconds(10));
  }

  private static QuoteRequest firmwareRequest(byte[] nonce) {
    SortedSet<Integer> regs = new TreeSet<>(List.of(0, 1, 2, 3, 4, 5, 6, 7));
    return new QuoteRequest(nonce, Map.of(HashAlg.SHA256, regs), true, OptionalLong.empty());
  }

  /** A channel that answers with what {@code agent} says, optionally rewritten. */
  private interface Rewrite {
    QuoteResponse apply(QuoteResponse r) throws Exception;
  }

  private static AgentChannel direct(TrustAgent agent, Rewrite rewrite) {
    return (host, request) -> {
      try {
        return rewrite.apply(agent.quote(request));
      } catch (VerificationException | AgentException e) {
        throw e;
      } catch (Exception e) {
        throw new AgentException(e.getMessage(), e);
      }
    };
  }

  private static void assertFailure(ThrowingCall call, Failure failure) {
    assertThatThrownBy(call::run)
        .isInstanceOf(VerificationException.class)
        .satisfies(e -> assertThat(((VerificationException) e).failure()).isEqualTo(failure));
  }

  private static void assertEnrollmentError(ThrowingCall call, EnrollmentError error) {
    assertThatThrownBy(call::run)
        .isInstanceOf(EnrollmentException.class)
        .satisfies(e -> assertThat(((EnrollmentException) e).error()).isEqualTo(error));
  }

  private interface ThrowingCall {
    void run() throws Exception;
  }

  // ---------------------------------------------------------------- enrollment

  @Test
  void enrollmentRecordsTheAkThatTheTpmHoldsForTheCertifiedEk() throws Exception {
    EnrolledHost host = registrar.host("host-a").orElseThrow();
    assertThat(host.akName()).isEqualTo(enrollmentA.ak().name());
    byte[] cert = tpmA.readEkCertificate(EkTemplate.RSA_2048);
    assertThat(host.ekCertificateSha256()).isEqualTo(Hex.encode(HashAlg.SHA256.digest(cert)));
    assertThat(tpmA.transientHandles()).as("enrollment leaks no transient object").isEmpty();
    assertThat(tpmA.loadedSessions()).as("enrollment leaks no session").isEmpty();
  }

  @Test
  void ekCertificateFromAnUntrustedRootIsRefused() throws Exception {
    Enrollment.Material m = enrollmentA.prepare();
    TestPki other = TestPki.create("Not a TPM vendor");
    Registrar strict =
        new Registrar(
            EkTrust.withoutRevocation(List.of(other.certificate()), List.of()),
            new InMemoryEnrollmentStore(),
            Clock.systemUTC(),
            Duration.ofSeconds(60),
            new SecureRandom());
    assertEnrollmentError(
        () ->
            strict.begin(
                new EnrollmentRequest("host-a", m.ekPublic(), m.ekCertificate(), m.akPublic())),
        EnrollmentError.EK_CHAIN_UNTRUSTED);
  }

  @Test
  void forgedEkCertificateForTheRealEkIsRefused() throws Exception {
    Enrollment.Material m = enrollmentA.prepare();
    X509Certificate real = der(m.ekCertificate());
    byte[] forged = TestPki.create("Forger").issueFor(real.getPublicKey(), "ek").getEncoded();
    assertEnrollmentError(
        () -> registrar.begin(new EnrollmentRequest("host-a", m.ekPublic(), forged, m.akPublic())),
        EnrollmentError.EK_CHAIN_UNTRUSTED);
  }

  @Test
  void ekCertificateOfAnotherKeyIsRefused() throws Exception {
    Enrollment.Material m = enrollmentA.prepare();
    byte[] p384Cert = tpmA.readEkCertificate(EkTemplate.ECC_NIST_P384);
    assertEnrollmentError(
        () ->
            registrar.begin(new EnrollmentRequest("host-a", m.ekPublic(), p384Cert, m.akPublic())),
        EnrollmentError.EK_KEY_MISMATCH);
  }

  @Test
  void keyThatIsNotARestrictedSigningKeyIsRefusedAsAk() throws Exception {
    Enrollment.Material m = enrollmentA.prepare();
    assertEnrollmentError(
        () ->
            registrar.begin(
                new EnrollmentRequest("host-a", m.ekPublic(), m.ekCertificate(), m.ekPublic())),
        EnrollmentError.AK_NOT_RESTRICTED_SIGNING);
  }

  @Test
  void akThatIsNotInTheTpmCannotBeActivatedAndAGuessIsRefusedOnce() throws Exception {
    Enrollment.Material a = enrollmentA.prepare();
    byte[] foreignAk = Enrollment.withDefaults(tpmB).prepare().akPublic();
    EnrollmentChallenge c =
        registrar.begin(
            new EnrollmentRequest("host-a", a.ekPublic(), a.ekCertificate(), foreignAk));
    // host A's TPM holds its own AK, not the one named in the credential
    assertThatThrownBy(
            () ->
                enrollmentA.activate(
                    new Enrollment.Challenge(c.id(), c.credentialBlob(), c.encryptedSecret())))
        .isInstanceOf(TpmException.class)
        .hasMessageContaining("TPM2_ActivateCredential");
    assertThat(tpmA.transientHandles()).isEmpty();
    assertEnrollmentError(
        () -> registrar.complete(c.id(), new byte[32]), EnrollmentError.ACTIVATION_FAILED);
    assertEnrollmentError(
        () -> registrar.complete(c.id(), new byte[32]), EnrollmentError.CHALLENGE_REPLAYED);
    // the enrolled AK is unchanged
    assertThat(registrar.host("host-a").orElseThrow().akName()).isEqualTo(enrollmentA.ak().name());
  }

  @Test
  void activationCannotBeReplayedNorAnsweredAfterExpiry() throws Exception {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    Clock clock =
        new Clock() {
          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now.get();
          }
        };
    Registrar timed =
        new Registrar(
            swtpmRoots,
            new InMemoryEnrollmentStore(),
            clock,
            Duration.ofSeconds(60),
            new SecureRandom());
    Enrollment.Material m = enrollmentA.prepare();
    EnrollmentRequest req =
        new EnrollmentRequest("host-a", m.ekPublic(), m.ekCertificate(), m.akPublic());

    EnrollmentChallenge first = timed.begin(req);
    byte[] secret =
        enrollmentA.activate(
            new Enrollment.Challenge(first.id(), first.credentialBlob(), first.encryptedSecret()));
    assertThat(timed.complete(first.id(), secret).hostId()).isEqualTo("host-a");
    assertEnrollmentError(
        () -> timed.complete(first.id(), secret), EnrollmentError.CHALLENGE_REPLAYED);

    EnrollmentChallenge second = timed.begin(req);
    byte[] secret2 =
        enrollmentA.activate(
            new Enrollment.Challenge(
                second.id(), second.credentialBlob(), second.encryptedSecret()));
    now.set(now.get().plusSeconds(61));
    assertEnrollmentError(
        () -> timed.complete(second.id(), secret2), EnrollmentError.CHALLENGE_EXPIRED);
    assertEnrollmentError(
        () -> timed.complete("00".repeat(16), secret2), EnrollmentError.CHALLENGE_UNKNOWN);
  }

  // ---------------------------------------------------------------- attestation over HTTPS

  @Test
  void quoteAndFirmwareLogServedOverHttpsAreAcceptedByTheVerifier() throws Exception {
    HostAttestor attestor = attestor(https(verifierTls));
    HostAttestation a = attestor.attest("host-a");
    assertThat(a.eventLogVerified()).isTrue();
    assertThat(a.pcrs().indexes(HashAlg.SHA256)).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12);
    assertThat(a.pcrs().get(HashAlg.SHA256, 7))
        .contains(TcgEventLog.parse(eventLog).replay().get(HashAlg.SHA256, 7).orElseThrow());
    assertThat(a.secureBoot()).isPresent();
    assertThat(a.host().osName()).isEqualTo("Vouch Test OS");
    assertThat(a.host().kernel()).isEqualTo("6.1.0-test");
    assertThat(a.host().tpmManufacturer()).isEqualTo("IBM");
  }

  @Test
  void rebootShowsAsAGrownResetCountInTheNextAttestation() throws Exception {
    HostAttestor attestor = attestor(direct(agentB, r -> r));
    HostAttestation before = attestor.attest("host-b");
    swtpmB.powerCycle();
    assertThat(tpmB.startup(dev.vouch.agent.tpm.StartupType.CLEAR)).isTrue();
    extendFirmwareLog(tpmB); // the firmware measures the same boot again
    HostAttestation after = attestor.attest("host-b");
    assertThat(after.resetCount()).isGreaterThan(before.resetCount());
    assertThat(after.eventLogVerified()).isTrue();
  }

  @Test
  void quoteTakenByTheJavaClientPassesTpm2Checkquote(@TempDir Path tmp) throws Exception {
    byte[] nonce = new SecureRandom().generateSeed(20);
    QuoteResponse r = agentB.quote(firmwareRequest(nonce));
    TpmEvidenceBundle.Quote q = r.evidence().quotes().getFirst();
    Files.writeString(tmp.resolve("ak.pem"), Tools.pem(r.evidence().ak().publicKey()));
    Files.write(tmp.resolve("quote.msg"), q.attest());
    Files.write(tmp.resolve("quote.sig"), q.signature());
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i <= 7; i++) {
      values.add(r.evidence().pcrs().get(HashAlg.SHA256, i).orElseThrow());
    }
    Files.write(
        tmp.resolve("pcrs.bin"),
        Tools.serializedPcrs(PcrSelection.range(HashAlg.SHA256, 0, 7), values));
    Tools.Result ok =
        Tools.run(
            tmp,
            "tpm2_checkquote",
            "-u",
            "ak.pem",
            "-m",
            "quote.msg",
            "-s",
            "quote.sig",
            "-f",
            "pcrs.bin",
            "-g",
            "sha256",
            "-q",
            Hex.encode(nonce));
    assertThat(ok.exitCode()).as(ok.output()).isZero();
  }

  @Test
  void imaListIsReplayedAgainstTheQuotedPcr10AndATruncatedListIsRejected() throws Exception {
    byte[] list;
    try (InputStream in =
        TrustAgentEndToEndTest.class.getResourceAsStream(
            "/vectors/ima/rust-keylime/ascii_runtime_measurements.binary_runtime_measurements")) {
      list = in.readAllBytes();
    }
    ImaLog ima = ImaLog.parseBinary(list);
    // the kernel's per-bank extends: the SHA-256 of each template, all ones for a violation
    byte[] cur =
        tpmB.pcrRead(List.of(PcrSelection.of(HashAlg.SHA256, 10)))
            .get(HashAlg.SHA256, 10)
            .orElseThrow();
    assertThat(cur).isEqualTo(new byte[32]);
    dev.vouch.agent.tpm.SoftwareTpm.measureIma(tpmB, list);
    Path imaFile = dir.resolve("ima-b");
    Files.write(imaFile, list);
    TrustAgent withIma =
        new TrustAgent(
            new TrustAgentConfig(
                "host-b", dir.resolve("binary_bios_measurements"), imaFile, dir.resolve("root")),
            tpmB,
            Enrollment.withDefaults(tpmB).ak());
    HostAttestor attestor =
        new HostAttestor(
            store,
            direct(withIma, r -> r),
            QuotePlan.firmwareAndIma(),
            Clock.systemUTC(),
            new SecureRandom());
    HostAttestation a = attestor.attest("host-b");
    assertThat(a.imaEntriesQuoted()).hasValue(ima.size());
    assertThat(a.eventLogVerified()).isTrue();

    // an agent that hides the last measurement
    byte[] shorter = ima.prefix(ima.size() - 1).toBinary();
    HostAttestor hiding =
        new HostAttestor(
            store,
            direct(
                withIma,
                r ->
                    new QuoteResponse(
                        r.hostId(),
                        new TpmEvidenceBundle(
                            r.evidence().ak(),
                            Optional.empty(),
                            List.of(),
                            r.evidence().quotes(),
                            r.evidence().pcrs(),
                            r.evidence().eventLog(),
                            Optional.of(shorter),
                            Optional.empty()),
                        r.host(),
                        0)),
            QuotePlan.firmwareAndIma(),
            Clock.systemUTC(),
            new SecureRandom());
    assertFailure(() -> hiding.attest("host-b"), Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void answerWithAStaleNonceIsRejected() throws Exception {
    QuoteResponse old = agentB.quote(firmwareRequest(new byte[32]));
    HostAttestor attestor = attestor(direct(agentB, r -> old));
    assertFailure(() -> attestor.attest("host-b"), Failure.NONCE_MISMATCH);
  }

  @Test
  void answerFromAnotherHostIsRejected() throws Exception {
    // B's agent answers in its own name
    assertFailure(() -> attestor(direct(agentB, r -> r)).attest("host-a"), Failure.KEY_MISMATCH);
    // B's answer relabelled as A's still carries B's AK
    assertFailure(
        () ->
            attestor(
                    direct(
                        agentB,
                        r -> new QuoteResponse("host-a", r.evidence(), r.host(), r.imaOffset())))
                .attest("host-a"),
        Failure.KEY_MISMATCH);
    // and with A's AK put in, B's signature does not verify under A's key
    byte[] akA = enrollmentA.ak().publicArea();
    assertFailure(
        () ->
            attestor(
                    direct(
                        agentB,
                        r ->
                            new QuoteResponse(
                                "host-a", withAk(r.evidence(), akA), r.host(), r.imaOffset())))
                .attest("host-a"),
        Failure.SIGNATURE_INVALID);
  }

  private static TpmEvidenceBundle withAk(TpmEvidenceBundle b, byte[] ak) throws Exception {
    return new TpmEvidenceBundle(
        AkKeys.parse(ak),
        b.akCert(),
        b.akChain(),
        b.quotes(),
        b.pcrs(),
        b.eventLog(),
        b.imaLog(),
        b.imaLogAscii());
  }

  @Test
  void eventLogThatDoesNotReplayToTheQuotedPcrsIsRejected() throws Exception {
    TcgEventLog log = TcgEventLog.parse(eventLog);
    TcgEvent victim =
        log.events().stream()
            .filter(e -> e.header().pcr() == 4 && e.header().type() != EV_NO_ACTION)
            .reduce((x, y) -> y)
            .orElseThrow();
    byte[] tampered = eventLog.clone();
    // crypto-agile entry: PCR, type, digest count, algorithm id, then the SHA-256 digest
    tampered[victim.header().offset() + 14] ^= 1;
    HostAttestor attestor =
        attestor(
            direct(
                agentB,
                r ->
                    new QuoteResponse(
                        r.hostId(),
                        new TpmEvidenceBundle(
                            r.evidence().ak(),
                            Optional.empty(),
                            List.of(),
                            r.evidence().quotes(),
                            r.evidence().pcrs(),
                            Optional.of(tampered),
                            Optional.empty(),
                            Optional.empty()),
                        r.host(),
                        0)));
    assertFailure(() -> attestor.attest("host-b"), Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void agentRefusesClientsWithoutACertificateFromTheVerifierCa() throws Exception {
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    java.security.KeyStore anchors = java.security.KeyStore.getInstance("PKCS12");
    anchors.load(null, null);
    anchors.setCertificateEntry("ca", pki.certificate());
    tmf.init(anchors);
    SSLContext noClientCert = SSLContext.getInstance("TLS");
    noClientCert.init(null, tmf.getTrustManagers(), new SecureRandom());
    assertThatThrownBy(() -> attestor(https(noClientCert)).attest("host-a"))
        .isInstanceOf(AgentException.class)
        .hasMessageContaining("unreachable");

    TestPki stranger = TestPki.create("Stranger CA");
    TestPki.Issued strangerCert = stranger.issueTls("intruder");
    SSLContext wrongCa =
        Tls.context(
            strangerCert.keys().getPrivate(),
            List.of(strangerCert.certificate()),
            List.of(pki.certificate()));
    assertThatThrownBy(() -> attestor(https(wrongCa)).attest("host-a"))
        .isInstanceOf(AgentException.class);
  }

  // ---------------------------------------------------------------- attestation over NATS

  @Test
  @SuppressWarnings("try") // jnats Connection.close() may throw InterruptedException
  void agentAnnouncingItselfOverNatsIsAttestedAtOnce() throws Exception {
    Swtpm.requireTool("swtpm"); // same gate as the TPM tests
    try (NatsServer nats = NatsServer.start();
        Connection serverSide = Nats.connect(nats.url());
        Connection agentSide = Nats.connect(nats.url())) {
      HostAttestor attestor = attestor(new NatsAgentChannel(serverSide, Duration.ofSeconds(10)));
      CompletableFuture<HostAttestation> outcome = new CompletableFuture<>();
      try (AnnouncementListener listener =
          AnnouncementListener.start(
              serverSide,
              a ->
                  Thread.startVirtualThread(
                      () -> {
                        try {
                          outcome.complete(attestor.attest(a.hostId()));
                        } catch (Exception failure) {
                          outcome.completeExceptionally(failure);
                        }
                      }))) {
        serverSide.flush(Duration.ofSeconds(5));
        try (NatsAgentService service = NatsAgentService.start(agentB, agentSide)) {
          HostAttestation a = outcome.get(20, TimeUnit.SECONDS);
          assertThat(a.hostId()).isEqualTo("host-b");
          assertThat(a.eventLogVerified()).isTrue();
          // and on demand, as a scheduler would
          assertThat(attestor.attest("host-b").resetCount()).isEqualTo(a.resetCount());
        }
        // no agent subscribed any more: the verifier learns so at once
        assertThatThrownBy(() -> attestor.attest("host-b")).isInstanceOf(AgentException.class);
      }
    }
  }
}
