package dev.vouch.server.monitor;

import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.agent.trust.NatsAgentService;
import dev.vouch.agent.trust.TrustAgent;
import dev.vouch.agent.trust.TrustAgentConfig;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.server.registrar.EkTrust;
import dev.vouch.server.registrar.EnrollmentChallenge;
import dev.vouch.server.registrar.EnrollmentRequest;
import dev.vouch.server.registrar.EnrollmentStore;
import dev.vouch.server.registrar.Registrar;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A monitored test host: an swtpm whose PCRs 0-7 hold what its firmware event log says, enrolled
 * with the server's registrar store, and a trust agent answering the verifier over NATS. Public for
 * the CLI's end-to-end tests, which boot the very same host.
 */
public final class SwtpmHost implements AutoCloseable {
  public static final String SECURE_BOOT_LOG =
      "/vectors/tpm-eventlog/keylime-binary_bios_measurements-secureboot";
  public static final String IMA_LIST = "/vectors/ima/rust-keylime-binary_runtime_measurements";
  public static final String NO_SECURE_BOOT_LOG =
      "/vectors/tpm-eventlog/ubuntu-2104-no-secure-boot.bin";
  private static final int EV_NO_ACTION = 3;
  private static final int EV_PLATFORM_CONFIG_FLAGS = 0x0a;

  final String id;
  final Swtpm swtpm;
  final TpmClient tpm;
  final Path logFile;
  private TrustAgent agent;
  private final TrustAgentConfig config;
  private final dev.vouch.agent.tpm.KeyHandle ak;
  private final Connection nats;
  private NatsAgentService service;
  private dev.vouch.agent.trust.HttpsAgentServer https;

  private SwtpmHost(
      String id,
      Swtpm swtpm,
      TpmClient tpm,
      Path logFile,
      TrustAgentConfig config,
      dev.vouch.agent.tpm.KeyHandle ak,
      Connection nats) {
    this.config = config;
    this.ak = ak;
    TrustAgent agent = new TrustAgent(config, tpm, ak);
    this.id = id;
    this.swtpm = swtpm;
    this.tpm = tpm;
    this.logFile = logFile;
    this.agent = agent;
    this.nats = nats;
  }

  /** Boots, enrols and starts a host whose firmware measured {@code logResource}. */
  public static SwtpmHost start(
      String id, String logResource, Path dir, EnrollmentStore store, String natsUrl)
      throws Exception {
    return start(id, logResource, java.util.Optional.empty(), dir, store, natsUrl);
  }

  /**
   * The same, and when {@code imaResource} is given its kernel's IMA measured that binary list:
   * each entry extended into SHA-256 PCR 10 (all ones for a violation), as kernels since 5.1 do.
   */
  public static SwtpmHost start(
      String id,
      String logResource,
      java.util.Optional<String> imaResource,
      Path dir,
      EnrollmentStore store,
      String natsUrl)
      throws Exception {
    return start(id, logResource, imaResource, dir, store, natsUrl, log -> log, true);
  }

  /**
   * A host whose firmware measured {@code logResource} but whose agent serves {@code
   * served.apply(log)}: an attacker who edited the event log file after boot.
   */
  public static SwtpmHost startWithEditedLog(
      String id,
      String logResource,
      java.util.function.UnaryOperator<byte[]> served,
      Path dir,
      EnrollmentStore store,
      String natsUrl)
      throws Exception {
    return start(id, logResource, java.util.Optional.empty(), dir, store, natsUrl, served, true);
  }

  private static final String FILE = "file:";

  /**
   * A host whose firmware measured {@code firmwareLog} (a log a test built, e.g. a real one with an
   * entry changed and its digest recomputed) and whose agent serves {@code served.apply(log)}.
   */
  public static SwtpmHost startWithLog(
      String id,
      byte[] firmwareLog,
      java.util.function.UnaryOperator<byte[]> served,
      Path dir,
      EnrollmentStore store,
      String natsUrl)
      throws Exception {
    Path file = Files.createTempFile(dir, id, ".log");
    Files.write(file, firmwareLog);
    return startWithEditedLog(id, FILE + file, served, dir, store, natsUrl);
  }

  /**
   * A host whose kernel measured {@code imaResource} with a SHA-256 boot_aggregate entry of another
   * machine's PCRs 0-7 (it then does not match this swtpm's).
   */
  public static SwtpmHost startWithForeignBootAggregate(
      String id,
      String logResource,
      String imaResource,
      Path dir,
      EnrollmentStore store,
      String natsUrl)
      throws Exception {
    return start(
        id,
        logResource,
        java.util.Optional.of(imaResource),
        dir,
        store,
        natsUrl,
        log -> log,
        false);
  }

  private static SwtpmHost start(
      String id,
      String logResource,
      java.util.Optional<String> imaResource,
      Path dir,
      EnrollmentStore store,
      String natsUrl,
      java.util.function.UnaryOperator<byte[]> served,
      boolean bootAggregateOfThisTpm)
      throws Exception {
    Path root = dir.resolve(id);
    Files.createDirectories(root.resolve("etc"));
    Files.createDirectories(root.resolve("proc/sys/kernel"));
    Files.writeString(
        root.resolve("etc/os-release"), "NAME=\"Vouch Test OS\"\nVERSION_ID=\"1.0\"\n");
    Files.writeString(root.resolve("proc/sys/kernel/osrelease"), "6.1.0-test\n");
    Path log = root.resolve("binary_bios_measurements");
    if (logResource.startsWith(FILE)) {
      Files.copy(Path.of(logResource.substring(FILE.length())), log);
    } else {
      try (InputStream in = SwtpmHost.class.getResourceAsStream(logResource)) {
        Files.write(log, in.readAllBytes());
      }
    }
    Swtpm swtpm = Swtpm.start();
    TpmClient tpm = swtpm.client();
    byte[] measured = Files.readAllBytes(log);
    measure(tpm, measured);
    Files.write(log, served.apply(measured.clone()));
    Path ima = root.resolve("ima");
    if (imaResource.isPresent()) {
      byte[] list;
      try (InputStream in = SwtpmHost.class.getResourceAsStream(imaResource.get())) {
        list = in.readAllBytes();
      }
      list =
          bootAggregateOfThisTpm
              ? withBootAggregate(tpm, list)
              : withBootAggregate(
                  list, HashAlg.SHA256.digest("another machine".getBytes(StandardCharsets.UTF_8)));
      Files.write(ima, list);
      dev.vouch.agent.tpm.SoftwareTpm.measureIma(tpm, list);
    }
    Registrar registrar =
        new Registrar(
            ekRoots(), store, Clock.systemUTC(), Duration.ofSeconds(60), new SecureRandom());
    PersistentKey ak = Enrollment.withDefaults(tpm).enroll(id, inProcess(registrar));
    SwtpmHost h =
        new SwtpmHost(
            id,
            swtpm,
            tpm,
            log,
            new TrustAgentConfig(id, log, ima, root),
            ak,
            Nats.connect(natsUrl));
    h.startAgent();
    return h;
  }

  /**
   * {@code list} with its first entry replaced by the boot_aggregate a kernel would write on this
   * TPM: SHA-256 over SHA-256 PCRs 0-7, as an {@code ima-ng} entry with the list's template hash.
   */
  static byte[] withBootAggregate(TpmClient tpm, byte[] list) throws Exception {
    java.util.TreeSet<Integer> regs = new java.util.TreeSet<>();
    for (int i = 0; i < 8; i++) {
      regs.add(i);
    }
    dev.vouch.evidence.tpm.PcrValues p =
        tpm.pcrRead(List.of(new dev.vouch.agent.tpm.PcrSelection(HashAlg.SHA256, regs)));
    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < 8; i++) {
      all.writeBytes(p.get(HashAlg.SHA256, i).orElseThrow());
    }
    return withBootAggregate(list, HashAlg.SHA256.digest(all.toByteArray()));
  }

  /** {@code list} with its first entry replaced by a SHA-256 boot_aggregate of {@code digest}. */
  static byte[] withBootAggregate(byte[] list, byte[] digest) throws Exception {
    dev.vouch.evidence.tpm.ima.ImaLog log = dev.vouch.evidence.tpm.ima.ImaLog.parse(list);
    int firstLen = log.prefix(1).toBinary().length;
    byte[] first =
        new dev.vouch.evidence.tpm.ima.ImaListWriter(log.templateHashAlg(), false)
            .ng(10, "sha256", digest, "boot_aggregate")
            .binary();
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    out.writeBytes(first);
    out.write(list, firstLen, list.length - firstLen);
    return out.toByteArray();
  }

  /** The kernel measures more files: {@code entries} appended to the list and PCR 10 extended. */
  public void appendIma(byte[] entries) throws Exception {
    Path ima = logFile.resolveSibling("ima");
    Files.write(ima, entries, java.nio.file.StandardOpenOption.APPEND);
    dev.vouch.agent.tpm.SoftwareTpm.measureIma(tpm, entries);
  }

  /**
   * Reboots into the same firmware with a new IMA list: power cycle, TPM2_Startup(CLEAR), the
   * firmware log measured again, {@code list} given this TPM's boot_aggregate, measured and written
   * where the agent reads it, and the agent restarted.
   */
  public void rebootWithIma(byte[] list) throws Exception {
    stopAgent();
    swtpm.powerCycle();
    tpm.startup(StartupType.CLEAR);
    measure(tpm, Files.readAllBytes(logFile));
    byte[] fixed = withBootAggregate(tpm, list);
    Files.write(logFile.resolveSibling("ima"), fixed);
    dev.vouch.agent.tpm.SoftwareTpm.measureIma(tpm, fixed);
    startAgent();
  }

  /** The registry's record of a NATS host {@code id} never attested, in the default group. */
  static dev.vouch.server.manager.Host record(String id) {
    return new dev.vouch.server.manager.Host(
        id,
        "default",
        "nats",
        dev.vouch.policy.flavor.HostStatus.UNKNOWN,
        java.util.OptionalLong.empty(),
        java.time.Instant.now(),
        java.util.Optional.empty(),
        java.util.Optional.empty(),
        java.util.Optional.empty(),
        java.util.Optional.empty());
  }

  /** Starts the agent's NATS service, which announces the host (as an agent does at boot). */
  void startAgent() throws Exception {
    service = NatsAgentService.start(agent, nats);
  }

  /** Also serves quotes over HTTPS with mutual TLS; returns the agent's URL. */
  String serveHttps(javax.net.ssl.SSLContext tls) throws Exception {
    https =
        dev.vouch.agent.trust.HttpsAgentServer.start(
            agent, new java.net.InetSocketAddress("127.0.0.1", 0), tls);
    return "https://127.0.0.1:" + https.port();
  }

  /**
   * Starts the agent again with a software manifest, as {@code vouch agent --software-manifest}
   * starts: it measures the files {@code manifest} lists into PCR 15, after whatever an earlier
   * start measured in this boot, before it answers.
   *
   * @return how many files it measured
   */
  public int restartAgentWithSoftware(Path manifest) throws Exception {
    stopAgent();
    agent =
        new TrustAgent(
            config.withSoftware(manifest, logFile.resolveSibling("software-measurements.json")),
            tpm,
            ak);
    int measured = agent.measureSoftware();
    startAgent();
    return measured;
  }

  /** Stops the agent's NATS service: the host no longer answers (a broken agent). */
  public void stopAgent() {
    if (service != null) {
      service.close();
      service = null;
    }
  }

  /** Tampering: extends a value no event in the log accounts for. */
  public void tamper(int pcr) throws Exception {
    tpm.pcrExtend(
        pcr,
        Map.of(HashAlg.SHA256, HashAlg.SHA256.digest("tampered".getBytes(StandardCharsets.UTF_8))));
  }

  /**
   * Reboots into firmware that measures one more platform-configuration event into PCR 1 (a
   * firmware setting changed): power cycle, TPM2_Startup(CLEAR), the new log measured and written
   * where the agent reads it, and the agent restarted (it announces itself).
   */
  void rebootIntoChangedFirmware() throws Exception {
    rebootIntoChangedFirmware("vouch test: firmware setting changed");
  }

  /** The same, the extra PCR 1 event's data being {@code text}. */
  void rebootIntoChangedFirmware(String text) throws Exception {
    stopAgent();
    byte[] log = withPlatformConfigEvent(Files.readAllBytes(logFile), text);
    swtpm.powerCycle();
    tpm.startup(StartupType.CLEAR);
    measure(tpm, log);
    Files.write(logFile, log);
    startAgent();
  }

  /** Extends the SHA-256 digest of every measured event of PCRs 0-7, as firmware would. */
  static void measure(TpmClient tpm, byte[] log) throws Exception {
    dev.vouch.agent.tpm.SoftwareTpm.measureFirmware(tpm, log);
  }

  /** Appends a TCG_PCR_EVENT2 for PCR 1 with a SHA-256 digest (the log's only bank). */
  static byte[] withPlatformConfigEvent(byte[] log, String text) {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(log.length + 4 + 4 + 4 + 2 + 32 + 4 + data.length);
    b.order(ByteOrder.LITTLE_ENDIAN);
    b.put(log);
    b.putInt(1).putInt(EV_PLATFORM_CONFIG_FLAGS).putInt(1).putShort((short) 0x000b);
    b.put(HashAlg.SHA256.digest(data));
    b.putInt(data.length).put(data);
    return b.array();
  }

  /**
   * The log with the last data byte of its first {@code SecureBoot} UEFI variable event changed (0
   * becomes 1), digests untouched. Walks the crypto-agile log by hand so that the test does not
   * depend on the parser under test.
   */
  public static byte[] withSecureBootByteChanged(byte[] log) {
    ByteBuffer b = ByteBuffer.wrap(log).order(ByteOrder.LITTLE_ENDIAN);
    // TCG_PCR_EVENT (SHA-1 format) header carrying the Spec ID event
    b.position(4 + 4 + 20);
    int specSize = b.getInt();
    int spec = b.position();
    int algorithms = b.getInt(spec + 24);
    Map<Integer, Integer> digestSizes = new java.util.HashMap<>();
    for (int i = 0; i < algorithms; i++) {
      digestSizes.put(
          Short.toUnsignedInt(b.getShort(spec + 28 + 4 * i)),
          Short.toUnsignedInt(b.getShort(spec + 30 + 4 * i)));
    }
    b.position(spec + specSize);
    while (b.remaining() >= 12) {
      b.getInt(); // PCR index
      int type = b.getInt();
      int digests = b.getInt();
      for (int i = 0; i < digests; i++) {
        int alg = Short.toUnsignedInt(b.getShort());
        b.position(b.position() + digestSizes.get(alg));
      }
      int size = b.getInt();
      int data = b.position();
      if (type == 0x80000001) { // EV_EFI_VARIABLE_DRIVER_CONFIG: GUID, name length, data length
        int nameChars = (int) b.getLong(data + 16);
        byte[] name = new byte[nameChars * 2];
        b.get(data + 32, name);
        if (new String(name, StandardCharsets.UTF_16LE).equals("SecureBoot")) {
          byte[] out = log.clone();
          out[data + size - 1] ^= 1;
          return out;
        }
      }
      b.position(data + size);
    }
    throw new IllegalArgumentException("the log has no SecureBoot variable event");
  }

  private static EkTrust ekRoots() throws Exception {
    List<X509Certificate> certs = new ArrayList<>();
    for (Path p : Swtpm.localCaCertificates()) {
      try (InputStream in = Files.newInputStream(p)) {
        certs.add(
            (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
    }
    // swtpm's local CA cannot sign CRLs (keyCertSign only)
    return EkTrust.withoutRevocation(List.of(certs.get(0)), List.of(certs.get(1)));
  }

  /** A registrar client that calls {@code r} in this process (no HTTP). */
  public static Enrollment.RegistrarClient inProcess(Registrar r) {
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

  @Override
  public void close() throws Exception {
    stopAgent();
    if (https != null) {
      https.close();
    }
    nats.close();
    tpm.close();
    swtpm.close();
  }
}
