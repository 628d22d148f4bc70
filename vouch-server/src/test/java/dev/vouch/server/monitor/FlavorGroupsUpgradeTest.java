package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.policy.flavor.Flavor;
import dev.vouch.policy.flavor.FlavorFactory;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorMatcher;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorResult;
import dev.vouch.policy.flavor.FlavorSigner;
import dev.vouch.policy.flavor.GoldenFlavors;
import dev.vouch.policy.flavor.HostEvidence;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.HostTrust;
import dev.vouch.policy.flavor.MatchPolicy;
import dev.vouch.policy.flavor.PartTrust;
import dev.vouch.policy.flavor.SignedFlavor;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.hosts.RoutedAgentChannel;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.Sql;
import dev.vouch.server.store.TestDatabases;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * V7_16_1 (flavor groups that hold flavors, hosts assigned to groups) on a database that already
 * holds flavors, groups, hosts and reports as the schema before it had them: after the upgrade
 * every host gets the same verdict on the same measurements as before, in both golden-flavor modes,
 * and the stored reports, statuses and history are untouched. H2 and PostgreSQL.
 */
class FlavorGroupsUpgradeTest {
  /** The last version before flavor-group membership. */
  private static final String BEFORE_MEMBERSHIP = "7.14.13";

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private static final Instant T0 = Instant.parse("2026-11-01T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(T0, ZoneOffset.UTC);

  @TempDir Path dir;

  /** Each database, with and without a stored group that was called "automatic" before. */
  static Stream<org.junit.jupiter.params.provider.Arguments> databases() {
    return Stream.of("h2", "postgresql")
        .flatMap(
            db ->
                Stream.of(
                    org.junit.jupiter.params.provider.Arguments.of(db, false),
                    org.junit.jupiter.params.provider.Arguments.of(db, true)));
  }

  /**
   * Before V7_16_1 a host was judged by the stored group named like its host group, else by the
   * stored group "default", else by the built-in one, and with every flavor bound to no host or to
   * it (golden ones of a part with approved flavors left out in TOFU). This is that rule, kept here
   * as the oracle the upgraded store is checked against.
   */
  private static HostTrust oldVerdict(
      Connection c,
      FlavorMatcher matcher,
      String hostId,
      GoldenFlavors.Mode mode,
      HostEvidence evidence)
      throws Exception {
    String hostGroup = one(c, "SELECT host_group FROM hosts WHERE id = ?", hostId).orElseThrow();
    FlavorGroup group =
        storedGroup(c, hostGroup)
            .or(() -> storedGroup(c, "default"))
            .orElseGet(() -> new FlavorGroup("default", HostVerifier.defaultGroup().policies()));
    List<Object[]> rows = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT signed_json, origin, approved FROM flavors WHERE retired_at IS NULL"
                + " AND (host_id IS NULL OR host_id = ?) ORDER BY created_at, id")) {
      ps.setString(1, hostId);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String origin = rs.getString(2);
          boolean approved = rs.getBoolean(3);
          if (mode == GoldenFlavors.Mode.STRICT && !approved) {
            continue;
          }
          rows.add(
              new Object[] {
                FlavorJson.readSigned(JSON.readTree(rs.getString(1))), origin, approved
              });
        }
      }
    }
    Set<FlavorPart> approvedParts = EnumSet.noneOf(FlavorPart.class);
    for (Object[] r : rows) {
      if (!"GOLDEN".equals(r[1]) && (Boolean) r[2]) {
        approvedParts.add(((SignedFlavor) r[0]).flavor().part());
      }
    }
    List<SignedFlavor> candidates =
        rows.stream()
            .filter(r -> !"GOLDEN".equals(r[1]) || !approvedParts.contains(part(r)))
            .map(r -> (SignedFlavor) r[0])
            .toList();
    return matcher.match(group, candidates, evidence);
  }

  private static FlavorPart part(Object[] row) {
    return ((SignedFlavor) row[0]).flavor().part();
  }

  private static Optional<FlavorGroup> storedGroup(Connection c, String name) {
    try {
      Optional<String> json =
          one(c, "SELECT policies_json FROM flavor_groups WHERE name = ?", name);
      if (json.isEmpty()) {
        return Optional.empty();
      }
      return Optional.of(FlavorStore.readGroup(name, JSON.readTree(json.get())));
    } catch (SQLException | VerificationException | java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private static Optional<String> one(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    }
  }

  /** What a verdict decides, without the sentence (which names the group, renamed on upgrade). */
  private record Decision(
      HostStatus status,
      boolean overall,
      Map<FlavorPart, Boolean> parts,
      Map<UUID, Boolean> flavors) {
    static Decision of(HostTrust t) {
      Map<FlavorPart, Boolean> parts = new EnumMap<>(FlavorPart.class);
      for (PartTrust p : t.parts().values()) {
        parts.put(p.part(), p.trusted());
      }
      Map<UUID, Boolean> flavors = new TreeMap<>();
      for (FlavorResult f : t.flavors()) {
        flavors.put(f.flavorId(), f.trusted());
      }
      return new Decision(t.status(), t.overall(), parts, flavors);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void everyVerdictReportAndStatusIsUnchangedByTheMembershipMigration(
      String kind, boolean automaticStored) throws Exception {
    TestDatabases.Handle h = kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
    try (h) {
      Map<String, HostEvidence> boots = new LinkedHashMap<>();
      boots.put("a", evidence((byte) 0x10));
      boots.put("b", evidence((byte) 0x20));
      boots.put("c", evidence((byte) 0x30));
      List<String> hosts =
          List.of("h-gold", "h-gold-2", "h-edge", "h-default", "h-silver", "h-automatic");
      Map<String, Decision> before = new TreeMap<>();
      Map<String, String> statuses = new TreeMap<>();
      Map<String, String> lastReports = new TreeMap<>();
      Sealer sealer = new Sealer(new byte[32]);
      try (Database old = h.openAt(BEFORE_MEMBERSHIP);
          Connection c = old.dataSource().getConnection()) {
        ServerIdentity id = ServerIdentity.loadOrCreate(old, sealer, CLOCK);
        oldSchemaData(c, id, boots, automaticStored);
        FlavorMatcher matcher = FlavorMatcher.trusting(List.of(id.chain().get(0).getPublicKey()));
        for (String host : hosts) {
          for (GoldenFlavors.Mode mode : GoldenFlavors.Mode.values()) {
            for (var boot : boots.entrySet()) {
              HostTrust t = oldVerdict(c, matcher, host, mode, boot.getValue());
              before.put(host + "/" + mode + "/" + boot.getKey(), Decision.of(t));
            }
          }
          // each host's last report, signed from its old verdict under the mode in force (TOFU)
          HostTrust last = oldVerdict(c, matcher, host, GoldenFlavors.Mode.TOFU, boots.get("a"));
          TrustReport r =
              TrustReport.of(UUID.randomUUID(), host, boots.get("a"), last, T0, Duration.ofDays(1));
          oldReport(c, r, TrustReports.sign(r, id.key(), id.chain()));
          statuses.put(host, r.status().name());
          lastReports.put(host, r.id().toString());
        }
      }
      // the verdicts differ between hosts on the same boot: the comparison below sees a change
      assertThat(
              before.entrySet().stream()
                  .collect(
                      Collectors.groupingBy(
                          e -> e.getKey().substring(e.getKey().indexOf('/')),
                          Collectors.mapping(e -> e.getValue().status(), Collectors.toSet())))
                  .values())
          .anyMatch(s -> s.size() > 1);

      try (Database db = h.open()) {
        ServerIdentity id = ServerIdentity.loadOrCreate(db, sealer, CLOCK);
        FlavorStore flavors = new FlavorStore(db);
        TrustReportStore reports = new TrustReportStore(db);
        Map<String, Decision> after = new TreeMap<>();
        for (GoldenFlavors.Mode mode : GoldenFlavors.Mode.values()) {
          HostVerifier verifier = verifier(db, flavors, reports, id, mode);
          for (String host : hosts) {
            for (var boot : boots.entrySet()) {
              after.put(
                  host + "/" + mode + "/" + boot.getKey(),
                  Decision.of(verifier.verdict(host, boot.getValue())));
            }
          }
        }
        assertThat(after.keySet()).isEqualTo(before.keySet());
        // only the verdicts that changed, so that a failure names them
        Map<String, String> changed = new TreeMap<>();
        before.forEach(
            (k, v) -> {
              if (!v.equals(after.get(k))) {
                changed.put(k, v + " -> " + after.get(k));
              }
            });
        assertThat(changed).isEmpty();

        // hosts judged by a stored group are now assigned to it; the others by "automatic"
        assertThat(flavors.assignments("h-gold"))
            .extracting(FlavorStore.Assignment::group)
            .containsExactly("gold");
        // with "automatic" stored too, "default" keeps its name and its hosts (V7_16_2)
        List<String> judgedByDefault = automaticStored ? List.of("default") : List.of();
        assertThat(flavors.assignments("h-edge"))
            .extracting(FlavorStore.Assignment::group)
            .isEqualTo(judgedByDefault);
        assertThat(flavors.assignments("h-default"))
            .extracting(FlavorStore.Assignment::group)
            .isEqualTo(judgedByDefault);
        assertThat(flavors.assignments("h-automatic")).isEmpty();
        assertThat(flavors.group("automatic")).isPresent();
        assertThat(flavors.group("default").isPresent()).isEqualTo(automaticStored);

        for (String host : hosts) {
          try (Connection c = db.dataSource().getConnection()) {
            assertThat(one(c, "SELECT status FROM hosts WHERE id = ?", host))
                .contains(statuses.get(host));
            assertThat(one(c, "SELECT last_report_id FROM hosts WHERE id = ?", host))
                .contains(lastReports.get(host));
            assertThat(one(c, "SELECT report_id FROM host_status_history WHERE host_id = ?", host))
                .contains(lastReports.get(host));
          }
          TrustReportStore.StoredReport stored =
              reports.get(UUID.fromString(lastReports.get(host))).orElseThrow();
          assertThat(stored.status().name()).isEqualTo(statuses.get(host));
          TrustReport signed =
              TrustReports.verifyWithoutRevocation(stored.jws(), List.of(id.ca()), T0).report();
          assertThat(signed.status()).isEqualTo(after.get(host + "/TOFU/a").status());
        }
      }
    }
  }

  private static HostVerifier verifier(
      Database db,
      FlavorStore flavors,
      TrustReportStore reports,
      ServerIdentity id,
      GoldenFlavors.Mode mode) {
    // verdict() reads the store only; the attestor has no agent to reach
    HostAttestor attestor =
        new HostAttestor(
            new InMemoryEnrollmentStore(),
            new RoutedAgentChannel(host -> Optional.empty(), Optional.empty(), Optional.empty()),
            QuotePlan.firmware(),
            CLOCK,
            new SecureRandom());
    return new HostVerifier(
        attestor, flavors, reports, id, HostVerifier.Settings.defaults().withMode(mode), CLOCK);
  }

  /**
   * Flavors, groups and hosts as the schema before V7_16_1 held them: shared PLATFORM flavors of
   * boots a and b, a HOST_UNIQUE flavor bound to h-gold and one bound to no host, golden PLATFORM
   * flavors of h-edge (boot c, current) and of h-silver (retired), an unapproved unsigned import;
   * stored groups "gold" (PLATFORM ALL_OF), "silver" and an override of "default" (HOST_UNIQUE
   * required); hosts in those groups, in a group never stored (edge) and in "default".
   */
  private static void oldSchemaData(
      Connection c, ServerIdentity id, Map<String, HostEvidence> boots, boolean automaticStored)
      throws Exception {
    FlavorFactory factory = new FlavorFactory(UUID::randomUUID, CLOCK);
    var template = HostVerifier.defaultTemplate();
    Instant at = T0.minus(Duration.ofDays(30));
    Flavor platformA =
        factory.fromHost(boots.get("a"), template, EnumSet.of(FlavorPart.PLATFORM)).get(0);
    Flavor platformB =
        factory.fromHost(boots.get("b"), template, EnumSet.of(FlavorPart.PLATFORM)).get(0);
    Flavor platformC =
        factory.fromHost(boots.get("c"), template, EnumSet.of(FlavorPart.PLATFORM)).get(0);
    Flavor uniqueA =
        factory.fromHost(boots.get("a"), template, EnumSet.of(FlavorPart.HOST_UNIQUE)).get(0);
    Flavor uniqueB =
        factory.fromHost(boots.get("b"), template, EnumSet.of(FlavorPart.HOST_UNIQUE)).get(0);
    Flavor silverOld =
        factory.fromHost(boots.get("b"), template, EnumSet.of(FlavorPart.PLATFORM)).get(0);
    Flavor unsignedC =
        factory.fromHost(boots.get("c"), template, EnumSet.of(FlavorPart.HOST_UNIQUE)).get(0);
    oldFlavor(c, id, platformA, null, "HOST", true, null, at, null);
    oldFlavor(c, id, platformB, null, "IMPORT", true, null, at.plusSeconds(1), null);
    oldFlavor(c, id, uniqueA, "h-gold", "HOST", true, null, at.plusSeconds(2), null);
    oldFlavor(c, id, uniqueB, null, "IMPORT", true, null, at.plusSeconds(3), null);
    oldFlavor(c, id, platformC, "h-edge", "GOLDEN", false, 7L, at.plusSeconds(4), null);
    oldFlavor(
        c, id, silverOld, "h-silver", "GOLDEN", false, 3L, at.plusSeconds(5), at.plusSeconds(6));
    oldFlavor(c, id, unsignedC, null, "IMPORT_UNSIGNED", false, null, at.plusSeconds(7), null);

    Map<FlavorPart, MatchPolicy> gold = new EnumMap<>(FlavorPart.class);
    gold.put(
        FlavorPart.PLATFORM,
        new MatchPolicy(MatchPolicy.MatchType.ALL_OF, MatchPolicy.Required.REQUIRED));
    gold.put(
        FlavorPart.HOST_UNIQUE,
        new MatchPolicy(MatchPolicy.MatchType.LATEST, MatchPolicy.Required.REQUIRED_IF_DEFINED));
    Map<FlavorPart, MatchPolicy> silver = new EnumMap<>(FlavorPart.class);
    silver.put(
        FlavorPart.PLATFORM,
        new MatchPolicy(MatchPolicy.MatchType.LATEST, MatchPolicy.Required.REQUIRED));
    Map<FlavorPart, MatchPolicy> dflt = new EnumMap<>(HostVerifier.defaultGroup().policies());
    dflt.put(
        FlavorPart.HOST_UNIQUE,
        new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED));
    oldGroup(c, new FlavorGroup("gold", gold), at);
    oldGroup(c, new FlavorGroup("silver", silver), at);
    oldGroup(c, new FlavorGroup("default", dflt), at);
    // a stored group that happened to be called "automatic" (an ordinary name before V7_16_1):
    // hosts of no stored group were judged by "default", not by it
    Map<FlavorPart, MatchPolicy> automatic = new EnumMap<>(FlavorPart.class);
    automatic.put(
        FlavorPart.PLATFORM,
        new MatchPolicy(MatchPolicy.MatchType.ALL_OF, MatchPolicy.Required.REQUIRED));
    if (automaticStored) {
      oldGroup(c, new FlavorGroup("automatic", automatic), at);
    }

    oldHost(c, "h-gold", "gold");
    oldHost(c, "h-gold-2", "gold");
    oldHost(c, "h-edge", "edge");
    oldHost(c, "h-default", "default");
    oldHost(c, "h-silver", "silver");
    oldHost(c, "h-automatic", "automatic");
  }

  private static void oldFlavor(
      Connection c,
      ServerIdentity id,
      Flavor f,
      String hostId,
      String origin,
      boolean approved,
      Long resetCount,
      Instant created,
      Instant retired)
      throws Exception {
    SignedFlavor s = FlavorSigner.sign(f, id.key());
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO flavors (id, part, host_id, origin, approved, reset_count, created_at,"
                + " retired_at, signed_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, f.meta().id().toString());
      ps.setString(2, f.part().name());
      ps.setString(3, hostId);
      ps.setString(4, origin);
      ps.setBoolean(5, approved);
      ps.setObject(6, resetCount, java.sql.Types.BIGINT);
      Sql.setInstant(ps, 7, created);
      if (retired == null) {
        ps.setNull(8, java.sql.Types.TIMESTAMP_WITH_TIMEZONE);
      } else {
        Sql.setInstant(ps, 8, retired);
      }
      ps.setString(9, FlavorJson.writeSigned(s).toString());
      ps.executeUpdate();
    }
  }

  private static void oldGroup(Connection c, FlavorGroup g, Instant at) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO flavor_groups (name, policies_json, updated_at) VALUES (?, ?, ?)")) {
      ps.setString(1, g.name());
      ps.setString(2, FlavorStore.writeGroup(g).toString());
      Sql.setInstant(ps, 3, at);
      ps.executeUpdate();
    }
  }

  private static void oldHost(Connection c, String id, String group) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO hosts (id, host_group, connection, status, next_due, trigger_pending)"
                + " VALUES (?, ?, 'nats', 'UNKNOWN', ?, FALSE)")) {
      ps.setString(1, id);
      ps.setString(2, group);
      Sql.setInstant(ps, 3, T0);
      ps.executeUpdate();
    }
  }

  private static void oldReport(Connection c, TrustReport r, String jws) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO trust_reports (id, host_id, status, overall, created_at, expires_at, jws)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, r.id().toString());
      ps.setString(2, r.hostId());
      ps.setString(3, r.status().name());
      ps.setBoolean(4, r.overall());
      Sql.setInstant(ps, 5, r.created());
      Sql.setInstant(ps, 6, r.expires());
      ps.setString(7, jws);
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE hosts SET status = ?, last_report_id = ?, last_attested = ? WHERE id = ?")) {
      ps.setString(1, r.status().name());
      ps.setString(2, r.id().toString());
      Sql.setInstant(ps, 3, r.created());
      ps.setString(4, r.hostId());
      ps.executeUpdate();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO host_status_history (host_id, changed_at, previous_status, new_status,"
                + " reasons, report_id) VALUES (?, ?, 'UNKNOWN', ?, '', ?)")) {
      ps.setString(1, r.hostId());
      Sql.setInstant(ps, 2, r.created());
      ps.setString(3, r.status().name());
      ps.setString(4, r.id().toString());
      ps.executeUpdate();
    }
  }

  /** SHA-256 PCRs 0-7 filled from {@code fill}, Secure Boot on, no event log. */
  private static HostEvidence evidence(byte fill) {
    PcrValues.Builder b = PcrValues.builder();
    for (int i = 0; i < 8; i++) {
      byte[] v = new byte[32];
      java.util.Arrays.fill(v, (byte) (fill + i));
      b.put(HashAlg.SHA256, i, v);
    }
    return new HostEvidence(
        new HostFacts("host", "", "", "", "", "", "2.0"),
        b.build(),
        Map.of(),
        false,
        Optional.of(true),
        OptionalLong.of(1),
        Optional.empty());
  }
}
