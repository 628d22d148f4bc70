package dev.vouch.bench;

import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.bytes.Hex;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.NatsAgentChannel;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.manager.AttestationOutcome;
import dev.vouch.server.manager.AttestationScheduler;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.manager.PollIntervals;
import dev.vouch.server.monitor.FlavorStore;
import dev.vouch.server.monitor.HostVerifier;
import dev.vouch.server.monitor.ServerIdentity;
import dev.vouch.server.monitor.TrustReportStore;
import dev.vouch.server.registrar.EnrolledHost;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Load generator for the attestation manager: N simulated TPM hosts (software AKs, real TPM
 * structures, the keylime Secure Boot event log) served over one NATS connection, attested every
 * poll interval by R scheduler replicas sharing one database, each replica with its own connection
 * pool, NATS connection and host verification ({@code HostVerifier}: golden flavors, flavor match,
 * signed reports; {@code HostAttestor} over {@code NatsAgentChannel}, firmware plan: SHA-256 PCRs
 * 0-7 and the event log). Prints attestations/s, the p50/p99 time of one quote round (request,
 * answer, verification), and from the hosts' quote times the misses (two attestations of a host
 * more than two intervals apart) and duplicates (less than half an interval apart).
 *
 * <p>Usage: {@code HostLoad [HOSTS] [INTERVAL_S] [DURATION_S] [REPLICAS] [JDBC_URL] [DB_USER]
 * [CONCURRENCY]} (defaults 500 hosts, 5 s, 30 s, 2 replicas, {@code
 * jdbc:postgresql://127.0.0.1:5432/postgres}, user postgres, no password, 16 attestations at once
 * per replica). The run creates a scratch database on that PostgreSQL server (every host in a
 * database is attested, so it cannot share one) and drops it at the end. A nats-server is started
 * from /usr/sbin or the PATH.
 */
public final class HostLoad {
  private HostLoad() {}

  public static void main(String[] args) throws Exception {
    int hosts = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    Duration interval = Duration.ofSeconds(args.length > 1 ? Long.parseLong(args[1]) : 5);
    Duration duration = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 30);
    int replicas = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    String server = args.length > 4 ? args[4] : "jdbc:postgresql://127.0.0.1:5432/postgres";
    Optional<String> user = Optional.of(args.length > 5 ? args[5] : "postgres");
    int concurrency = args.length > 6 ? Integer.parseInt(args[6]) : 16;
    java.util.logging.LogManager.getLogManager().reset();

    AttestationScheduler.Settings settings =
        new AttestationScheduler.Settings(
            new PollIntervals(interval, Map.of()),
            Duration.ofSeconds(10),
            25,
            concurrency,
            Duration.ofMillis(50));
    byte[] runId = new byte[4];
    new SecureRandom().nextBytes(runId);
    String prefix = "load-" + Hex.encode(runId);
    List<AutoCloseable> open = new ArrayList<>();
    try (ScratchDatabase scratch =
            ScratchDatabase.create(server, user, "vouch_hostload_" + Hex.encode(runId));
        NatsServer nats = NatsServer.start();
        Connection hostSide = Nats.connect(nats.url());
        SimulatedFleet fleet =
            SimulatedFleet.start(
                hostSide,
                SimulatedFleet.hostIds(prefix, hosts),
                dev.vouch.agent.sim.SimulatedHost.FirmwareLog.keylimeSecureBoot(),
                new SecureRandom(),
                Clock.systemUTC())) {
      InMemoryEnrollmentStore store = new InMemoryEnrollmentStore();
      Instant now = Instant.now();
      // a simulated TPM has no EK certificate: the record names none
      String noEk = Hex.encode(new byte[32]);
      for (String id : fleet.hostIds()) {
        var tpm = fleet.host(id).tpm();
        store.putHost(new EnrolledHost(id, noEk, tpm.akTpm2bPublic(), tpm.akName(), now));
      }
      Queue<Long> rounds = new ConcurrentLinkedQueue<>();
      java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
      List<AttestationScheduler> schedulers = new ArrayList<>();
      HostRegistry first = null;
      for (int r = 0; r < replicas; r++) {
        Database db = Database.open(scratch.url(), user, Optional.empty(), 8);
        open.add(db);
        HostRegistry registry = new HostRegistry(db);
        if (first == null) {
          first = registry;
          for (String id : fleet.hostIds()) {
            registry.register(id, "default", "nats:" + id, now);
          }
        }
        Connection verifierSide = Nats.connect(nats.url());
        open.add(verifierSide);
        HostAttestor attestor =
            new HostAttestor(
                store,
                new NatsAgentChannel(verifierSide, Duration.ofSeconds(10)),
                QuotePlan.firmware(),
                Clock.systemUTC(),
                new SecureRandom());
        HostVerifier verifier =
            new HostVerifier(
                attestor,
                new FlavorStore(db),
                new TrustReportStore(db),
                ServerIdentity.loadOrCreate(db, new Sealer(new byte[32]), Clock.systemUTC()),
                HostVerifier.Settings.defaults(),
                Clock.systemUTC());
        AttestationScheduler s =
            new AttestationScheduler(
                registry,
                "host-load-" + r,
                Clock.systemUTC(),
                settings,
                host -> {
                  long t0 = System.nanoTime();
                  AttestationOutcome o = verifier.attest(host);
                  rounds.add(System.nanoTime() - t0);
                  if (o.status() != HostStatus.VERIFIED) {
                    failed.incrementAndGet();
                  }
                  return o;
                },
                change -> {});
        schedulers.add(s);
        open.add(s);
      }
      System.out.printf(
          "host load: %d simulated hosts, %d s interval, %d s run, %d replicas, %s%n",
          hosts, interval.toSeconds(), duration.toSeconds(), replicas, scratch.url());
      Instant start = Instant.now();
      schedulers.forEach(AttestationScheduler::start);
      Thread.sleep(duration.toMillis());
      Instant end = Instant.now();
      schedulers.forEach(AttestationScheduler::close);
      report(fleet, rounds, interval, start, end);
      System.out.printf("not verified: %d%n", failed.get());
    } finally {
      for (int i = open.size() - 1; i >= 0; i--) {
        open.get(i).close();
      }
    }
  }

  /** A database created for one run on the server of {@code adminUrl}, dropped on close. */
  private record ScratchDatabase(String adminUrl, Optional<String> user, String name, String url)
      implements AutoCloseable {
    static ScratchDatabase create(String adminUrl, Optional<String> user, String name)
        throws java.sql.SQLException {
      if (!adminUrl.startsWith("jdbc:postgresql://")) {
        throw new IllegalArgumentException("HostLoad runs on PostgreSQL: " + adminUrl);
      }
      try (java.sql.Connection c =
              java.sql.DriverManager.getConnection(adminUrl, user.orElse(null), "");
          java.sql.Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE " + name);
      }
      String base = adminUrl.replaceFirst("\\?.*$", "");
      return new ScratchDatabase(
          adminUrl, user, name, base.substring(0, base.lastIndexOf('/') + 1) + name);
    }

    @Override
    public void close() throws java.sql.SQLException {
      try (java.sql.Connection c =
              java.sql.DriverManager.getConnection(adminUrl, user.orElse(null), "");
          java.sql.Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      }
    }
  }

  private static void report(
      SimulatedFleet fleet, Queue<Long> rounds, Duration interval, Instant start, Instant end) {
    long misses = 0;
    long duplicates = 0;
    long attestations = 0;
    for (String id : fleet.hostIds()) {
      List<Instant> q = fleet.quotesServed(id).stream().filter(t -> !t.isAfter(end)).toList();
      attestations += q.size();
      for (int i = 1; i < q.size(); i++) {
        Duration gap = Duration.between(q.get(i - 1), q.get(i));
        if (gap.compareTo(interval.multipliedBy(2)) > 0) {
          misses++;
        } else if (gap.compareTo(interval.dividedBy(2)) < 0) {
          duplicates++;
        }
      }
      if (q.isEmpty()
          || Duration.between(q.get(q.size() - 1), end).compareTo(interval.multipliedBy(2)) > 0) {
        misses++;
      }
    }
    long[] sorted = rounds.stream().mapToLong(Long::longValue).sorted().toArray();
    double seconds = Duration.between(start, end).toNanos() / 1e9;
    System.out.printf(
        "%.0f attestations/s (%d in %.1f s), quote round p50 %.1f ms p99 %.1f ms, %d misses,"
            + " %d duplicates%n",
        attestations / seconds,
        attestations,
        seconds,
        sorted.length == 0 ? 0 : sorted[sorted.length / 2] / 1e6,
        sorted.length == 0
            ? 0
            : sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e6,
        misses,
        duplicates);
  }
}
