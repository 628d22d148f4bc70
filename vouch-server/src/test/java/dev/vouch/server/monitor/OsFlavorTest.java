package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.trust.NatsServer;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.GoldenFlavors;
import dev.vouch.policy.flavor.HostStatus;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * OS flavors (PCRs 8 and 9: what the boot loader measured, GRUB's commands and kernel command line,
 * the kernel and initrd) made from swtpm hosts booted from the real Keylime Secure Boot log: an
 * administrator makes one from a host and the host is judged by it; a host that booted another
 * kernel command line fails with a fault naming that event; under TOFU the OS part is adopted.
 */
class OsFlavorTest {
  @TempDir Path dir;

  private static HostVerifier verifier(
      InMemoryEnrollmentStore store,
      Connection nats,
      Database db,
      ServerIdentity id,
      HostVerifier.Settings settings) {
    return new HostVerifier(
        new HostAttestor(
            store,
            new NatsAgentChannel(nats, Duration.ofSeconds(10)),
            QuotePlan.firmware(),
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
    try (InputStream in = OsFlavorTest.class.getResourceAsStream(SwtpmHost.SECURE_BOOT_LOG)) {
      return in.readAllBytes();
    }
  }

  @Test
  void anOsFlavorMadeFromAHostJudgesHostsByWhatTheirBootLoaderMeasured() throws Exception {
    try (NatsServer nats = NatsServer.start();
        Connection side = Nats.connect(nats.url());
        Database db = TestDatabases.h2(dir.resolve("db")).open()) {
      ServerIdentity id =
          ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), Clock.systemUTC());
      FlavorStore flavors = new FlavorStore(db);
      Map<FlavorPart, MatchPolicy> p = new EnumMap<>(FlavorPart.class);
      p.put(
          FlavorPart.PLATFORM,
          new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED));
      p.put(
          FlavorPart.OS,
          new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED));
      flavors.putGroup(new FlavorGroup(FlavorStore.AUTOMATIC, p), Instant.now());
      InMemoryEnrollmentStore enrolled = new InMemoryEnrollmentStore();
      HostVerifier v =
          verifier(
              enrolled,
              side,
              db,
              id,
              HostVerifier.Settings.defaults().withMode(GoldenFlavors.Mode.STRICT));
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
  }

  @Test
  void underTofuTheOsPartIsAdoptedFromTheHost() throws Exception {
    try (NatsServer nats = NatsServer.start();
        Connection side = Nats.connect(nats.url());
        Database db = TestDatabases.h2(dir.resolve("db")).open()) {
      ServerIdentity id =
          ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), Clock.systemUTC());
      InMemoryEnrollmentStore enrolled = new InMemoryEnrollmentStore();
      HostVerifier.Settings d = HostVerifier.Settings.defaults();
      HostVerifier v =
          verifier(
              enrolled,
              side,
              db,
              id,
              new HostVerifier.Settings(
                  GoldenFlavors.Mode.TOFU,
                  Set.of(FlavorPart.PLATFORM, FlavorPart.OS, FlavorPart.HOST_UNIQUE),
                  d.templates(),
                  d.reportValidity()));
      try (SwtpmHost h =
          SwtpmHost.startWithLog("tofu-os", secureBootLog(), l -> l, dir, enrolled, nats.url())) {
        AttestationOutcome o = v.attest(host("tofu-os"));
        assertThat(o.status()).isEqualTo(HostStatus.VERIFIED);
        List<FlavorStore.StoredFlavor> golden =
            new FlavorStore(db)
                .list(Optional.of("tofu-os"), false).stream()
                    .filter(f -> f.origin() == FlavorStore.Origin.GOLDEN)
                    .toList();
        assertThat(golden)
            .extracting(f -> f.flavor().flavor().part())
            .containsExactlyInAnyOrder(FlavorPart.PLATFORM, FlavorPart.OS, FlavorPart.HOST_UNIQUE);
        FlavorStore.StoredFlavor os =
            golden.stream()
                .filter(f -> f.flavor().flavor().part() == FlavorPart.OS)
                .findFirst()
                .orElseThrow();
        // the host was judged by its adopted OS flavor
        assertThat(o.flavorIds()).contains(os.id().toString());
      }
    }
  }
}
