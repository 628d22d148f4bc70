package dev.vouch.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.EvaluationLimits;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.rvps.Provenance;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.server.manager.MutableClock;
import dev.vouch.server.policy.AppraisalPolicy;
import dev.vouch.server.policy.PolicyStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two replicas (each its own connection pool and stores) on one database: the policies and
 * reference values each serves from memory follow a change made on the other within one check
 * interval (250 ms by default, inside the one-second promise), and the replica that made the change
 * uses it at once. The clock is moved by hand, so the test proves the bound without depending on
 * the machine's speed; the stale read before the interval shows that lookups between checks do not
 * go to the database.
 */
class ReplicaCacheConsistencyTest {
  @TempDir Path dir;

  private static final Instant T0 = Instant.parse("2026-12-07T00:00:00Z");
  private static final Duration CHECK = VersionedCache.DEFAULT_CHECK;
  private static final String RULE_A =
      "rules:\n  - name: a\n    category: executables\n    expr: claims[\"x\"] == \"a\"\n";
  private static final String RULE_B =
      "rules:\n  - name: b\n    category: executables\n    expr: claims[\"x\"] == \"b\"\n";

  private TestDatabases.Handle handle(String kind) {
    return kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
  }

  private static PolicyStore policies(Database db, MutableClock clock) {
    return new PolicyStore(db, new PolicyCompiler(EvaluationLimits.DEFAULT), clock, CHECK);
  }

  private static int version(PolicyStore store, String id) {
    return store.resolve(id).map(AppraisalPolicy::version).orElse(-1);
  }

  private static ReferenceValue value(String name, String v) {
    return new ReferenceValue(
        name, List.of(v), new Provenance(Provenance.Kind.SAMPLE, null, T0), null, null);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"postgresql", "h2"})
  void aPolicyChangedOnOneReplicaIsUsedByTheOtherWithinOneCheck(String kind) throws Exception {
    MutableClock clock = new MutableClock(T0);
    try (TestDatabases.Handle h = handle(kind);
        Database a = h.open();
        Database b = h.open()) {
      PolicyStore onA = policies(a, clock);
      PolicyStore onB = policies(b, clock);
      onA.put("p", RULE_A);
      assertThat(version(onB, "p")).isEqualTo(1);

      onA.put("p", RULE_B);
      assertThat(version(onA, "p")).as("the writer sees its own change at once").isEqualTo(2);
      assertThat(version(onB, "p")).as("between checks B answers from memory").isEqualTo(1);
      clock.advance(CHECK);
      assertThat(version(onB, "p")).as("after one check interval").isEqualTo(2);
      assertThat(CHECK).isLessThanOrEqualTo(Duration.ofSeconds(1));

      // a delete falls back on every replica too (no stored "p" and no built-in of that name)
      assertThat(onB.delete("p")).isTrue();
      assertThat(version(onB, "p")).isEqualTo(-1);
      clock.advance(CHECK);
      assertThat(version(onA, "p")).isEqualTo(-1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"postgresql", "h2"})
  void referenceValuesChangedOnOneReplicaAreUsedByTheOtherWithinOneCheck(String kind)
      throws Exception {
    MutableClock clock = new MutableClock(T0);
    try (TestDatabases.Handle h = handle(kind);
        Database a = h.open();
        Database b = h.open()) {
      JdbcReferenceValueStore onA = new JdbcReferenceValueStore(a, clock, CHECK);
      JdbcReferenceValueStore onB = new JdbcReferenceValueStore(b, clock, CHECK);
      onA.putAll(List.of(value("tpm.pcr.sha256.0", "aa")));
      assertThat(onA.referenceMap(T0)).containsEntry("tpm.pcr.sha256.0", List.of("aa"));
      assertThat(onB.referenceMap(T0)).containsEntry("tpm.pcr.sha256.0", List.of("aa"));

      onB.putAll(List.of(value("tpm.pcr.sha256.0", "bb")));
      assertThat(onB.referenceMap(T0)).containsEntry("tpm.pcr.sha256.0", List.of("bb"));
      assertThat(onA.referenceMap(T0)).containsEntry("tpm.pcr.sha256.0", List.of("aa"));
      clock.advance(CHECK);
      assertThat(onA.referenceMap(T0)).containsEntry("tpm.pcr.sha256.0", List.of("bb"));

      assertThat(onA.remove("tpm.pcr.sha256.0")).isTrue();
      assertThat(onA.referenceMap(T0)).doesNotContainKey("tpm.pcr.sha256.0");
      clock.advance(CHECK);
      assertThat(onB.referenceMap(T0)).doesNotContainKey("tpm.pcr.sha256.0");
      // removing nothing changes nothing, and does not count as a change
      assertThat(onA.remove("absent")).isFalse();
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"postgresql", "h2"})
  void theKbsResourcePolicyChangedOnOneReplicaIsUsedByTheOtherWithinOneCheck(String kind)
      throws Exception {
    MutableClock clock = new MutableClock(T0);
    try (TestDatabases.Handle h = handle(kind);
        Database a = h.open();
        Database b = h.open()) {
      JdbcResourcePolicyStore onA = new JdbcResourcePolicyStore(a, clock, CHECK);
      JdbcResourcePolicyStore onB = new JdbcResourcePolicyStore(b, clock, CHECK);
      assertThat(onB.load()).isEmpty();
      onA.save("first");
      assertThat(onA.load()).contains("first");
      assertThat(onB.load()).as("between checks B answers from memory").isEmpty();
      clock.advance(CHECK);
      assertThat(onB.load()).contains("first");
      onB.save("second");
      assertThat(onB.load()).contains("second");
      clock.advance(CHECK);
      assertThat(onA.load()).contains("second");
    }
  }
}
