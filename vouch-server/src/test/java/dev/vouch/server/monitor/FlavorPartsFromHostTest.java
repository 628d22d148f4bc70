package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.GoldenFlavors;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.ImaMeasurement;
import dev.vouch.policy.flavor.MatchPolicy;
import dev.vouch.policy.flavor.PcrRule;
import dev.vouch.policy.flavor.SignedFlavor;
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
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every flavor part made from swtpm hosts booted from the real Keylime Secure Boot log, with the
 * agent's real software measurements and a real IMA list. OS flavors (PCRs 8 and 9: GRUB's commands
 * and kernel command line, the kernel and initrd): an administrator makes one from a host and the
 * host is judged by it; a host that booted another kernel command line fails with a fault naming
 * that event. Under TOFU PLATFORM, OS, HOST_UNIQUE, SOFTWARE and IMA are adopted; a file changed
 * afterwards fails by name. A request for a part the host cannot give is refused.
 */
class FlavorPartsFromHostTest {
  @TempDir Path dir;

  private NatsServer nats;
  private Connection side;
  private Database db;
  private ServerIdentity id;
  private final InMemoryEnrollmentStore enrolled = new InMemoryEnrollmentStore();

  @BeforeEach
  void start() throws Exception {
    nats = NatsServer.start();
    side = Nats.connect(nats.url());
    db = TestDatabases.h2(dir.resolve("db")).open();
    id = ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), Clock.systemUTC());
  }

  @AfterEach
  void stop() throws Exception {
    db.close();
    side.close();
    nats.close();
  }

  private HostVerifier verifier(HostVerifier.Settings settings) {
    return verifier(settings, QuotePlan.firmware());
  }

  private HostVerifier verifier(HostVerifier.Settings settings, QuotePlan plan) {
    return new HostVerifier(
        new HostAttestor(
            enrolled,
            new NatsAgentChannel(side, Duration.ofSeconds(10)),
            plan,
            Clock.systemUTC(),
            new SecureRandom()),
        new FlavorStore(db),
        new TrustReportStore(db),
        id,
        settings,
        Clock.systemUTC());
  }

  private static Host host(String id) {
    return SwtpmHost.record(id);
  }

  private static byte[] secureBootLog() throws Exception {
    try (InputStream in =
        FlavorPartsFromHostTest.class.getResourceAsStream(SwtpmHost.SECURE_BOOT_LOG)) {
      return in.readAllBytes();
    }
  }

  @Test
  void anOsFlavorMadeFromAHostJudgesHostsByWhatTheirBootLoaderMeasured() throws Exception {
    FlavorStore flavors = new FlavorStore(db);
    Map<FlavorPart, MatchPolicy> p = new EnumMap<>(FlavorPart.class);
    p.put(
        FlavorPart.PLATFORM,
        new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED));
    p.put(
        FlavorPart.OS,
        new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED));
    flavors.putGroup(new FlavorGroup(FlavorStore.AUTOMATIC, p), Instant.now());
    HostVerifier v = verifier(HostVerifier.Settings.defaults().withMode(GoldenFlavors.Mode.STRICT));
    byte[] log = secureBootLog();
    try (SwtpmHost a = SwtpmHost.startWithLog("os-a", log, l -> l, dir, enrolled, nats.url())) {
      List<SignedFlavor> os = v.flavorsFromHost("os-a", EnumSet.of(FlavorPart.OS), List.of());
      assertThat(os).hasSize(1);
      SignedFlavor f = os.get(0);
      assertThat(f.flavor().part()).isEqualTo(FlavorPart.OS);
      assertThat(f.flavor().pcrs()).extracting(PcrRule::index).containsExactly(8, 9);
      // the rules carry the boot loader's events by digest, as ISecL's flavors do
      assertThat(f.flavor().pcrs().get(0).eventlogEquals().orElseThrow().events())
          .isNotEmpty()
          .allSatisfy(e -> assertThat(e.typeName()).isEqualTo("EV_IPL"));
      // a required OS part without a PLATFORM flavor fails; with both the host is verified
      assertThat(v.attest(host("os-a")).reasons())
          .anySatisfy(r -> assertThat(r).contains("PLATFORM"));
      v.flavorsFromHost("os-a", EnumSet.of(FlavorPart.PLATFORM), List.of());
      AttestationOutcome ok = v.attest(host("os-a"));
      assertThat(ok.status()).isEqualTo(HostStatus.VERIFIED);
      assertThat(ok.flavorIds()).contains(f.flavor().meta().id().toString());
    }
    // the same firmware, but GRUB booted another kernel command line: PLATFORM still matches
    byte[] other =
        FullDiskEncryptionTest.withCommandLine(log, line -> line + " init=/bin/sh", true);
    try (SwtpmHost b = SwtpmHost.startWithLog("os-b", other, l -> l, dir, enrolled, nats.url())) {
      AttestationOutcome failed = v.attest(host("os-b"));
      assertThat(failed.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(failed.reasons())
          .anySatisfy(
              r ->
                  assertThat(r)
                      .startsWith("OS PcrEventLogContainsUnexpectedEntries")
                      .contains("PCR 8 event log has 1 unexpected events: #94 EV_IPL")
                      .contains("\"kernel_cmdline: (hd0,gpt2)/vmlinuz-5.14.0-503.11.1.el9_5"))
          .noneMatch(r -> r.startsWith("PLATFORM"));
    }
  }

  /** An application of two files, and the manifest that names its directory. */
  private Path application() throws Exception {
    Path app = dir.resolve("opt/app");
    Files.createDirectories(app.resolve("bin"));
    Files.writeString(app.resolve("bin/run"), "#!/bin/sh\nexec /opt/app/server\n");
    Files.writeString(app.resolve("app.conf"), "listen = 8080\n");
    Path manifest = dir.resolve("manifest.txt");
    Files.writeString(manifest, "# the application\n" + app + "\n");
    return manifest;
  }

  /** IMA ima-ng entries of {@code path} with the SHA-256 of {@code content}, as a kernel logs. */
  private static byte[] imaEntry(String path, String content) {
    return new ImaListWriter(HashAlg.SHA1, false)
        .ng(10, "sha256", HashAlg.SHA256.digest(content.getBytes(StandardCharsets.UTF_8)), path)
        .binary();
  }

  /** An swtpm host booted from the Secure Boot log whose kernel measured a real IMA list. */
  private SwtpmHost imaHost(String host) throws Exception {
    return SwtpmHost.start(
        host,
        SwtpmHost.SECURE_BOOT_LOG,
        Optional.of(SwtpmHost.IMA_LIST),
        dir,
        enrolled,
        nats.url());
  }

  private static List<FlavorStore.StoredFlavor> golden(Database db, String host) {
    return new FlavorStore(db)
        .list(Optional.of(host), false).stream()
            .filter(f -> f.origin() == FlavorStore.Origin.GOLDEN)
            .toList();
  }

  private static FlavorStore.StoredFlavor part(
      List<FlavorStore.StoredFlavor> flavors, FlavorPart p) {
    return flavors.stream().filter(f -> f.flavor().flavor().part() == p).findFirst().orElseThrow();
  }

  @Test
  void underTofuEveryPartIsAdoptedFromTheHostAndAChangedFileFailsByName() throws Exception {
    HostVerifier.Settings d = HostVerifier.Settings.defaults();
    Set<FlavorPart> every =
        EnumSet.of(
            FlavorPart.PLATFORM,
            FlavorPart.OS,
            FlavorPart.HOST_UNIQUE,
            FlavorPart.SOFTWARE,
            FlavorPart.IMA);
    HostVerifier v =
        verifier(
            new HostVerifier.Settings(
                GoldenFlavors.Mode.TOFU, every, d.templates(), d.reportValidity()),
            QuotePlan.firmwareAndIma().withSoftware());
    Path manifest = application();
    try (SwtpmHost h = imaHost("tofu-all")) {
      assertThat(h.restartAgentWithSoftware(manifest)).isEqualTo(2);
      AttestationOutcome o = v.attest(host("tofu-all"));
      assertThat(o.status()).as("%s", o.reasons()).isEqualTo(HostStatus.VERIFIED);
      List<FlavorStore.StoredFlavor> golden = golden(db, "tofu-all");
      assertThat(golden).extracting(f -> f.flavor().flavor().part()).hasSameElementsAs(every);
      // the host was judged by every adopted flavor
      assertThat(o.flavorIds()).containsAll(golden.stream().map(f -> f.id().toString()).toList());
      PcrRule software = part(golden, FlavorPart.SOFTWARE).flavor().flavor().pcrs().get(0);
      assertThat(software.index()).isEqualTo(15);
      assertThat(software.eventlogEquals().orElseThrow().events())
          .extracting(e -> e.tags().get(0))
          .containsExactly(
              dir.resolve("opt/app/app.conf").toString(),
              dir.resolve("opt/app/bin/run").toString());
      List<ImaMeasurement> baseline =
          part(golden, FlavorPart.IMA).flavor().flavor().ima().orElseThrow();
      assertThat(baseline).hasSizeGreaterThan(2);

      // the kernel measures files it had not measured: the IMA baseline is incremental
      h.appendIma(imaEntry("/usr/bin/new-tool", "new tool"));
      AttestationOutcome more = v.attest(host("tofu-all"));
      assertThat(more.status()).as("%s", more.reasons()).isEqualTo(HostStatus.VERIFIED);

      // the application's configuration changed and the agent measured it again
      Files.writeString(dir.resolve("opt/app/app.conf"), "listen = 0.0.0.0:23\n");
      assertThat(h.restartAgentWithSoftware(manifest)).isEqualTo(2);
      AttestationOutcome changed = v.attest(host("tofu-all"));
      assertThat(changed.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(changed.reasons())
          .anySatisfy(
              r ->
                  assertThat(r)
                      .startsWith("SOFTWARE PcrEventLogContainsUnexpectedEntries")
                      .contains("VOUCH_SOFTWARE_FILE")
                      .contains(dir.resolve("opt/app/app.conf").toString())
                      .doesNotContain("bin/run"))
          .noneMatch(r -> r.startsWith("IMA") || r.startsWith("PLATFORM"));

      // a file of the IMA baseline measured again with another digest
      String file = baseline.get(baseline.size() - 1).file();
      h.appendIma(imaEntry(file, "replaced"));
      AttestationOutcome replaced = v.attest(host("tofu-all"));
      assertThat(replaced.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(replaced.reasons())
          .anySatisfy(
              r ->
                  assertThat(r)
                      .startsWith("IMA ImaEventLogMismatchedEntries")
                      .contains(file)
                      .contains(
                          dev.vouch.core.bytes.Hex.encode(
                              HashAlg.SHA256.digest("replaced".getBytes(StandardCharsets.UTF_8)))));
    }
  }

  @Test
  void anAdministratorMakesSoftwareAndImaFlavorsFromAHostAndNothingIsRefused() throws Exception {
    HostVerifier.Settings strict =
        HostVerifier.Settings.defaults().withMode(GoldenFlavors.Mode.STRICT);
    HostVerifier v = verifier(strict, QuotePlan.firmwareAndIma().withSoftware());
    try (SwtpmHost h = imaHost("admin-sw")) {
      // no manifest measured yet: a SOFTWARE flavor would pin nothing
      assertThatThrownBy(
              () -> v.flavorsFromHost("admin-sw", EnumSet.of(FlavorPart.SOFTWARE), List.of()))
          .isInstanceOf(FlavorsNotMade.class)
          .hasMessageContaining("PCR 15 has no verified events")
          .hasMessageContaining("software manifest");
      h.restartAgentWithSoftware(application());
      List<SignedFlavor> made =
          v.flavorsFromHost(
              "admin-sw",
              EnumSet.of(FlavorPart.PLATFORM, FlavorPart.SOFTWARE, FlavorPart.IMA),
              List.of());
      assertThat(made)
          .extracting(f -> f.flavor().part())
          .containsExactlyInAnyOrder(FlavorPart.PLATFORM, FlavorPart.SOFTWARE, FlavorPart.IMA);
      // the IMA baseline is this machine's measurement order: bound to the host
      assertThat(new FlavorStore(db).list(Optional.of("admin-sw"), false))
          .filteredOn(f -> f.flavor().flavor().part() == FlavorPart.IMA)
          .singleElement()
          .satisfies(f -> assertThat(f.bound()).isTrue());
      AttestationOutcome ok = v.attest(host("admin-sw"));
      assertThat(ok.status()).as("%s", ok.reasons()).isEqualTo(HostStatus.VERIFIED);
      assertThat(ok.flavorIds())
          .containsAll(made.stream().map(f -> f.flavor().meta().id().toString()).toList());
    }
    // a verifier that does not read the IMA list cannot make an IMA flavor
    HostVerifier noIma = verifier(strict, QuotePlan.firmware().withSoftware());
    try (SwtpmHost h =
        SwtpmHost.start(
            "admin-noima",
            SwtpmHost.SECURE_BOOT_LOG,
            Optional.empty(),
            dir,
            enrolled,
            nats.url())) {
      assertThatThrownBy(
              () -> noIma.flavorsFromHost("admin-noima", EnumSet.of(FlavorPart.IMA), List.of()))
          .isInstanceOf(FlavorsNotMade.class)
          .hasMessageContaining("IMA measurements");
      // a part no template defines makes nothing: refused with the parts it does define
      assertThatThrownBy(
              () ->
                  noIma.flavorsFromHost("admin-noima", EnumSet.of(FlavorPart.ASSET_TAG), List.of()))
          .isInstanceOf(FlavorsNotMade.class)
          .hasMessageContaining("defines none of the parts asked for [ASSET_TAG]");
    }
  }
}
