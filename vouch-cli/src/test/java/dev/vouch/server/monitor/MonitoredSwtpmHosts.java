package dev.vouch.server.monitor;

import dev.vouch.server.registrar.EnrollmentStore;
import java.nio.file.Path;

/**
 * Opens the server tests' monitored swtpm host ({@link SwtpmHost}, package-private in the
 * vouch-server test-jar) to the CLI's tests, so they boot the very same host rather than a copy.
 */
public final class MonitoredSwtpmHosts {
  private MonitoredSwtpmHosts() {}

  /**
   * Boots an swtpm host whose firmware measured a Secure Boot event log, enrols it with {@code
   * store} and starts its trust agent on NATS; closing it stops all of that.
   */
  public static AutoCloseable secureBoot(String id, Path dir, EnrollmentStore store, String natsUrl)
      throws Exception {
    return SwtpmHost.start(id, SwtpmHost.SECURE_BOOT_LOG, dir, store, natsUrl);
  }
}
