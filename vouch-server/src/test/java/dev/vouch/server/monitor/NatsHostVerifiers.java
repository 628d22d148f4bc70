package dev.vouch.server.monitor;

import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.NatsAgentChannel;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.registrar.EnrollmentStore;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import io.nats.client.Connection;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;

/** The server's host verification over NATS, as the fault tests drive it without an HTTP server. */
public final class NatsHostVerifiers {
  private NatsHostVerifiers() {}

  /**
   * A {@link HostVerifier} quoting firmware PCRs over {@code nats} ({@link NatsAgentChannel}), its
   * flavors, reports and identity in {@code db}, with the default settings and the system clock.
   */
  public static HostVerifier firmware(
      Database db, EnrollmentStore enrollments, Connection nats, Duration agentTimeout) {
    Clock clock = Clock.systemUTC();
    return new HostVerifier(
        new HostAttestor(
            enrollments,
            new NatsAgentChannel(nats, agentTimeout),
            QuotePlan.firmware(),
            clock,
            new SecureRandom()),
        new FlavorStore(db),
        new TrustReportStore(db),
        ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), clock),
        HostVerifier.Settings.defaults(),
        clock);
  }
}
