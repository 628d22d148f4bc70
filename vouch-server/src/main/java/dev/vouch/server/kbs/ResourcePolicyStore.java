package dev.vouch.server.kbs;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where the resource policy's source lives. Replicas sharing a database share the policy: a policy
 * set through one replica governs releases on every other one.
 */
public interface ResourcePolicyStore {

  /** The stored policy source, if an admin has set one. */
  Optional<String> load();

  /** Stores {@code source} (already compiled successfully) as the policy. */
  void save(String source);

  /** A policy store of one process. */
  static ResourcePolicyStore inMemory() {
    AtomicReference<String> source = new AtomicReference<>();
    return new ResourcePolicyStore() {
      @Override
      public Optional<String> load() {
        return Optional.ofNullable(source.get());
      }

      @Override
      public void save(String s) {
        source.set(s);
      }
    };
  }
}
