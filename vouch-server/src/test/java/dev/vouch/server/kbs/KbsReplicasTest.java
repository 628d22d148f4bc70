package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.JdbcResourcePolicyStore;
import dev.vouch.server.store.JdbcResourceStore;
import dev.vouch.server.store.JdbcSessionStore;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.StoreException;
import dev.vouch.server.store.TestDatabases;
import dev.vouch.server.store.VersionedCache;
import io.javalin.Javalin;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The KBS over the JDBC stores on H2 and PostgreSQL: two services on one database behave as two
 * replicas behind a load balancer without sticky sessions.
 */
class KbsReplicasTest {
  private static final String SECRET = "replicated-secret-0123456789";
  private static final ResourcePath PATH = new ResourcePath("default", "key", "luks");

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  private TestDatabases.Handle handle(String kind) {
    return kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
  }

  /** One replica: its own service and HTTP app, the shared database and KEK. */
  private static final class Replica implements AutoCloseable {
    final KbsService service;
    final Javalin app;

    Replica(Database db, Sealer sealer, MutableClock clock, RealAttestation backend) {
      service =
          new KbsService(
              KbsHarness.testConfig(),
              Optional.<AttestationBackend>of(backend),
              Optional.empty(),
              new JdbcSessionStore(db, sealer),
              new JdbcResourceStore(db, sealer, clock),
              AdminAuth.denyAll(),
              ResourcePolicy.defaultPolicy(),
              new JdbcResourcePolicyStore(db, clock),
              clock,
              new SecureRandom());
      app = Javalin.create(new KbsRoutes(service)::register).start("127.0.0.1", 0);
    }

    String url() {
      return "http://127.0.0.1:" + app.port();
    }

    @Override
    public void close() {
      app.stop();
    }
  }

  /** A client of {@code to} that carries on the handshake {@code from} started. */
  private static DocClient continued(DocClient from, Replica to) {
    DocClient c = new DocClient(to.url());
    c.cookie = from.cookie;
    c.nonce = from.nonce;
    c.key = from.key;
    return c;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aHandshakeSpreadOverTwoReplicasReleasesTheSecret(String kind) throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    Sealer sealer = new Sealer(new byte[32]);
    try (RealAttestation backend = new RealAttestation(clock, Duration.ofMinutes(5));
        TestDatabases.Handle h = handle(kind);
        Database db = h.open();
        Replica a = new Replica(db, sealer, clock, backend);
        Replica b = new Replica(db, sealer, clock, backend)) {
      new JdbcResourceStore(db, sealer, clock).put(PATH, SECRET.getBytes(StandardCharsets.UTF_8));

      DocClient onA = new DocClient(a.url());
      assertThat(onA.auth("sample").statusCode()).isEqualTo(200);
      DocClient onB = continued(onA, b);
      JWK key = DocClient.ecKey(Curve.P_256);
      HttpResponse<String> attested = onB.attest(key);
      assertThat(attested.statusCode()).as(attested.body()).isEqualTo(200);
      DocClient backOnA = continued(onB, a);
      HttpResponse<String> r = backOnA.resource(PATH.toString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(new String(KbsProtocolTest.decrypt(r.body(), key), StandardCharsets.UTF_8))
          .isEqualTo(SECRET);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aNonceConsumedOnOneReplicaCannotBeReplayedOnTheOther(String kind) throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    Sealer sealer = new Sealer(new byte[32]);
    try (RealAttestation backend = new RealAttestation(clock, Duration.ofMinutes(5));
        TestDatabases.Handle h = handle(kind);
        Database db = h.open();
        Replica a = new Replica(db, sealer, clock, backend);
        Replica b = new Replica(db, sealer, clock, backend)) {
      DocClient onA = new DocClient(a.url());
      onA.auth("sample");
      JWK key = DocClient.ecKey(Curve.P_256);
      String body = onA.attestationBody(key, DocClient.bindingDigest(onA.nonce, key));
      assertThat(onA.post("/kbs/v0/attest", body, Optional.empty()).statusCode()).isEqualTo(200);
      HttpResponse<String> replay =
          continued(onA, b).post("/kbs/v0/attest", body, Optional.empty());
      KbsProtocolTest.assertError(replay, 401, "AttestationError", "already used");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void racingTransitionsOnTwoStoresLetExactlyOneConsumeTheNonce(String kind) throws Exception {
    Sealer sealer = new Sealer(new byte[32]);
    try (TestDatabases.Handle h = handle(kind);
        Database db1 = h.open();
        Database db2 = h.open()) {
      JdbcSessionStore s1 = new JdbcSessionStore(db1, sealer);
      JdbcSessionStore s2 = new JdbcSessionStore(db2, sealer);
      Instant now = Instant.now();
      List<Session> sessions = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Session s =
            Session.authed(
                String.format("%032x", i), Tee.SAMPLE, "nonce" + i, now.plusSeconds(300));
        s1.create(s);
        sessions.add(s);
      }
      for (Session s : sessions) {
        Session claimed = s.with(Session.State.ATTESTING);
        var t1 =
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> s1.transition(Session.State.AUTHED, claimed, now));
        var t2 =
            java.util.concurrent.CompletableFuture.supplyAsync(
                () -> s2.transition(Session.State.AUTHED, claimed, now));
        assertThat(List.of(t1.join(), t2.join())).containsExactlyInAnyOrder(true, false);
        assertThat(s2.find(s.id(), now).orElseThrow().state()).isEqualTo(Session.State.ATTESTING);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aReplicaAnswersOnlyFinalStatesFromMemoryAndItsClaimsStayCheckedByTheDatabase(String kind)
      throws Exception {
    Sealer sealer = new Sealer(new byte[32]);
    try (TestDatabases.Handle h = handle(kind);
        Database db1 = h.open();
        Database db2 = h.open()) {
      JdbcSessionStore s1 = new JdbcSessionStore(db1, sealer);
      JdbcSessionStore s2 = new JdbcSessionStore(db2, sealer);
      Instant now = Instant.now();
      Session s = Session.authed("ef".repeat(16), Tee.SAMPLE, "n", now.plusSeconds(300));
      s1.create(s);
      // the other replica claims the nonce: the creator still remembers AUTHED ...
      assertThat(s2.transition(Session.State.AUTHED, s.with(Session.State.ATTESTING), now))
          .isTrue();
      assertThat(s1.claimable(s.id(), now).orElseThrow().state()).isEqualTo(Session.State.AUTHED);
      // ... but cannot claim it again, and find reads what the other replica did
      assertThat(s1.transition(Session.State.AUTHED, s.with(Session.State.ATTESTING), now))
          .isFalse();
      assertThat(s1.find(s.id(), now).orElseThrow().state()).isEqualTo(Session.State.ATTESTING);

      Session t = Session.authed("fe".repeat(16), Tee.SAMPLE, "m", now.plusSeconds(60));
      s1.create(t);
      assertThat(s1.transition(Session.State.AUTHED, t.with(Session.State.ATTESTING), now))
          .isTrue();
      Session attested =
          t.attested(
              new Session.Attested(
                  "not-read-back",
                  java.util.Map.of("tee", "sample"),
                  TeePublicKey.parse(
                      new com.fasterxml.jackson.databind.ObjectMapper()
                          .readTree(DocClient.teePubkey(DocClient.ecKey(Curve.P_256)))),
                  now.plusSeconds(60)));
      assertThat(s1.transition(Session.State.ATTESTING, attested, now)).isTrue();
      // an attested session is final until expiry: its replica answers from memory (the row's
      // token is not even a JWT, so a read would fail) ...
      assertThat(s1.find(t.id(), now)).contains(attested);
      assertThatThrownBy(() -> s2.find(t.id(), now)).isInstanceOf(StoreException.class);
      // ... and forgets it when it expires, as the database does
      assertThat(s1.find(t.id(), now.plusSeconds(60))).isEmpty();
      assertThat(s1.claimable(t.id(), now.plusSeconds(60))).isEmpty();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void expiredSessionsCannotBeClaimedAndAreSwept(String kind) {
    Sealer sealer = new Sealer(new byte[32]);
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcSessionStore store = new JdbcSessionStore(db, sealer);
      Instant now = Instant.parse("2026-01-01T00:00:00Z");
      Session s = Session.authed("ab".repeat(16), Tee.SAMPLE, "n", now.plusSeconds(10));
      store.create(s);
      store.create(Session.authed("cd".repeat(16), Tee.SAMPLE, "n", now.plusSeconds(60)));
      Instant later = now.plusSeconds(10);
      assertThat(store.transition(Session.State.AUTHED, s.with(Session.State.ATTESTING), later))
          .isFalse();
      assertThat(store.removeExpired(later)).isEqualTo(1);
      assertThat(store.size()).isEqualTo(1);
      assertThat(store.find(s.id(), now)).isEmpty();
      assertThat(store.find("cd".repeat(16), later)).isPresent();
      // an expired row is gone on access, too
      assertThat(store.find("cd".repeat(16), now.plusSeconds(60))).isEmpty();
      assertThat(store.size()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void resourcesAreSealedToTheirPathAndListingShowsNoValues(String kind) throws Exception {
    Sealer sealer = new Sealer(new byte[32]);
    MutableClock clock = new MutableClock(Instant.now());
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcResourceStore store = new JdbcResourceStore(db, sealer, clock);
      ResourcePath other = new ResourcePath("default", "key", "other");
      store.put(PATH, SECRET.getBytes(StandardCharsets.UTF_8));
      store.put(other, "first".getBytes(StandardCharsets.UTF_8));
      store.put(other, "second".getBytes(StandardCharsets.UTF_8));
      assertThat(store.list()).containsExactly(PATH, other);
      assertThat(store.get(other))
          .hasValueSatisfying(v -> assertThat(v).asString().isEqualTo("second"));
      // nothing readable at rest
      String stored =
          db.read(
              c -> {
                try (PreparedStatement ps =
                    c.prepareStatement("SELECT sealed_value FROM kbs_resources WHERE path = ?")) {
                  ps.setString(1, PATH.toString());
                  try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                  }
                }
              });
      assertThat(new String(Base64.getDecoder().decode(stored), StandardCharsets.ISO_8859_1))
          .doesNotContain(SECRET);
      // a sealed value moved to another path does not open there
      db.transaction(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement("UPDATE kbs_resources SET sealed_value = ? WHERE path = ?")) {
              ps.setString(1, stored);
              ps.setString(2, other.toString());
              return ps.executeUpdate();
            }
          });
      assertThatThrownBy(() -> store.get(other)).isInstanceOf(Sealer.SealedDataException.class);
      assertThat(store.delete(PATH)).isTrue();
      assertThat(store.delete(PATH)).isFalse();
      assertThat(store.get(PATH)).isEmpty();
      assertThat(store.list()).containsExactly(other);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aPolicySetThroughOneReplicaGovernsTheOther(String kind) throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    Sealer sealer = new Sealer(new byte[32]);
    try (RealAttestation backend = new RealAttestation(clock, Duration.ofMinutes(5));
        TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcResourcePolicyStore one = new JdbcResourcePolicyStore(db, clock);
      JdbcResourcePolicyStore two = new JdbcResourcePolicyStore(db, clock);
      assertThat(two.load()).isEmpty();
      one.save(ResourcePolicy.defaultSource());
      one.save("changed");
      // the other replica's cached policy follows within one check of the shared counter
      clock.advance(VersionedCache.DEFAULT_CHECK);
      assertThat(two.load()).contains("changed");
      try (Replica r = new Replica(db, sealer, clock, backend)) {
        // a stored policy that does not compile fails closed: nothing is released
        new JdbcResourceStore(db, sealer, clock).put(PATH, SECRET.getBytes(StandardCharsets.UTF_8));
        DocClient c = new DocClient(r.url());
        c.auth("sample");
        assertThat(c.attest(DocClient.ecKey(Curve.P_256)).statusCode()).isEqualTo(200);
        assertThat(c.resource(PATH.toString()).statusCode()).isNotEqualTo(200);
        one.save(ResourcePolicy.defaultSource());
        clock.advance(VersionedCache.DEFAULT_CHECK);
        assertThat(c.resource(PATH.toString()).statusCode()).isEqualTo(200);
      }
    }
  }
}
