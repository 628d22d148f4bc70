package dev.vouch.bench.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class GapsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final Instant START = T0.plusSeconds(60);
  private static final Instant END = T0.plusSeconds(360);

  private static Instant at(long seconds) {
    return T0.plusSeconds(seconds);
  }

  private static Gaps judge(List<Instant> times) {
    Gaps g = new Gaps(Duration.ofSeconds(60));
    g.add(times, START, END);
    return g;
  }

  @Test
  void aHostAttestedEveryPollWithJitterMissesNothing() {
    Gaps g = judge(List.of(at(10), at(75), at(130), at(195), at(250), at(315), at(370)));
    assertThat(g.missed()).isZero();
    assertThat(g.duplicated()).isZero();
  }

  @Test
  void aLostRoundIsOneMissAndTwoLostRoundsAreTwo() {
    assertThat(judge(List.of(at(10), at(70), at(190), at(250), at(310))).missed()).isEqualTo(1);
    assertThat(judge(List.of(at(10), at(70), at(250), at(310))).missed()).isEqualTo(2);
  }

  @Test
  void attestationsStoppingBeforeTheEndAreMissed() {
    // last at 190: due at 250 and 310, the end at 360 is 2.8 polls later
    assertThat(judge(List.of(at(10), at(70), at(130), at(190))).missed()).isEqualTo(2);
  }

  @Test
  void aHostNeverAttestedMissesTheWholeWindow() {
    assertThat(judge(List.of()).missed()).isEqualTo(4); // 300 s window, 0.5 poll tolerance
  }

  @Test
  void twoAttestationsWithinHalfAPollAreADuplicate() {
    Gaps g = judge(List.of(at(10), at(70), at(80), at(130), at(190), at(250), at(310)));
    assertThat(g.duplicated()).isEqualTo(1);
    assertThat(g.missed()).isZero();
  }

  @Test
  void aDuplicateBeforeTheWindowIsNotCounted() {
    assertThat(
            judge(List.of(at(0), at(10), at(70), at(130), at(190), at(250), at(310))).duplicated())
        .isZero();
  }

  @Test
  void aNonPositivePollIsRefused() {
    assertThatThrownBy(() -> new Gaps(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }
}
