package dev.vouch.core.bytes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HexTest {
  @Test
  void roundTripsAndAcceptsPrefixAndUpperCase() {
    assertThat(Hex.encode(Hex.decode("0xDEADbeef"))).isEqualTo("deadbeef");
  }

  @Test
  void recognisesOnlyEvenLengthHex() {
    assertThat(Hex.isHex("abc")).isFalse();
    assertThat(Hex.isHex("zz")).isFalse();
    assertThat(Hex.isHex("")).isFalse();
    assertThat(Hex.isHex("00ff")).isTrue();
  }

  @Test
  void rejectsOddLength() {
    assertThatThrownBy(() -> Hex.decode("abc")).isInstanceOf(IllegalArgumentException.class);
  }
}
