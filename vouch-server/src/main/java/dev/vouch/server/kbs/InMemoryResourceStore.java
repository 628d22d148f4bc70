package dev.vouch.server.kbs;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Resources in a concurrent map; each write replaces a private copy in one step. Thread-safe. */
public final class InMemoryResourceStore implements ResourceStore {
  private final ConcurrentHashMap<ResourcePath, byte[]> values = new ConcurrentHashMap<>();

  @Override
  public void put(ResourcePath path, byte[] value) {
    values.put(path, value.clone());
  }

  @Override
  public Optional<byte[]> get(ResourcePath path) {
    byte[] v = values.get(path);
    return v == null ? Optional.empty() : Optional.of(v.clone());
  }

  @Override
  public boolean delete(ResourcePath path) {
    return values.remove(path) != null;
  }

  @Override
  public List<ResourcePath> list() {
    return values.keySet().stream().sorted(Comparator.comparing(ResourcePath::toString)).toList();
  }
}
