package dev.vouch.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LoadModelTest {

  @Test
  void openModelSpacesArrivalsEvenlyAtTheRate() {
    LoadModel.Open open = new LoadModel.Open(500, 10);
    assertThat(open.offsetNanos(0)).isZero();
    assertThat(open.offsetNanos(1)).isEqualTo(2_000_000);
    assertThat(open.offsetNanos(500)).isEqualTo(1_000_000_000);
    for (long i = 1; i < 2000; i++) {
      assertThat(open.offsetNanos(i) - open.offsetNanos(i - 1)).isEqualTo(2_000_000);
    }
  }

  @Test
  void arrivalsWithinADurationAreThoseDueBeforeItsEnd() {
    assertThat(new LoadModel.Open(500, 1).arrivalsWithin(1_000_000_000)).isEqualTo(500);
    assertThat(new LoadModel.Open(3, 1).arrivalsWithin(1_000_000_000)).isEqualTo(3);
    // a rate whose period is not a whole number of nanoseconds: still every due arrival, no more
    LoadModel.Open third = new LoadModel.Open(3_000, 1);
    long n = third.arrivalsWithin(10_000_000);
    assertThat(third.offsetNanos(n - 1)).isLessThan(10_000_000);
    assertThat(third.offsetNanos(n)).isGreaterThanOrEqualTo(10_000_000);
    assertThat(new LoadModel.Open(7, 1).arrivalsWithin(0)).isZero();
    assertThat(new LoadModel.Open(7, 1).arrivalsWithin(1)).isEqualTo(1);
  }

  @Test
  void refusesRatesAndSizesThatCannotBeRun() {
    assertThatThrownBy(() -> new LoadModel.Open(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LoadModel.Open(-5, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LoadModel.Open(Double.NaN, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LoadModel.Open(Double.POSITIVE_INFINITY, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LoadModel.Open(10, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LoadModel.Closed(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void describesItselfForTheSummaryLine() {
    assertThat(new LoadModel.Open(500, 4).describe()).isEqualTo("open 500/s");
    assertThat(new LoadModel.Open(2.5, 4).describe()).isEqualTo("open 2.5/s");
    assertThat(new LoadModel.Closed(8).describe()).isEqualTo("closed 8");
  }
}
