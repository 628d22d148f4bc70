package dev.vouch.server.aas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PasswordHashTest {
  private static final char[] PW = "correct horse battery".toCharArray();

  @Test
  void matchesTheRightPasswordOnlyAndSaltsEachHash() {
    String a = PasswordHash.hash(PW);
    String b = PasswordHash.hash(PW);
    assertThat(a).startsWith("$argon2id$v=19$m=19456,t=2,p=1$").isNotEqualTo(b);
    assertThat(PasswordHash.matches(PW, a)).isTrue();
    assertThat(PasswordHash.matches(PW, b)).isTrue();
    assertThat(PasswordHash.matches("correct horse battery!".toCharArray(), a)).isFalse();
  }

  @Test
  void refusesAHashWithOneFlippedCharacter() {
    String h = PasswordHash.hash(PW);
    int i = h.length() - 5;
    String flipped = h.substring(0, i) + (h.charAt(i) == 'A' ? 'B' : 'A') + h.substring(i + 1);
    assertThat(PasswordHash.matches(PW, flipped)).isFalse();
  }

  @Test
  void refusesMalformedOrWeakenedHashes() {
    String h = PasswordHash.hash(PW);
    assertThat(PasswordHash.matches(PW, null)).isFalse();
    assertThat(PasswordHash.matches(PW, "")).isFalse();
    assertThat(PasswordHash.matches(PW, h.substring(0, h.length() - 10))).isFalse();
    assertThat(PasswordHash.matches(PW, h.replace("argon2id", "argon2i"))).isFalse();
    // parameters are part of the hash: changing them changes the result
    assertThat(PasswordHash.matches(PW, h.replace("t=2", "t=1"))).isFalse();
  }
}
