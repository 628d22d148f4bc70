package dev.vouch.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ClaimsTest {
  @Test
  void keepsClaimsSortedByName() {
    Claims c = Claims.builder().put("tpm.b", 1L).put("tpm.a", true).build();
    assertThat(c.asMap().keySet()).containsExactly("tpm.a", "tpm.b");
  }

  @Test
  void refusesAClaimSetTwice() {
    Claims.Builder b = Claims.builder().put("x", "1");
    assertThatThrownBy(() -> b.put("x", "2")).isInstanceOf(IllegalStateException.class);
  }
}
