package dev.vouch.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import dev.vouch.policy.EvaluationLimits;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.policy.ear.SigningKey;
import dev.vouch.policy.rvps.Provenance;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.server.policy.AppraisalPolicy;
import dev.vouch.server.policy.PolicyStore;
import dev.vouch.server.policy.StoredPolicy;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The JDBC stores on H2 and on PostgreSQL: the same tests, the same SQL. */
class PersistenceTest {
  private static final String POLICY =
      """
      rules:
        - name: debug_off
          category: configuration
          expr: claims["snp.policy.debug"] == false
      """;

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  private TestDatabases.Handle handle(String kind) {
    return kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
  }

  /** A clock the test moves by hand. */
  static final class MovableClock extends Clock {
    final AtomicReference<Instant> now =
        new AtomicReference<>(Instant.now().truncatedTo(ChronoUnit.MILLIS));

    @Override
    public ZoneOffset getZone() {
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

    void advance(Duration d) {
      now.updateAndGet(t -> t.plus(d));
    }
  }

  private static Sealer sealer() {
    return new Sealer(new byte[32]);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void referenceValuesRoundTripWithProvenanceAndValidity(String kind) {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcReferenceValueStore store = new JdbcReferenceValueStore(db);
      Instant now = Instant.parse("2026-01-01T00:00:00Z");
      ReferenceValue a =
          new ReferenceValue(
              "tpm.pcr.sha256.7",
              List.of("ab".repeat(32), 7L, true, Map.of("k", List.of(1L))),
              new Provenance(Provenance.Kind.SIGNED, "kid-1", now),
              now,
              now.plus(Duration.ofDays(1)));
      store.putAll(List.of(a));
      assertThat(store.list()).containsExactly(a);
      assertThat(store.query(a.name(), now.plusSeconds(5))).contains(a);
      assertThat(store.query(a.name(), now.plus(Duration.ofDays(2)))).isEmpty();
      assertThat(store.query(a.name(), now.minusSeconds(1))).isEmpty();
      assertThat(store.referenceMap(now.plusSeconds(1))).containsKey(a.name());

      ReferenceValue replaced =
          new ReferenceValue(
              a.name(),
              List.of("cd"),
              new Provenance(Provenance.Kind.SAMPLE, null, now),
              null,
              null);
      store.putAll(List.of(replaced));
      assertThat(store.list()).containsExactly(replaced);
      assertThat(store.remove(a.name())).isTrue();
      assertThat(store.remove(a.name())).isFalse();
      assertThat(store.list()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aBatchOfReferenceValuesIsStoredWhollyOrNotAtAll(String kind) {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcReferenceValueStore store = new JdbcReferenceValueStore(db);
      Provenance p = new Provenance(Provenance.Kind.SAMPLE, null, Instant.now());
      List<ReferenceValue> batch = new ArrayList<>();
      batch.add(new ReferenceValue("ok", List.of("1"), p, null, null));
      // longer than the column: the database refuses the second row, so the first must vanish too
      batch.add(new ReferenceValue("x".repeat(300), List.of("2"), p, null, null));
      assertThatThrownBy(() -> store.putAll(batch)).isInstanceOf(StoreException.class);
      assertThat(store.list()).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void policiesKeepEveryVersionAndABadOneStoresNothing(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      PolicyStore store =
          new PolicyStore(db, new PolicyCompiler(EvaluationLimits.DEFAULT), Clock.systemUTC());
      StoredPolicy v1 = store.put("snp-strict", POLICY);
      StoredPolicy v2 = store.put("snp-strict", POLICY.replace("debug_off", "no_debug"));
      assertThat(v1.version()).isEqualTo(1);
      assertThat(v2.version()).isEqualTo(2);
      assertThat(store.versions("snp-strict"))
          .extracting(StoredPolicy::version)
          .containsExactly(1, 2);
      assertThat(
              ((AppraisalPolicy.Rules) store.resolve("snp-strict").orElseThrow())
                  .policy()
                  .rules()
                  .get(0)
                  .name())
          .isEqualTo("no_debug");
      assertThatThrownBy(
              () ->
                  store.put(
                      "snp-strict", "rules:\n  - name: x\n    category: hardware\n    expr: 1 +\n"))
          .isInstanceOf(PolicyException.class);
      assertThat(store.versions("snp-strict")).hasSize(2);
      assertThat(store.resolve("default-tpm")).isPresent();
      assertThat(store.resolve("nothing")).isEmpty();
      assertThat(store.ids()).containsExactly("snp-strict");
      assertThat(store.delete("snp-strict")).isTrue();
      assertThat(store.versions("snp-strict")).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void signingKeysArePersistedSealedAndSurviveReopening(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind)) {
      MovableClock clock = new MovableClock();
      SigningKey first;
      String sealed;
      try (Database db = h.open()) {
        JdbcSigningKeys keys =
            new JdbcSigningKeys(
                db,
                sealer(),
                EarAlgorithm.ES256,
                Duration.ofMinutes(5),
                Duration.ofHours(1),
                clock);
        first = keys.current();
        try (Connection c = db.dataSource().getConnection();
            ResultSet rs =
                c.createStatement().executeQuery("SELECT sealed_private_key FROM signing_keys")) {
          rs.next();
          sealed = rs.getString(1);
        }
      }
      String d = first.key().getD().toString();
      assertThat(sealed).doesNotContain(d);
      try (Database db = h.open()) {
        JdbcSigningKeys again =
            new JdbcSigningKeys(
                db,
                sealer(),
                EarAlgorithm.ES256,
                Duration.ofMinutes(5),
                Duration.ofHours(1),
                clock);
        assertThat(again.current().kid()).isEqualTo(first.kid());
        // the reloaded private key signs what the old public key verifies
        JWSObject jws = new JWSObject(new JWSHeader(JWSAlgorithm.ES256), new Payload("x"));
        jws.sign(new ECDSASigner(again.current().key()));
        assertThat(jws.verify(new ECDSAVerifier(first.publicJwk()))).isTrue();
        // another KEK cannot open it
        assertThatThrownBy(
                () ->
                    new JdbcSigningKeys(
                        db,
                        new Sealer(
                            new byte[] {
                              1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7,
                              8, 1, 2, 3, 4, 5, 6, 7, 8
                            }),
                        EarAlgorithm.ES256,
                        Duration.ofMinutes(5),
                        Duration.ofHours(1),
                        clock))
            .isInstanceOf(Sealer.SealedDataException.class);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void rotationKeepsTheOldKeyPublishedUntilItsTokensHaveExpired(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      MovableClock clock = new MovableClock();
      JdbcSigningKeys keys =
          new JdbcSigningKeys(
              db, sealer(), EarAlgorithm.ES256, Duration.ofMinutes(5), Duration.ofHours(1), clock);
      String old = keys.current().kid();
      assertThat(keys.rotateIfDue()).isEmpty();
      clock.advance(Duration.ofMinutes(61));
      String fresh = keys.rotateIfDue().orElseThrow().kid();
      assertThat(fresh).isNotEqualTo(old);
      assertThat(keys.current().kid()).isEqualTo(fresh);
      assertThat(kids(keys.jwksJson())).containsExactly(fresh, old);
      clock.advance(Duration.ofMinutes(5));
      keys.rotateIfDue();
      assertThat(kids(keys.jwksJson()))
          .as("tokens of the old key may still be valid")
          .contains(old);
      clock.advance(Duration.ofMinutes(2));
      keys.rotateIfDue();
      assertThat(kids(keys.jwksJson())).containsExactly(fresh);
    }
  }

  private static List<String> kids(String jwks) throws Exception {
    return JWKSet.parse(jwks).getKeys().stream().map(k -> k.getKeyID()).toList();
  }
}
