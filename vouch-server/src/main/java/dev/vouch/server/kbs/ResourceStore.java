package dev.vouch.server.kbs;

import java.util.List;
import java.util.Optional;

/**
 * The secrets the KBS releases. Writes are atomic: a reader sees the old value or the new one,
 * never a mix. Listing returns paths only, never values. The in-memory store serves tests and
 * single-process use; {@link dev.vouch.server.store.JdbcResourceStore} seals each value at rest
 * with AES-256-GCM under the server's key-encryption key.
 */
public interface ResourceStore {

  /** Stores or replaces a resource. */
  void put(ResourcePath path, byte[] value);

  /** The resource's bytes (a copy), if stored. */
  Optional<byte[]> get(ResourcePath path);

  /** Removes a resource; returns whether it existed. */
  boolean delete(ResourcePath path);

  /** Every stored path, sorted; never the values. */
  List<ResourcePath> list();
}
