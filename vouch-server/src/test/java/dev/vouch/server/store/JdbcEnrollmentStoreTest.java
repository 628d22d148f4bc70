package dev.vouch.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.server.registrar.EnrolledHost;
import dev.vouch.server.registrar.EnrollmentStore;
import dev.vouch.server.registrar.PendingChallenge;
import dev.vouch.server.registrar.Placement;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The registrar's JDBC store on H2 and PostgreSQL: the {@link EnrollmentStore} contract. */
class JdbcEnrollmentStoreTest {
  private static final Instant T = Instant.parse("2026-06-01T00:00:00Z");

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  private TestDatabases.Handle handle(String kind) {
    return kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
  }

  private static Sealer sealer() {
    byte[] k = new byte[32];
    new SecureRandom().nextBytes(k);
    return new Sealer(k);
  }

  private static byte[] secret() {
    byte[] s = new byte[32];
    new SecureRandom().nextBytes(s);
    return s;
  }

  private static PendingChallenge challenge(String id, byte[] secret, Instant expires) {
    EnrolledHost h =
        new EnrolledHost("host-1", "ab".repeat(32), new byte[] {1, 2}, new byte[] {3}, T);
    return new PendingChallenge(
        id, h, secret, expires, new Placement("edge", "https://10.0.0.7:9443"));
  }

  @ParameterizedTest
  @MethodSource("databases")
  void challengeRoundTripsAndIsFreshOnceThenUsed(String kind) {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcEnrollmentStore s = new JdbcEnrollmentStore(db, sealer());
      byte[] secret = secret();
      s.putChallenge(challenge("c1", secret, T.plusSeconds(60)));

      EnrollmentStore.Consumed first = s.consume("c1");
      assertThat(first).isInstanceOf(EnrollmentStore.Consumed.Fresh.class);
      PendingChallenge p = ((EnrollmentStore.Consumed.Fresh) first).challenge();
      assertThat(p.secret()).isEqualTo(secret);
      assertThat(p.expiresAt()).isEqualTo(T.plusSeconds(60));
      assertThat(p.host().hostId()).isEqualTo("host-1");
      assertThat(p.host().ekCertificateSha256()).isEqualTo("ab".repeat(32));
      assertThat(p.host().akPublic()).containsExactly(1, 2);
      assertThat(p.host().akName()).containsExactly(3);
      assertThat(p.host().enrolledAt()).isEqualTo(T);
      assertThat(p.placement()).isEqualTo(new Placement("edge", "https://10.0.0.7:9443"));

      assertThat(s.consume("c1")).isInstanceOf(EnrollmentStore.Consumed.AlreadyUsed.class);
      assertThat(s.consume("c2")).isInstanceOf(EnrollmentStore.Consumed.Unknown.class);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void ofManyConcurrentAnswersExactlyOneWins(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcEnrollmentStore s = new JdbcEnrollmentStore(db, sealer());
      int rounds = 5;
      int threads = 16;
      try (ExecutorService ex = Executors.newFixedThreadPool(threads)) {
        for (int round = 0; round < rounds; round++) {
          String id = "race-" + round;
          s.putChallenge(challenge(id, secret(), T.plusSeconds(60)));
          CountDownLatch go = new CountDownLatch(1);
          List<Callable<EnrollmentStore.Consumed>> calls = new ArrayList<>();
          for (int i = 0; i < threads; i++) {
            calls.add(
                () -> {
                  go.await();
                  return s.consume(id);
                });
          }
          List<Future<EnrollmentStore.Consumed>> futures = new ArrayList<>();
          for (Callable<EnrollmentStore.Consumed> c : calls) {
            futures.add(ex.submit(c));
          }
          go.countDown();
          int fresh = 0;
          int used = 0;
          for (Future<EnrollmentStore.Consumed> f : futures) {
            EnrollmentStore.Consumed r = f.get();
            if (r instanceof EnrollmentStore.Consumed.Fresh) {
              fresh++;
            } else if (r instanceof EnrollmentStore.Consumed.AlreadyUsed) {
              used++;
            }
          }
          assertThat(fresh).as("round %d", round).isEqualTo(1);
          assertThat(used).as("round %d", round).isEqualTo(threads - 1);
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void secretIsSealedBoundToItsRowAndOpensOnlyUnderTheKek(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      Sealer sealer = sealer();
      JdbcEnrollmentStore s = new JdbcEnrollmentStore(db, sealer);
      byte[] secret = secret();
      s.putChallenge(challenge("a", secret, T.plusSeconds(60)));
      s.putChallenge(challenge("b", secret(), T.plusSeconds(60)));
      String stored = sealedSecret(db, "a");
      byte[] raw = Base64.getDecoder().decode(stored);
      assertThat(stored).doesNotContain(Base64.getEncoder().encodeToString(secret));
      assertThat(new String(raw, java.nio.charset.StandardCharsets.ISO_8859_1))
          .doesNotContain(new String(secret, java.nio.charset.StandardCharsets.ISO_8859_1));
      assertThat(sealer.unseal(raw, JdbcEnrollmentStore.CHALLENGES, "a")).isEqualTo(secret);

      // a sealed secret copied into another challenge's row does not open there
      db.transaction(
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE enrollment_challenges SET sealed_secret = ? WHERE id = ?")) {
              ps.setString(1, stored);
              ps.setString(2, "b");
              return ps.executeUpdate();
            }
          });
      assertThatThrownBy(() -> s.consume("b")).isInstanceOf(Sealer.SealedDataException.class);
      // and a store under another KEK cannot open any
      assertThatThrownBy(() -> new JdbcEnrollmentStore(db, sealer()).consume("a"))
          .isInstanceOf(Sealer.SealedDataException.class);
    }
  }

  private static String sealedSecret(Database db, String id) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT sealed_secret FROM enrollment_challenges WHERE id = ?")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getString(1);
            }
          }
        });
  }

  @ParameterizedTest
  @MethodSource("databases")
  void expiredChallengesAreForgottenAfterTheCutoff(String kind) {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcEnrollmentStore s = new JdbcEnrollmentStore(db, sealer());
      s.putChallenge(challenge("old", secret(), T));
      s.putChallenge(challenge("new", secret(), T.plusSeconds(120)));
      s.forgetChallengesBefore(T.plusSeconds(60));
      assertThat(s.consume("old")).isInstanceOf(EnrollmentStore.Consumed.Unknown.class);
      assertThat(s.consume("new")).isInstanceOf(EnrollmentStore.Consumed.Fresh.class);
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void hostsAreReplacedRemovedAndSurviveReopening(String kind) {
    Sealer sealer = sealer();
    try (TestDatabases.Handle h = handle(kind)) {
      try (Database db = h.open()) {
        JdbcEnrollmentStore s = new JdbcEnrollmentStore(db, sealer);
        assertThat(s.host("h")).isEmpty();
        s.putHost(new EnrolledHost("h", "aa", new byte[] {1}, new byte[] {2}, T));
        s.putHost(new EnrolledHost("h", "bb", new byte[] {3}, new byte[] {4}, T.plusSeconds(5)));
        s.putHost(new EnrolledHost("gone", "cc", new byte[] {5}, new byte[] {6}, T));
        assertThat(s.removeHost("gone")).isTrue();
        assertThat(s.removeHost("gone")).isFalse();
        s.putChallenge(challenge("pending", secret(), T.plusSeconds(60)));
      }
      try (Database db = h.open()) {
        JdbcEnrollmentStore s = new JdbcEnrollmentStore(db, sealer);
        EnrolledHost back = s.host("h").orElseThrow();
        assertThat(back.ekCertificateSha256()).isEqualTo("bb");
        assertThat(back.akPublic()).containsExactly(3);
        assertThat(back.akName()).containsExactly(4);
        assertThat(back.enrolledAt()).isEqualTo(T.plusSeconds(5));
        assertThat(s.host("gone")).isEmpty();
        assertThat(s.consume("pending")).isInstanceOf(EnrollmentStore.Consumed.Fresh.class);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void concurrentFirstEnrollmentsOfOneHostLeaveOneRow(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      JdbcEnrollmentStore s = new JdbcEnrollmentStore(db, sealer());
      int threads = 8;
      CountDownLatch go = new CountDownLatch(1);
      try (ExecutorService ex = Executors.newFixedThreadPool(threads)) {
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          byte n = (byte) i;
          fs.add(
              ex.submit(
                  () -> {
                    go.await();
                    s.putHost(new EnrolledHost("same", "aa", new byte[] {n}, new byte[] {n}, T));
                    return null;
                  }));
        }
        go.countDown();
        for (Future<?> f : fs) {
          f.get();
        }
      }
      assertThat(s.host("same")).isPresent();
      int rows =
          db.read(
              c -> {
                try (PreparedStatement ps =
                        c.prepareStatement(
                            "SELECT COUNT(*) FROM enrolled_hosts WHERE host_id = 'same'");
                    ResultSet rs = ps.executeQuery()) {
                  rs.next();
                  return rs.getInt(1);
                }
              });
      assertThat(rows).isEqualTo(1);
    }
  }
}
