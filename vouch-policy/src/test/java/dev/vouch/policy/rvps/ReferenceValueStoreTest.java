package dev.vouch.policy.rvps;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceValueStoreTest {
  static final Instant T0 = Instant.parse("2026-11-24T00:00:00Z");

  static ReferenceValue value(String name, Instant notBefore, Instant expires, Object... values) {
    return new ReferenceValue(
        name,
        List.of(values),
        new Provenance(Provenance.Kind.SAMPLE, null, T0),
        notBefore,
        expires);
  }

  @Test
  void expiredValuesStopCountingButStayListed() {
    InMemoryReferenceValueStore store = new InMemoryReferenceValueStore();
    store.putAll(
        List.of(
            value("a", null, T0.plusSeconds(10), "x"),
            value("b", null, null, "y"),
            value("c", T0.plusSeconds(5), null, "z")));
    assertThat(store.query("a", T0)).isPresent();
    assertThat(store.query("a", T0.plusSeconds(10))).isEmpty();
    assertThat(store.query("c", T0)).isEmpty();
    assertThat(store.query("c", T0.plusSeconds(5))).isPresent();
    assertThat(store.referenceMap(T0)).containsOnlyKeys("a", "b");
    assertThat(store.referenceMap(T0.plusSeconds(20))).containsOnlyKeys("b", "c");
    assertThat(store.list()).hasSize(3);
  }

  @Test
  void registeringANameAgainReplacesItsValues() {
    InMemoryReferenceValueStore store = new InMemoryReferenceValueStore();
    store.putAll(List.of(value("a", null, null, "old")));
    store.putAll(List.of(value("a", null, null, "new1", "new2")));
    assertThat(store.referenceMap(T0).get("a")).containsExactly("new1", "new2");
    assertThat(store.remove("a")).isTrue();
    assertThat(store.remove("a")).isFalse();
  }
}
