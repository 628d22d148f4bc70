package dev.vouch.policy.rvps;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reference values by name. Registering a name again replaces its values (a newer bundle supersedes
 * an older one). Expired values stay stored for audit but stop counting: {@link #query} and {@link
 * #referenceMap} only return values valid at the given instant.
 */
public interface ReferenceValueStore {

  /** Stores all values at once: either every one is stored or none is. */
  void putAll(Collection<ReferenceValue> values);

  /** The value registered under a name, if it is valid at {@code at}. */
  Optional<ReferenceValue> query(String name, Instant at);

  /** Every stored value, valid or not, sorted by name. */
  List<ReferenceValue> list();

  /** Removes a name; true when it was there. */
  boolean remove(String name);

  /** The {@code reference} variable for policies: the values valid at {@code at}, by name. */
  default Map<String, List<Object>> referenceMap(Instant at) {
    Map<String, List<Object>> out = new java.util.TreeMap<>();
    for (ReferenceValue v : list()) {
      if (v.validAt(at)) {
        out.put(v.name(), v.values());
      }
    }
    return out;
  }
}
