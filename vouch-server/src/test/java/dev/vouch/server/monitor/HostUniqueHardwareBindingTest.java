package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.Failure;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.GoldenFlavors;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.MatchPolicy;
import dev.vouch.policy.flavor.SignedFlavor;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.NatsAgentChannel;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.manager.AttestationOutcome;
import dev.vouch.server.manager.Host;
import dev.vouch.server.registrar.EnrollmentStore;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.TestDatabases;
import io.nats.client.Connection;
import io.nats.client.Nats;
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
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HOST_UNIQUE flavors are bound to the machine (the SMBIOS UUID the agent reports, else the EK
 * certificate's identity), not to the host id: on swtpm hosts, a machine re-enrolled under another
 * id keeps its HOST_UNIQUE flavor, and another machine enrolled under the flavor's host id does not
 * get it. The group in force requires HOST_UNIQUE, so the binding decides the verdict.
 */
class HostUniqueHardwareBindingTest {
  private static final String MACHINE_1 = "4c4c4544-0042-3510-8052-b4c04f4d3232";
  private static final String MACHINE_2 = "9e2b8f70-1d1e-4bb4-9b0c-2f6a1f3c5d11";

  @TempDir Path dir;

  /** An swtpm host whose SMBIOS product_uuid file says {@code uuid} (none when empty). */
  private SwtpmHost machine(String id, String uuid, EnrollmentStore store, String nats)
      throws Exception {
    Path dmi = dir.resolve(id).resolve("sys/class/dmi/id");
    Files.createDirectories(dmi);
    if (!uuid.isEmpty()) {
      // as the kernel shows it: upper case on many firmwares; the agent reports lower case
      Files.writeString(dmi.resolve("product_uuid"), uuid.toUpperCase() + "\n");
    }
    return SwtpmHost.start(id, SwtpmHost.SECURE_BOOT_LOG, dir, store, nats);
  }

  private static HostVerifier verifier(
      EnrollmentStore store, Connection nats, Database db, ServerIdentity id) {
    HostAttestor attestor =
        new HostAttestor(
            store,
            new NatsAgentChannel(nats, Duration.ofSeconds(10)),
            QuotePlan.firmware(),
            Clock.systemUTC(),
            new SecureRandom());
    return new HostVerifier(
        attestor,
        new FlavorStore(db),
        new TrustReportStore(db),
        id,
        HostVerifier.Settings.defaults().withMode(GoldenFlavors.Mode.STRICT),
        Clock.systemUTC());
  }

  private static Host host(String id) {
    return SwtpmHost.record(id);
  }

  /** The flavors the stored, signed report of {@code outcome} names. */
  private static List<UUID> reportFlavors(
      AttestationOutcome outcome, TrustReportStore reports, ServerIdentity id) throws Exception {
    return report(outcome, reports, id).flavors().stream()
        .map(TrustReport.FlavorTrust::flavorId)
        .toList();
  }

  /** The stored, signed report of {@code outcome}. */
  private static TrustReport report(
      AttestationOutcome outcome, TrustReportStore reports, ServerIdentity id) throws Exception {
    String jws = reports.get(UUID.fromString(outcome.reportId().orElseThrow())).orElseThrow().jws();
    return TrustReports.verifyWithoutRevocation(jws, List.of(id.ca()), Instant.now()).report();
  }

  @Test
  void aHostUniqueFlavorFollowsItsMachineToANewIdAndNotTheIdToAnotherMachine() throws Exception {
    try (NatsServer nats = NatsServer.start();
        Connection verifierSide = Nats.connect(nats.url());
        Database db = TestDatabases.h2(dir.resolve("db")).open()) {
      ServerIdentity id =
          ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), Clock.systemUTC());
      FlavorStore flavors = new FlavorStore(db);
      TrustReportStore reports = new TrustReportStore(db);
      // hosts in no group are judged by "automatic": here HOST_UNIQUE is required
      Map<FlavorPart, MatchPolicy> p = new EnumMap<>(FlavorPart.class);
      p.put(
          FlavorPart.PLATFORM,
          new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED));
      p.put(
          FlavorPart.HOST_UNIQUE,
          new MatchPolicy(MatchPolicy.MatchType.LATEST, MatchPolicy.Required.REQUIRED));
      flavors.putGroup(new FlavorGroup(FlavorStore.AUTOMATIC, p), Instant.now());

      InMemoryEnrollmentStore enrolled = new InMemoryEnrollmentStore();
      HostVerifier v = verifier(enrolled, verifierSide, db, id);
      UUID unique;
      try (SwtpmHost first = machine("node-a", MACHINE_1, enrolled, nats.url())) {
        List<SignedFlavor> made =
            v.flavorsFromHost(
                "node-a", EnumSet.of(FlavorPart.PLATFORM, FlavorPart.HOST_UNIQUE), List.of());
        SignedFlavor hu =
            made.stream()
                .filter(f -> f.flavor().part() == FlavorPart.HOST_UNIQUE)
                .findFirst()
                .orElseThrow();
        unique = hu.flavor().meta().id();
        assertThat(FlavorStore.hardwareBinding(hu)).contains(MACHINE_1);
        AttestationOutcome own = v.attest(host("node-a"));
        assertThat(own.status()).isEqualTo(HostStatus.VERIFIED);
        assertThat(reportFlavors(own, reports, id)).contains(unique);
        // the report says which facts are the agent's word and which the log measured (the RHEL
        // kernel GRUB measured names its distribution: .el9_5)
        TrustReport r = report(own, reports, id);
        assertThat(r.host().hardwareUuid()).isEqualTo(MACHINE_1);
        assertThat(r.factSources())
            .containsEntry("hardware_uuid", "reported")
            .containsEntry("os_name", "measured");
        assertThat(r.host().osName()).isEqualTo("Enterprise Linux");
      }

      // the same machine (same SMBIOS UUID) enrolled again as node-b keeps its flavor
      try (SwtpmHost again = machine("node-b", MACHINE_1, enrolled, nats.url())) {
        AttestationOutcome moved = v.attest(host("node-b"));
        assertThat(moved.status()).isEqualTo(HostStatus.VERIFIED);
        assertThat(reportFlavors(moved, reports, id)).contains(unique);
      }

      // another machine enrolled under node-a (after node-a was removed from the registrar)
      // measures the same PCRs 4 and 5, but the flavor is not its own: HOST_UNIQUE is missing
      InMemoryEnrollmentStore elsewhere = new InMemoryEnrollmentStore();
      try (SwtpmHost impostor = machine("node-a", MACHINE_2, elsewhere, nats.url())) {
        AttestationOutcome other = verifier(elsewhere, verifierSide, db, id).attest(host("node-a"));
        assertThat(other.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
        assertThat(reportFlavors(other, reports, id)).doesNotContain(unique);
        assertThat(String.join(" ", other.reasons())).contains("HOST_UNIQUE");
      }

      // a host that reports no SMBIOS UUID is bound by its EK certificate, checked at enrollment
      try (SwtpmHost bare = machine("node-c", "", enrolled, nats.url())) {
        SignedFlavor hu =
            v.flavorsFromHost("node-c", EnumSet.of(FlavorPart.HOST_UNIQUE), List.of()).get(0);
        assertThat(FlavorStore.hardwareBinding(hu))
            .contains("ek-sha256:" + enrolled.host("node-c").orElseThrow().ekCertificateSha256());
        // a request for parts the template does not define makes nothing and is refused
        int stored = flavors.list(Optional.empty(), true).size();
        assertThatThrownBy(
                () -> v.flavorsFromHost("node-c", EnumSet.of(FlavorPart.ASSET_TAG), List.of()))
            .isInstanceOf(FlavorsNotMade.class)
            .hasMessageContaining("defines none of the parts asked for [ASSET_TAG]")
            .hasMessageContaining("HOST_UNIQUE")
            .extracting(e -> ((FlavorsNotMade) e).failure())
            .isEqualTo(Failure.POLICY_DENIED);
        assertThat(flavors.list(Optional.empty(), true)).hasSize(stored);
        AttestationOutcome bareOutcome = v.attest(host("node-c"));
        assertThat(bareOutcome.status()).isEqualTo(HostStatus.VERIFIED);
        assertThat(report(bareOutcome, reports, id).factSources())
            .containsEntry("hardware_uuid", "ek-certificate");
      }
    }
  }
}
