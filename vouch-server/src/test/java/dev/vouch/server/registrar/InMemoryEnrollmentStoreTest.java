package dev.vouch.server.registrar;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class InMemoryEnrollmentStoreTest {
  private static final Instant T = Instant.parse("2026-06-01T00:00:00Z");

  private static PendingChallenge challenge(String id, Instant expires) {
    EnrolledHost h = new EnrolledHost("h", "00", new byte[] {1}, new byte[] {2}, T);
    return new PendingChallenge(id, h, new byte[32], expires);
  }

  @Test
  void challengeIsFreshOnceThenUsedAndUnknownIdsAreUnknown() {
    InMemoryEnrollmentStore s = new InMemoryEnrollmentStore();
    s.putChallenge(challenge("c1", T));
    assertThat(s.consume("c1")).isInstanceOf(EnrollmentStore.Consumed.Fresh.class);
    assertThat(s.consume("c1")).isInstanceOf(EnrollmentStore.Consumed.AlreadyUsed.class);
    assertThat(s.consume("c2")).isInstanceOf(EnrollmentStore.Consumed.Unknown.class);
  }

  @Test
  void ofManyConcurrentAnswersExactlyOneWins() throws Exception {
    InMemoryEnrollmentStore s = new InMemoryEnrollmentStore();
    s.putChallenge(challenge("c", T));
    List<Callable<EnrollmentStore.Consumed>> calls = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      calls.add(() -> s.consume("c"));
    }
    int fresh = 0;
    try (ExecutorService ex = Executors.newFixedThreadPool(8)) {
      for (Future<EnrollmentStore.Consumed> f : ex.invokeAll(calls)) {
        if (f.get() instanceof EnrollmentStore.Consumed.Fresh) {
          fresh++;
        }
      }
    }
    assertThat(fresh).isEqualTo(1);
  }

  @Test
  void expiredChallengesAreForgottenAfterTheCutoff() {
    InMemoryEnrollmentStore s = new InMemoryEnrollmentStore();
    s.putChallenge(challenge("old", T));
    s.putChallenge(challenge("new", T.plusSeconds(120)));
    s.forgetChallengesBefore(T.plusSeconds(60));
    assertThat(s.consume("old")).isInstanceOf(EnrollmentStore.Consumed.Unknown.class);
    assertThat(s.consume("new")).isInstanceOf(EnrollmentStore.Consumed.Fresh.class);
  }

  @Test
  void hostsAreReplacedAndRemoved() {
    InMemoryEnrollmentStore s = new InMemoryEnrollmentStore();
    s.putHost(new EnrolledHost("h", "aa", new byte[] {1}, new byte[] {2}, T));
    s.putHost(new EnrolledHost("h", "aa", new byte[] {3}, new byte[] {4}, T));
    assertThat(s.host("h").orElseThrow().akName()).containsExactly(4);
    assertThat(s.removeHost("h")).isTrue();
    assertThat(s.removeHost("h")).isFalse();
    assertThat(s.host("h")).isEmpty();
  }
}
