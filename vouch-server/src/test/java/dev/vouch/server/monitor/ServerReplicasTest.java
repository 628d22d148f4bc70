package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.hosts.RoutedAgentChannel;
import dev.vouch.server.hosts.SimulatedEnrollment;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.Host;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.manager.OncePerInterval;
import dev.vouch.server.store.TestDatabases;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Two real {@code vouch server} replicas ({@link VouchServer}, each with its own data dir and
 * listener) on one PostgreSQL database with one shared key-encryption key keep 500 simulated hosts
 * answering over a real nats-server attested every 10 s; replica A is closed mid-run, leaving its
 * leases to expire as a crash would, and replica B carries on alone.
 *
 * <p>The hosts are enrolled into the servers' shared enrollment store as the registrar would; ten
 * are registered for monitoring over A's HTTP API and the other 490 through A's {@link
 * HostRegistry} (the same rows, without 490 HTTP round trips). {@link OncePerInterval} judges from
 * the quote times the fleet recorded that no host was attested twice within an interval or missed;
 * then every quote served must have led to exactly one signed VERIFIED trust report (except one per
 * host whose attestation A was running when it died), every host must be VERIFIED in B's registry
 * with its golden flavors adopted exactly once although both replicas attested it, and none of A's
 * leases may be left.
 *
 * <p>Figures printed: attestations per second (quotes the fleet served over the run; 500 hosts
 * every 10 s ask for 50), and p50/p99 of the time from a host serving its quote to the server's
 * signed report of it being created (event log replay, golden flavors, flavor match, report
 * signing; the claim-to-quote part is not observable from outside the server).
 */
class ServerReplicasTest {
  private static final int HOSTS = 500;
  private static final int BY_API = 10;
  private static final Duration INTERVAL = Duration.ofSeconds(10);
  private static final Duration LEASE = Duration.ofSeconds(5);
  private static final Duration RUN = INTERVAL.multipliedBy(3).plus(INTERVAL.dividedBy(2));

  /** The server's default: hosts claimed beyond it wait for a worker under renewed leases. */
  private static final int CONCURRENCY = 32;

  /**
   * How much earlier than due a quote may come: the claim-to-quote time of the previous round,
   * which reaches seconds on this saturated machine. A second attestation after a lapsed lease
   * comes about a lease after the first, inside the interval less this.
   */
  private static final Duration EARLY = Duration.ofSeconds(3);

  /**
   * How long before A's death a quote A's result was lost for may have been served: the quote to
   * report time, whose p99 reaches seconds on this machine.
   */
  private static final Duration LATE = Duration.ofSeconds(5);

  /** Quotes served this long before the end must have their report by the end. */
  private static final Duration SETTLE = Duration.ofSeconds(5);

  /** Held so the level sticks: the host attestor logs every attestation at INFO through JUL. */
  private static final java.util.logging.Logger ATTESTOR_LOG =
      java.util.logging.Logger.getLogger("dev.vouch.server.hosts");

  @TempDir Path dir;

  @Test
  void twoServersAttestFiveHundredHostsOncePerIntervalThroughTheDeathOfOne() throws Exception {
    ch.qos.logback.classic.Logger serverLog =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.vouch.server");
    Level level = serverLog.getLevel();
    java.util.logging.Level attestorLevel = ATTESTOR_LOG.getLevel();
    // every host's first attestation logs its golden adoption and status change at INFO
    serverLog.setLevel(Level.WARN);
    ATTESTOR_LOG.setLevel(java.util.logging.Level.WARNING);
    byte[] kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    String sharedKek = Base64.getEncoder().encodeToString(kek);
    try (TestDatabases.Handle db = TestDatabases.postgres();
        NatsServer nats = NatsServer.start();
        Connection hostSide = Nats.connect(nats.url());
        SimulatedFleet fleet = SimulatedFleet.start(hostSide, "sim", HOSTS)) {
      ServerConfig.Hosts hosts =
          ServerConfig.Hosts.defaults()
              .withNatsUrl(nats.url())
              .withSchedule(INTERVAL, LEASE, CONCURRENCY);
      VouchServer a = VouchServer.start(config("replica-a", db, sharedKek, hosts));
      VouchServer b = null;
      boolean aClosed = false;
      try {
        SimulatedEnrollment.enrollAll(fleet, a.enrollments(), Instant.now());
        TestServers.Client apiA = new TestServers.Client(a.baseUri());
        Instant start = Instant.now();
        List<String> ids = fleet.hostIds();
        for (String id : ids.subList(0, BY_API)) {
          TestServers.Reply r =
              apiA.post(
                  "/api/v1/hosts",
                  "{\"id\":\"" + id + "\",\"connection\":\"" + RoutedAgentChannel.NATS + "\"}",
                  true);
          assertThat(r.status()).as(r.body()).isEqualTo(201);
        }
        HostRegistry registryA = a.monitor().registry();
        // first due times spread over the first interval, as for hosts enrolled over time: all
        // 500 due at once would take this saturated machine more than an interval to go round,
        // and the next round would then come early by that much
        for (int i = BY_API; i < HOSTS; i++) {
          Instant due = start.plus(INTERVAL.multipliedBy(i).dividedBy(HOSTS));
          assertThat(registryA.register(ids.get(i), "default", RoutedAgentChannel.NATS, due))
              .isTrue();
        }
        // A alone holds leases until B starts: that names A's owner id in the registry
        String ownerA = firstLeaseOwner(registryA);
        b = VouchServer.start(config("replica-b", db, sharedKek, hosts));
        HostRegistry registryB = b.monitor().registry();

        // kill replica A a fifth into the second round, while it holds leases
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
        while (fleet.totalServed() < HOSTS + HOSTS / 5 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
        // A's leases before the kill (waiting for A to be in the middle of a batch), and after it
        // those A claimed or renewed meanwhile
        Map<String, Instant> heldByA = OncePerInterval.leasesOf(registryB, ownerA);
        while (heldByA.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(5);
          heldByA = OncePerInterval.leasesOf(registryB, ownerA);
        }
        assertThat(heldByA).as("A's leases when it is killed").isNotEmpty();
        Instant killStart = Instant.now();
        a.close();
        aClosed = true;
        long closeMillis = Duration.between(killStart, Instant.now()).toMillis();
        heldByA.putAll(OncePerInterval.leasesOf(registryB, ownerA));
        // A renewed its leases a third of a lease apart, so B could take none of its hosts for
        // two thirds of a lease after the kill: a quote of such a host served until then was
        // A's request, still on its way through NATS when A stopped
        Instant killedUntil =
            max(Instant.now(), killStart.plus(LEASE.multipliedBy(2).dividedBy(3)));
        Thread.sleep(Math.max(0, Duration.between(Instant.now(), start.plus(RUN)).toMillis()));
        Instant end = Instant.now();

        OncePerInterval.Verdict v =
            OncePerInterval.check(
                fleet,
                new OncePerInterval.Schedule(INTERVAL, EARLY, LATE),
                new OncePerInterval.Run(start, end, killStart, killedUntil),
                heldByA);
        List<String> problems = new ArrayList<>(v.problems());
        List<Long> latencyMicros = new ArrayList<>();
        TrustReportStore reports = b.monitor().reports();
        FlavorStore flavors = b.monitor().flavors();
        for (String id : ids) {
          List<TrustReportStore.StoredReport> stored =
              reports.forHost(id, 1000).stream()
                  .sorted(Comparator.comparing(TrustReportStore.StoredReport::created))
                  .toList();
          problems.addAll(
              reportsOfQuotes(
                  id,
                  fleet.quotesServed(id),
                  stored,
                  end.minus(SETTLE),
                  heldByA.containsKey(id) ? killStart.minus(LATE) : null,
                  killedUntil,
                  latencyMicros));
          List<String> golden =
              flavors.audit(id).stream().map(FlavorStore.AuditEntry::action).toList();
          if (!golden.equals(List.of("ADOPTED"))) {
            problems.add(id + ": golden audit " + golden + ", expected one adoption");
          }
        }

        long[] latency = latencyMicros.stream().mapToLong(Long::longValue).sorted().toArray();
        double seconds = Duration.between(start, end).toNanos() / 1e9;
        System.out.printf(
            "ServerReplicasTest: %d hosts, %d s interval, %d s lease, %.1f s run, 2 vouch servers"
                + " on PostgreSQL (A closed at %.1f s in %d ms, holding %d leases): %d attestations,"
                + " %.1f attestations/s over the run, every host first attested by %.1f s,"
                + " %d hosts re-attested after A's lease lapsed; quote served to signed report"
                + " created p50 %.1f ms p99 %.1f ms over %d reports; gaps between attestations"
                + " %d..%d ms%n",
            HOSTS,
            INTERVAL.toSeconds(),
            LEASE.toSeconds(),
            seconds,
            Duration.between(start, killStart).toMillis() / 1e3,
            closeMillis,
            heldByA.size(),
            v.quotes(),
            v.quotes() / seconds,
            v.firstRound().toMillis() / 1e3,
            v.retakes(),
            percentile(latency, 0.50) / 1e3,
            percentile(latency, 0.99) / 1e3,
            latency.length,
            v.shortestGap().toMillis(),
            v.longestGap().toMillis());

        assertThat(problems).isEmpty();
        assertThat(latency.length).isGreaterThan(2 * HOSTS);
        List<Host> registered = registryB.list();
        assertThat(registered).hasSize(HOSTS);
        assertThat(registered).extracting(Host::status).containsOnly(HostStatus.VERIFIED);
        // every host A held when it died was taken over once its lease ran out
        assertThat(registered)
            .filteredOn(h -> h.leaseOwner().equals(Optional.of(ownerA)))
            .isEmpty();
        assertSampleOverHttp(new TestServers.Client(b.baseUri()), ids);
      } finally {
        if (!aClosed) {
          a.close();
        }
        if (b != null) {
          b.close();
        }
        serverLog.setLevel(level);
        ATTESTOR_LOG.setLevel(attestorLevel);
      }
    }
  }

  /**
   * A replica's configuration: its own data dir and port, the shared database and key-encryption
   * key (replicas unseal each other's signing keys and enrolled AKs).
   */
  private ServerConfig config(
      String name, TestDatabases.Handle db, String kek, ServerConfig.Hosts hosts) {
    ServerConfig c =
        TestServers.config(dir.resolve(name), ServerConfig.TlsMode.OFF, Optional.of(db.url()));
    ServerConfig.Storage s = c.storage();
    return new ServerConfig(
        c.dataDir(),
        c.http(),
        c.tls(),
        new ServerConfig.Storage(
            s.jdbcUrl(), s.username(), s.password(), 16, Optional.empty(), Optional.of(kek)),
        c.tokens(),
        c.admin(),
        c.rvps(),
        c.kbs(),
        c.registrar(),
        hosts);
  }

  private static String firstLeaseOwner(HostRegistry registry) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      for (Host h : registry.list()) {
        if (h.leaseOwner().isPresent()) {
          return h.leaseOwner().get();
        }
      }
      Thread.sleep(20);
    }
    throw new AssertionError("replica A claimed no host within 10 s");
  }

  /**
   * Pairs a host's reports with the quotes it served: each report belongs to the last quote served
   * before it was created. Every quote served up to {@code settled} must have exactly one VERIFIED
   * report, except one served from {@code lostFrom} (when the host was held by the killed replica)
   * to {@code killedUntil}; no quote may have two. Adds each report's delay after its quote to
   * {@code latencyMicros}.
   */
  private static List<String> reportsOfQuotes(
      String id,
      List<Instant> quotes,
      List<TrustReportStore.StoredReport> reports,
      Instant settled,
      Instant lostFrom,
      Instant killedUntil,
      List<Long> latencyMicros) {
    List<String> problems = new ArrayList<>();
    int[] perQuote = new int[quotes.size()];
    for (TrustReportStore.StoredReport r : reports) {
      if (r.status() != HostStatus.VERIFIED) {
        problems.add(id + ": report " + r.id() + " is " + r.status());
      }
      int q = -1;
      for (int i = 0; i < quotes.size() && !quotes.get(i).isAfter(r.created()); i++) {
        q = i;
      }
      if (q < 0) {
        problems.add(id + ": report " + r.id() + " created before any quote");
        continue;
      }
      perQuote[q]++;
      latencyMicros.add(Duration.between(quotes.get(q), r.created()).toNanos() / 1000);
    }
    int lost = 0;
    for (int i = 0; i < quotes.size(); i++) {
      Instant q = quotes.get(i);
      if (perQuote[i] > 1) {
        problems.add(id + ": " + perQuote[i] + " reports for the quote of " + q);
      } else if (perQuote[i] == 0 && !q.isAfter(settled)) {
        boolean diedWithA = lostFrom != null && !q.isBefore(lostFrom) && !q.isAfter(killedUntil);
        if (!diedWithA || lost++ > 0) {
          problems.add(id + ": no report for the quote of " + q);
        }
      }
    }
    return problems;
  }

  /** A sample of hosts as an operator sees them over B's API. */
  private static void assertSampleOverHttp(TestServers.Client api, List<String> ids) {
    for (String id : List.of(ids.get(0), ids.get(BY_API - 1), ids.get(HOSTS / 2), ids.getLast())) {
      JsonNode host = api.get("/api/v1/hosts/" + id, true).json();
      assertThat(host.path("status").asText()).as(id).isEqualTo("VERIFIED");
      JsonNode audit = host.path("golden_audit");
      assertThat(audit).as(id + " golden audit").hasSize(1);
      assertThat(audit.get(0).path("action").asText()).isEqualTo("ADOPTED");
      TestServers.Reply r = api.get("/api/v1/reports?host=" + id + "&limit=100", true);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonNode list = r.json().path("reports");
      assertThat(list.size()).as(id + " reports").isGreaterThanOrEqualTo(2);
      for (JsonNode report : list) {
        assertThat(report.path("host_id").asText()).isEqualTo(id);
        assertThat(report.path("status").asText()).isEqualTo("VERIFIED");
      }
    }
  }

  private static long percentile(long[] sorted, double p) {
    return sorted.length == 0 ? -1 : sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))];
  }

  private static Instant max(Instant x, Instant y) {
    return x.isAfter(y) ? x : y;
  }
}
