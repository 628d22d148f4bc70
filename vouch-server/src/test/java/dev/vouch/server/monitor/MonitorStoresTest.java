package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.policy.flavor.FlavorFactory;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorSigner;
import dev.vouch.policy.flavor.GoldenFlavors;
import dev.vouch.policy.flavor.HostEvidence;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.SignedFlavor;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Flavors, golden audit, reports and the report-signing identity on H2 and PostgreSQL. */
class MonitorStoresTest {
  private static final Instant T0 = Instant.parse("2026-11-01T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  private TestDatabases.Handle handle(String kind) {
    return kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
  }

  private static Sealer sealer(byte fill) {
    byte[] kek = new byte[32];
    java.util.Arrays.fill(kek, fill);
    return new Sealer(kek);
  }

  @ParameterizedTest
  @MethodSource("databases")
  void replicasStartingTogetherShareOneReportIdentityThatSurvivesRestart(String kind)
      throws Exception {
    try (TestDatabases.Handle h = handle(kind)) {
      List<Database> pools = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        pools.add(h.open());
      }
      ExecutorService ex = Executors.newFixedThreadPool(4);
      try {
        List<Future<ServerIdentity>> started = new ArrayList<>();
        for (Database db : pools) {
          Callable<ServerIdentity> c =
              () -> ServerIdentity.loadOrCreate(db, sealer((byte) 7), CLOCK);
          started.add(ex.submit(c));
        }
        byte[] ca = started.get(0).get().ca().getEncoded();
        for (Future<ServerIdentity> f : started) {
          assertThat(f.get().ca().getEncoded()).isEqualTo(ca);
          assertThat(f.get().chain()).hasSize(2);
          f.get().chain().get(0).verify(f.get().ca().getPublicKey());
        }
        pools.forEach(Database::close);
        try (Database again = h.open()) {
          assertThat(ServerIdentity.loadOrCreate(again, sealer((byte) 7), CLOCK).ca().getEncoded())
              .isEqualTo(ca);
          // another key-encryption key cannot open it, and must not quietly mint a new identity
          assertThatThrownBy(() -> ServerIdentity.loadOrCreate(again, sealer((byte) 8), CLOCK))
              .isInstanceOf(RuntimeException.class);
        }
      } finally {
        ex.shutdownNow();
      }
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void goldenFlavorsAreReplacedPerBootAuditedAndCountedByMode(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      ServerIdentity id = ServerIdentity.loadOrCreate(db, sealer((byte) 1), CLOCK);
      FlavorStore store = new FlavorStore(db);
      GoldenFlavors tofu = golden(GoldenFlavors.Mode.TOFU);

      assertThat(store.goldenResetCount("h1")).isEmpty();
      GoldenFlavors.Decision first = tofu.decide("h1", evidence((byte) 1, 5), OptionalLong.empty());
      assertThat(store.decide(first.audit(), sign(first, id))).isTrue();
      assertThat(store.goldenResetCount("h1")).hasValue(5);
      assertThat(store.candidates("h1", GoldenFlavors.Mode.TOFU)).hasSize(2);
      assertThat(store.candidates("h1", GoldenFlavors.Mode.STRICT)).isEmpty();
      assertThat(store.candidates("other-host", GoldenFlavors.Mode.TOFU)).isEmpty();

      // same boot: nothing written
      GoldenFlavors.Decision kept = tofu.decide("h1", evidence((byte) 1, 5), OptionalLong.of(5));
      assertThat(store.decide(kept.audit(), List.of())).isFalse();
      assertThat(store.audit("h1")).hasSize(1);

      // next boot: old golden retired, new adopted, both kept as records
      GoldenFlavors.Decision second = tofu.decide("h1", evidence((byte) 2, 6), OptionalLong.of(5));
      store.decide(second.audit(), sign(second, id));
      assertThat(store.goldenResetCount("h1")).hasValue(6);
      assertThat(store.list(Optional.of("h1"), false)).hasSize(2);
      assertThat(store.list(Optional.of("h1"), true)).hasSize(4);
      assertThat(store.candidates("h1", GoldenFlavors.Mode.TOFU))
          .extracting(f -> f.flavor().meta().id())
          .containsExactlyInAnyOrderElementsOf(
              second.adopted().stream().map(f -> f.meta().id()).toList());

      // strict refusals of the same boot are audited once
      GoldenFlavors strict = golden(GoldenFlavors.Mode.STRICT);
      for (int i = 0; i < 3; i++) {
        GoldenFlavors.Decision refused =
            strict.decide("h1", evidence((byte) 3, 7), OptionalLong.of(6));
        // only the first refusal is news (and the only one whose baseline change is published)
        assertThat(store.decide(refused.audit(), List.of())).isEqualTo(i == 0);
      }
      assertThat(store.audit("h1"))
          .extracting(FlavorStore.AuditEntry::action)
          .containsExactly("ADOPTED", "ADOPTED", "REFUSED");
      FlavorStore.AuditEntry adopted = store.audit("h1").get(1);
      assertThat(adopted.resetCount()).hasValue(6);
      assertThat(adopted.previousResetCount()).hasValue(5);
      assertThat(adopted.flavorIds()).hasSize(2);

      // an administrator's onboarding retires the golden flavors
      assertThat(store.retireGolden("h1", GoldenFlavors.Mode.TOFU, T0)).isEqualTo(2);
      assertThat(store.goldenResetCount("h1")).isEmpty();
      assertThat(store.audit("h1").getLast().action()).isEqualTo("RETIRED");

      // administrator flavors count in both modes; shared ones for every host
      GoldenFlavors.Decision made = tofu.decide("h2", evidence((byte) 9, 1), OptionalLong.empty());
      store.add(sign(made, id).subList(0, 1), Optional.empty(), FlavorStore.Origin.HOST, T0);
      assertThat(store.candidates("h2", GoldenFlavors.Mode.STRICT)).hasSize(1);
      // a stored flavor is parsed once, not on every attestation that reads it
      assertThat(store.candidates("h2", GoldenFlavors.Mode.STRICT).get(0))
          .isSameAs(store.candidates("h2", GoldenFlavors.Mode.STRICT).get(0))
          .isEqualTo(new FlavorStore(db).candidates("h2", GoldenFlavors.Mode.STRICT).get(0));
      UUID shared = store.candidates("h2", GoldenFlavors.Mode.STRICT).get(0).flavor().meta().id();
      assertThat(store.delete(shared)).isTrue();
      assertThat(store.delete(shared)).isFalse();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void flavorGroupsRoundTripAndBadPoliciesAreRefused(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      FlavorStore store = new FlavorStore(db);
      FlavorGroup g = HostVerifier.defaultGroup();
      FlavorGroup edge = new FlavorGroup("edge", g.policies());
      store.putGroup(edge, T0);
      assertThat(store.group("edge")).contains(edge);
      assertThat(store.groups()).containsExactly(edge);
      ObjectMapper json = new ObjectMapper();
      assertThatThrownBy(
              () ->
                  FlavorStore.readGroup(
                      "x",
                      json.readTree(
                          "{\"PLATFORM\":{\"match_type\":\"SOME\",\"required\":\"REQUIRED\"}}")))
          .isInstanceOf(VerificationException.class);
      assertThatThrownBy(() -> FlavorStore.readGroup("x", json.readTree("{\"BIOS\":{}}")))
          .isInstanceOf(VerificationException.class);
      assertThatThrownBy(() -> FlavorStore.readGroup("x", json.readTree("[]")))
          .isInstanceOf(VerificationException.class);
      assertThat(store.deleteGroup("edge")).isTrue();
      assertThat(store.group("edge")).isEmpty();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void reportsAreKeptAsHistoryNewestFirst(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      ServerIdentity id = ServerIdentity.loadOrCreate(db, sealer((byte) 1), CLOCK);
      TrustReportStore store = new TrustReportStore(db);
      List<UUID> ids = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        TrustReport r =
            new TrustReport(
                UUID.randomUUID(),
                "h1",
                new HostFacts("h1", "", "", "", "", "", "2.0"),
                Optional.of(true),
                i == 2 ? HostStatus.ATTESTATION_FAILED : HostStatus.VERIFIED,
                i != 2,
                Map.of(),
                List.of(),
                "report " + i,
                T0.plusSeconds(i),
                T0.plus(Duration.ofDays(1)));
        store.add(r, TrustReports.sign(r, id.key(), id.chain()));
        ids.add(r.id());
      }
      assertThat(store.forHost("h1", 10))
          .extracting(TrustReportStore.StoredReport::id)
          .containsExactly(ids.get(2), ids.get(1), ids.get(0));
      assertThat(store.forHost("h1", 1)).hasSize(1);
      TrustReportStore.StoredReport latest = store.get(ids.get(2)).orElseThrow();
      assertThat(latest.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
      assertThat(
              TrustReports.verifyWithoutRevocation(
                      latest.jws(), List.of(id.ca()), T0.plusSeconds(5))
                  .report()
                  .detail())
          .isEqualTo("report 2");
      assertThat(store.get(UUID.randomUUID())).isEmpty();
    }
  }

  private static GoldenFlavors golden(GoldenFlavors.Mode mode) {
    return new GoldenFlavors(
        mode,
        new FlavorFactory(UUID::randomUUID, CLOCK),
        HostVerifier.defaultTemplate(),
        EnumSet.of(FlavorPart.PLATFORM, FlavorPart.HOST_UNIQUE),
        CLOCK);
  }

  private static List<SignedFlavor> sign(GoldenFlavors.Decision d, ServerIdentity id)
      throws VerificationException {
    List<SignedFlavor> out = new ArrayList<>();
    for (var f : d.adopted()) {
      out.add(FlavorSigner.sign(f, id.key()));
    }
    return out;
  }

  /** Host facts plus SHA-256 PCRs 0-7 filled with {@code fill}, at a reset count. */
  private static HostEvidence evidence(byte fill, long resetCount) {
    PcrValues.Builder b = PcrValues.builder();
    for (int i = 0; i < 8; i++) {
      byte[] v = new byte[32];
      java.util.Arrays.fill(v, (byte) (fill + i));
      b.put(HashAlg.SHA256, i, v);
    }
    return HostEvidence.of(
        new HostFacts("h1", "", "", "", "", "", "2.0"),
        b.build(),
        false,
        Optional.empty(),
        Optional.empty(),
        resetCount);
  }
}
