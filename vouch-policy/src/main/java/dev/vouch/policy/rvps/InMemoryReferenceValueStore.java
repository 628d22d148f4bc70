package dev.vouch.policy.rvps;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** A {@link ReferenceValueStore} in memory: for tests, the CLI and single-process use. */
public final class InMemoryReferenceValueStore implements ReferenceValueStore {
  private final TreeMap<String, ReferenceValue> values = new TreeMap<>();

  @Override
  public synchronized void putAll(Collection<ReferenceValue> batch) {
    for (ReferenceValue v : batch) {
      values.put(v.name(), v);
    }
  }

  @Override
  public synchronized Optional<ReferenceValue> query(String name, Instant at) {
    ReferenceValue v = values.get(name);
    return v != null && v.validAt(at) ? Optional.of(v) : Optional.empty();
  }

  @Override
  public synchronized List<ReferenceValue> list() {
    return List.copyOf(values.values());
  }

  @Override
  public synchronized boolean remove(String name) {
    return values.remove(name) != null;
  }
}
