package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.NatsAgentChannel;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.manager.AttestationOutcome;
import dev.vouch.server.manager.Host;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.TestDatabases;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full-disk encryption as a platform prerequisite ({@code hosts.require_disk_encryption}) on swtpm
 * hosts whose firmware and GRUB measured real Keylime logs: the kernel command line GRUB measured
 * into PCR 8 (quoted now) decides, an agent's own claim is shown as reported and never passes, and
 * a command line edited after boot (digests untouched, so the log still replays) does not count.
 */
class FullDiskEncryptionTest {
  private static final String LUKS_LOG = "/vectors/tpm-eventlog/keylime-binary_bios_measurements";
  private static final String LUKS = "rd.luks.uuid=luks-5f0c3c9e-7d1e-4c5e-9a65-0b1d2c3e4f50";
  private static final byte[] PREFIX = "kernel_cmdline: ".getBytes(StandardCharsets.US_ASCII);
  private static final int EV_IPL = 0x0d;
  private static final int EV_NO_ACTION = 3;

  @TempDir Path dir;
  private NatsServer nats;
  private Connection verifierSide;
  private Database db;
  private ServerIdentity identity;
  private InMemoryEnrollmentStore enrolled;

  @BeforeEach
  void start() throws Exception {
    nats = NatsServer.start();
    verifierSide = Nats.connect(nats.url());
    db = TestDatabases.h2(dir.resolve("db")).open();
    identity = ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), Clock.systemUTC());
    enrolled = new InMemoryEnrollmentStore();
  }

  @org.junit.jupiter.api.AfterEach
  void stop() throws Exception {
    db.close();
    verifierSide.close();
    nats.close();
  }

  private HostAttestor attestor(QuotePlan plan) {
    return new HostAttestor(
        enrolled,
        new NatsAgentChannel(verifierSide, Duration.ofSeconds(10)),
        plan,
        Clock.systemUTC(),
        new SecureRandom());
  }

  private HostVerifier verifier(boolean requireFde) {
    return verifier(requireFde, QuotePlan.firmware());
  }

  private HostVerifier verifier(boolean requireFde, QuotePlan plan) {
    return new HostVerifier(
        attestor(plan),
        new FlavorStore(db),
        new TrustReportStore(db),
        identity,
        HostVerifier.Settings.defaults().withDiskEncryptionRequired(requireFde),
        Clock.systemUTC());
  }

  /**
   * A host booted from {@code log} (measured into its swtpm and served), whose running kernel's
   * /proc/cmdline is {@code procCmdline} (the agent's claim).
   */
  private SwtpmHost host(String id, byte[] log, String procCmdline) throws Exception {
    return host(id, log, procCmdline, l -> l);
  }

  private SwtpmHost host(String id, byte[] log, String procCmdline, UnaryOperator<byte[]> served)
      throws Exception {
    Path proc = dir.resolve(id).resolve("proc");
    Files.createDirectories(proc);
    Files.writeString(proc.resolve("cmdline"), procCmdline + "\n");
    return SwtpmHost.startWithLog(id, log, served, dir, enrolled, nats.url());
  }

  private static Host host(String id) {
    return SwtpmHost.record(id);
  }

  private TrustReport report(AttestationOutcome outcome) throws Exception {
    String jws =
        new TrustReportStore(db)
            .get(UUID.fromString(outcome.reportId().orElseThrow()))
            .orElseThrow()
            .jws();
    return TrustReports.verifyWithoutRevocation(jws, List.of(identity.ca()), Instant.now())
        .report();
  }

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = FullDiskEncryptionTest.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  @Test
  void theMeasuredLuksCommandLineOfTheRealKeylimeLogPassesTheDependency() throws Exception {
    HostVerifier v = verifier(true);
    try (SwtpmHost h = host("fedora-luks", atLocalityZero(resource(LUKS_LOG)), "ro quiet")) {
      AttestationOutcome o = v.attest(host("fedora-luks"));
      // this machine booted with Secure Boot off: that is its failure, not full-disk encryption
      assertThat(o.status()).isEqualTo(HostStatus.SECURE_BOOT_DISABLED);
      assertThat(o.reasons()).noneMatch(r -> r.startsWith(AttestationOutcome.FDE_NOT_MEASURED));
      TrustReport r = report(o);
      assertThat(r.host().diskEncryption())
          .isEqualTo("rd.luks.uuid=luks-d53e2fe9-cc84-4bad-b410-16d3a07d6071");
      assertThat(r.factSources()).containsEntry("disk_encryption", "measured");
    }
  }

  @Test
  void aSecureBootHostIsVerifiedOnlyWhenItsMeasuredCommandLineNamesAnEncryptedRoot()
      throws Exception {
    byte[] plain = resource(SwtpmHost.SECURE_BOOT_LOG);
    byte[] luks = withCommandLine(plain, line -> line + " " + LUKS, true);
    HostVerifier required = verifier(true);
    try (SwtpmHost encrypted = host("rhel-luks", luks, "ro")) {
      AttestationOutcome o = required.attest(host("rhel-luks"));
      assertThat(o.status()).isEqualTo(HostStatus.VERIFIED);
      assertThat(report(o).host().diskEncryption()).isEqualTo(LUKS);
      assertThat(report(o).factSources()).containsEntry("disk_encryption", "measured");
    }
    // the agent says its root is encrypted, but the kernel command line GRUB measured says not
    try (SwtpmHost clear = host("rhel-plain", plain, "ro " + LUKS)) {
      AttestationOutcome o = required.attest(host("rhel-plain"));
      assertThat(o.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(o.reasons().get(0))
          .startsWith("fde-not-measured: ")
          .contains("names no encrypted root");
      TrustReport r = report(o);
      assertThat(r.detail()).contains("full-disk encryption required");
      assertThat(r.host().diskEncryption()).isEmpty();
      // off by default: the same host keeps its verdict
      assertThat(verifier(false).attest(host("rhel-plain")).status())
          .isEqualTo(HostStatus.VERIFIED);
    }
  }

  @Test
  void anAgentOnlyClaimIsMarkedReportedAndDoesNotPass() throws Exception {
    // a boot loader that measured no kernel command line: only the agent speaks of encryption
    byte[] none = withCommandLine(resource(SwtpmHost.SECURE_BOOT_LOG), line -> null, true);
    try (SwtpmHost h = host("no-cmdline", none, "ro " + LUKS)) {
      AttestationOutcome o = verifier(true).attest(host("no-cmdline"));
      assertThat(o.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(o.reasons().get(0))
          .startsWith("fde-not-measured: ")
          .contains("no kernel command line was measured")
          .contains("the agent reports " + LUKS);
      TrustReport r = report(o);
      assertThat(r.host().diskEncryption()).isEqualTo(LUKS);
      assertThat(r.factSources()).containsEntry("disk_encryption", "reported");
    }
  }

  @Test
  void aCommandLineEditedAfterBootDoesNotCountAsMeasured() throws Exception {
    byte[] plain = resource(SwtpmHost.SECURE_BOOT_LOG);
    // GRUB measured the plain line; the served log names LUKS with the old digest (replay holds)
    try (SwtpmHost h =
        host("forged", plain, "ro", l -> withCommandLine(l, line -> line + " " + LUKS, false))) {
      AttestationOutcome o = verifier(true).attest(host("forged"));
      assertThat(o.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(o.reasons().get(0)).startsWith("fde-not-measured: ");
      TrustReport r = report(o);
      assertThat(r.host().diskEncryption()).isEmpty();
      assertThat(r.factSources()).doesNotContainKey("disk_encryption");
    }
  }

  @Test
  void theVerdictOnStoredFlavorsAppliesTheSamePrerequisiteAsAttest() throws Exception {
    try (SwtpmHost h = host("rhel-verdict", resource(SwtpmHost.SECURE_BOOT_LOG), "ro " + LUKS)) {
      // adopted as golden without the prerequisite: the flavors alone say VERIFIED
      assertThat(verifier(false).attest(host("rhel-verdict")).status())
          .isEqualTo(HostStatus.VERIFIED);
      dev.vouch.policy.flavor.HostEvidence now =
          HostVerifier.evidence(
              "rhel-verdict", attestor(QuotePlan.firmware()).attest("rhel-verdict"));
      assertThat(verifier(false).verdict("rhel-verdict", now).status())
          .isEqualTo(HostStatus.VERIFIED);
      dev.vouch.policy.flavor.HostTrust required = verifier(true).verdict("rhel-verdict", now);
      assertThat(required.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(required.overall()).isFalse();
      assertThat(required.detail())
          .startsWith("full-disk encryption required")
          .contains("names no encrypted root");
    }
  }

  @Test
  void aSystemdCommandLineInPcr12NamingLuksPassesAndNamesTheBootLoader() throws Exception {
    byte[] log = withSystemdCommandLine(noGrubCommandLine(), "quiet " + LUKS);
    try (SwtpmHost h = host("uki-luks", log, "ro")) {
      AttestationOutcome o = verifier(true).attest(host("uki-luks"));
      assertThat(o.status()).isEqualTo(HostStatus.VERIFIED);
      TrustReport r = report(o);
      assertThat(r.host().diskEncryption()).isEqualTo(LUKS);
      // shim's SBAT entry of the RHEL log, then the systemd line
      assertThat(r.host().bootLoader()).isEqualTo("shim > systemd");
      assertThat(r.factSources())
          .containsEntry("disk_encryption", "measured")
          .containsEntry("boot_loader", "measured");
    }
  }

  @Test
  void aSystemdCommandLineWithoutAnEncryptedRootFails() throws Exception {
    byte[] log = withSystemdCommandLine(noGrubCommandLine(), "root=/dev/sda2 quiet");
    try (SwtpmHost h = host("uki-plain", log, "ro " + LUKS)) {
      AttestationOutcome o = verifier(true).attest(host("uki-plain"));
      assertThat(o.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(o.reasons().get(0))
          .startsWith("fde-not-measured: ")
          .contains("systemd measured into PCR 12 names no encrypted root");
      assertThat(report(o).host().diskEncryption()).isEmpty();
    }
  }

  @Test
  void aSystemdCommandLineWhoseDigestDiffersIsNotMeasured() throws Exception {
    byte[] booted = withSystemdCommandLine(noGrubCommandLine(), "root=/dev/sda2");
    // the served log names LUKS in PCR 12 with the digest of the plain line (replay still holds)
    byte[] forged = utf16Line("root=/dev/sda2 " + LUKS);
    byte[] plain = utf16Line("root=/dev/sda2");
    try (SwtpmHost h =
        host(
            "uki-forged",
            booted,
            "ro " + LUKS,
            l ->
                rewrite(
                    l,
                    e ->
                        e.pcr() == 12 && java.util.Arrays.equals(e.data(), plain)
                            ? new Entry(e.pcr(), e.type(), e.digests(), forged)
                            : e))) {
      AttestationOutcome o = verifier(true).attest(host("uki-forged"));
      assertThat(o.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(o.reasons().get(0))
          .startsWith("fde-not-measured: ")
          .contains("no kernel command line was measured");
      TrustReport r = report(o);
      assertThat(r.host().diskEncryption()).isEqualTo(LUKS);
      assertThat(r.factSources()).containsEntry("disk_encryption", "reported");
    }
  }

  @Test
  void aSystemdCommandLineInAPcrTheQuoteLeavesOutIsNotMeasured() throws Exception {
    byte[] log = withSystemdCommandLine(noGrubCommandLine(), LUKS);
    java.util.TreeSet<Integer> zeroToNine = new java.util.TreeSet<>();
    for (int i = 0; i <= 9; i++) {
      zeroToNine.add(i);
    }
    QuotePlan without12 = new QuotePlan(Map.of(HashAlg.SHA256, zeroToNine), true, false);
    try (SwtpmHost h = host("uki-unquoted", log, "ro")) {
      AttestationOutcome o = verifier(true, without12).attest(host("uki-unquoted"));
      assertThat(o.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(o.reasons().get(0))
          .startsWith("fde-not-measured: ")
          .contains("no kernel command line was measured into a quoted PCR");
      assertThat(report(o).host().bootLoader()).isEqualTo("shim");
      // quoted, the same boot passes
      assertThat(verifier(true).attest(host("uki-unquoted")).status())
          .isEqualTo(HostStatus.VERIFIED);
    }
  }

  /** A verifier that quotes PCR 10 and keeps each host's IMA checkpoint. */
  private HostVerifier imaVerifier() {
    return new HostVerifier(
        attestor(QuotePlan.firmwareAndIma()),
        new FlavorStore(db),
        new TrustReportStore(db),
        identity,
        HostVerifier.Settings.defaults().withDiskEncryptionRequired(true),
        Clock.systemUTC(),
        java.util.Optional.of(
            new HostVerifier.Runtime(new ImaStateStore(db), new RuntimePolicyStore(db))));
  }

  /** A host of the RHEL Secure Boot log (no LUKS on its command line) whose kernel runs IMA. */
  private SwtpmHost imaHost(String id) throws Exception {
    return SwtpmHost.start(
        id,
        SwtpmHost.SECURE_BOOT_LOG,
        java.util.Optional.of(SwtpmHost.IMA_LIST),
        dir,
        enrolled,
        nats.url());
  }

  /** IMA entries ({@code ima-ng}, SHA-256 file digests) in the template hash of the host's list. */
  private static byte[] imaFiles(SwtpmHost h, String... paths) throws Exception {
    byte[] list = Files.readAllBytes(h.logFile.resolveSibling("ima"));
    dev.vouch.evidence.tpm.ima.ImaListWriter w =
        new dev.vouch.evidence.tpm.ima.ImaListWriter(
            dev.vouch.evidence.tpm.ima.ImaLog.parse(list).templateHashAlg(), false);
    for (String p : paths) {
      w.ng(10, "sha256", HashAlg.SHA256.digest(p.getBytes(StandardCharsets.UTF_8)), p);
    }
    return w.binary();
  }

  @Test
  void aCryptsetupRunInTheQuotedImaListPassesAndStillCountsFromTheCheckpoint() throws Exception {
    try (SwtpmHost h = imaHost("ima-crypt")) {
      h.appendIma(imaFiles(h, "/usr/sbin/cryptsetup"));
      HostVerifier v = imaVerifier();
      AttestationOutcome first = v.attest(host("ima-crypt"));
      assertThat(first.status()).isEqualTo(HostStatus.VERIFIED);
      TrustReport r = report(first);
      assertThat(r.host().diskEncryption()).isEqualTo("ima:/usr/sbin/cryptsetup");
      assertThat(r.factSources()).containsEntry("disk_encryption", "measured");
      long checkpoint =
          new ImaStateStore(db).get("ima-crypt").orElseThrow().progress().checkpoint().entries();

      // the kernel measures more files: the next attestation reads only those, from the checkpoint
      h.appendIma(imaFiles(h, "/usr/bin/later"));
      AttestationOutcome second = v.attest(host("ima-crypt"));
      assertThat(second.status()).isEqualTo(HostStatus.VERIFIED);
      assertThat(report(second).host().diskEncryption()).isEqualTo("ima:/usr/sbin/cryptsetup");
      ImaStateStore.HostImaState state = new ImaStateStore(db).get("ima-crypt").orElseThrow();
      assertThat(state.progress().checkpoint().entries()).isEqualTo(checkpoint + 1);
      assertThat(state.cryptsetup()).contains("/usr/sbin/cryptsetup");

      // a plan without the IMA list sees no cryptsetup run: the command line names no LUKS root
      AttestationOutcome firmwareOnly = verifier(true).attest(host("ima-crypt"));
      assertThat(firmwareOnly.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(firmwareOnly.reasons().get(0)).startsWith("fde-not-measured: ");
    }
  }

  @Test
  void imaEntriesOfOtherFilesDoNotShowTheDiskEncrypted() throws Exception {
    try (SwtpmHost h = imaHost("ima-plain")) {
      h.appendIma(imaFiles(h, "/usr/sbin/cryptsetup-reencrypt", "/tmp/cryptsetup.sh"));
      AttestationOutcome o = imaVerifier().attest(host("ima-plain"));
      assertThat(o.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(o.reasons().get(0))
          .startsWith("fde-not-measured: ")
          .contains("no cryptsetup run is in the quoted IMA list");
    }
  }

  /** The RHEL Secure Boot log as a boot loader would leave it that measures no GRUB line. */
  private static byte[] noGrubCommandLine() throws Exception {
    return withCommandLine(resource(SwtpmHost.SECURE_BOOT_LOG), line -> null, true);
  }

  /** A kernel command line as systemd measures it: UTF-16LE with its NUL. */
  static byte[] utf16Line(String line) {
    return (line + "\0").getBytes(StandardCharsets.UTF_16LE);
  }

  /**
   * {@code log} with an {@code EV_IPL} entry of PCR 12 appended, as systemd-stub logs the command
   * line it passes: UTF-16LE data, digests the hash of those bytes in each bank of the log.
   */
  static byte[] withSystemdCommandLine(byte[] log, String line) {
    Map<Integer, byte[]> banks = new java.util.LinkedHashMap<>();
    rewrite(
        log,
        e -> {
          if (banks.isEmpty()) {
            banks.putAll(e.digests());
          }
          return e;
        });
    byte[] data = utf16Line(line);
    Map<Integer, byte[]> digests = new java.util.LinkedHashMap<>();
    banks.keySet().forEach(alg -> digests.put(alg, hash(alg).digest(data)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(log);
    out.writeBytes(new Entry(12, EV_IPL, digests, data).encode());
    return out.toByteArray();
  }

  /** One entry of a crypto-agile log: its digests by TPM algorithm id, in log order. */
  private record Entry(int pcr, int type, Map<Integer, byte[]> digests, byte[] data) {
    byte[] encode() {
      int size = 12 + 4 + data.length;
      for (byte[] d : digests.values()) {
        size += 2 + d.length;
      }
      ByteBuffer e = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
      e.putInt(pcr).putInt(type).putInt(digests.size());
      digests.forEach((alg, d) -> e.putShort(alg.shortValue()).put(d));
      return e.putInt(data.length).put(data).array();
    }
  }

  /**
   * {@code log} with each entry after the Spec ID header replaced by {@code edit.apply(entry)}
   * (left out when null). Walks the crypto-agile log by hand so that the test does not depend on
   * the parser under test.
   */
  static byte[] rewrite(byte[] log, java.util.function.Function<Entry, Entry> edit) {
    ByteBuffer b = ByteBuffer.wrap(log).order(ByteOrder.LITTLE_ENDIAN);
    b.position(4 + 4 + 20);
    int specSize = b.getInt();
    int spec = b.position();
    int algorithms = b.getInt(spec + 24);
    Map<Integer, Integer> sizes = new HashMap<>();
    for (int i = 0; i < algorithms; i++) {
      sizes.put(
          Short.toUnsignedInt(b.getShort(spec + 28 + 4 * i)),
          Short.toUnsignedInt(b.getShort(spec + 30 + 4 * i)));
    }
    b.position(spec + specSize);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(log, 0, spec + specSize);
    while (b.remaining() >= 12) {
      int pcr = b.getInt();
      int type = b.getInt();
      int count = b.getInt();
      Map<Integer, byte[]> digests = new java.util.LinkedHashMap<>();
      for (int i = 0; i < count; i++) {
        int alg = Short.toUnsignedInt(b.getShort());
        byte[] d = new byte[sizes.get(alg)];
        b.get(d);
        digests.put(alg, d);
      }
      byte[] data = new byte[b.getInt()];
      b.get(data);
      Entry changed = edit.apply(new Entry(pcr, type, digests, data));
      if (changed != null) {
        out.writeBytes(changed.encode());
      }
    }
    return out.toByteArray();
  }

  /**
   * The Keylime LUKS machine started its TPM at locality 3; swtpm starts at 0. Its {@code
   * StartupLocality} entry (logged, never extended) is left out so that PCR 0 replays from zero;
   * every extended entry is kept as measured.
   */
  static byte[] atLocalityZero(byte[] log) {
    byte[] marker = "StartupLocality".getBytes(StandardCharsets.US_ASCII);
    return rewrite(
        log,
        e ->
            e.type() == EV_NO_ACTION
                    && e.data().length >= marker.length
                    && java.util.Arrays.equals(e.data(), 0, marker.length, marker, 0, marker.length)
                ? null
                : e);
  }

  /**
   * {@code log} with the data of its GRUB {@code kernel_cmdline} entry (PCR 8) set to {@code
   * edit.apply(line)}, or the entry removed when that is null; with {@code rehash} its digests are
   * the new line's (as GRUB would have measured it), else left as they were.
   */
  static byte[] withCommandLine(byte[] log, UnaryOperator<String> edit, boolean rehash) {
    int[] edited = {0};
    byte[] out =
        rewrite(
            log,
            e -> {
              byte[] data = e.data();
              if (e.pcr() != 8
                  || e.type() != EV_IPL
                  || data.length < PREFIX.length
                  || !java.util.Arrays.equals(data, 0, PREFIX.length, PREFIX, 0, PREFIX.length)) {
                return e;
              }
              edited[0]++;
              int end = data.length;
              while (end > PREFIX.length && data[end - 1] == 0) {
                end--;
              }
              String changed =
                  edit.apply(
                      new String(data, PREFIX.length, end - PREFIX.length, StandardCharsets.UTF_8));
              if (changed == null) {
                return null;
              }
              byte[] text = changed.getBytes(StandardCharsets.UTF_8);
              Map<Integer, byte[]> digests = new java.util.LinkedHashMap<>();
              e.digests()
                  .forEach((alg, d) -> digests.put(alg, rehash ? hash(alg).digest(text) : d));
              ByteBuffer d = ByteBuffer.allocate(PREFIX.length + text.length + 1);
              d.put(PREFIX).put(text).put((byte) 0);
              return new Entry(e.pcr(), e.type(), digests, d.array());
            });
    if (edited[0] != 1) {
      throw new IllegalStateException("expected one kernel_cmdline entry, found " + edited[0]);
    }
    return out;
  }

  private static HashAlg hash(int tpmAlg) {
    return switch (tpmAlg) {
      case 0x0004 -> HashAlg.SHA1;
      case 0x000b -> HashAlg.SHA256;
      case 0x000c -> HashAlg.SHA384;
      case 0x000d -> HashAlg.SHA512;
      default -> throw new IllegalArgumentException("bank " + tpmAlg);
    };
  }
}
