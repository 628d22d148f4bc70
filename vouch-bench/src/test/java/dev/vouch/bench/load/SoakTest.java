package dev.vouch.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.server.ChildServer;
import dev.vouch.server.TestServers;
import dev.vouch.server.hosts.SimulatedEnrollment;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.JdbcEnrollmentStore;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.TestDatabases;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soak of docs/operations.md ("Robustness"): one {@code vouch server} in its own JVM (KBS, AS
 * and host monitoring on PostgreSQL and nats-server), simulated hosts monitored over NATS on a
 * short poll interval, and a KBS client loop (auth, attest, resource) at a fixed rate. A sampler
 * reads the server's RSS, threads and open files from {@code /proc/<pid>/} and its database
 * connections from {@code pg_stat_activity} every few seconds and writes them as CSV.
 *
 * <p>Fails when a series grows after the warm-up (least-squares slope over the rest beyond the
 * tolerance per minute below), a host misses a round (no quote for two intervals plus a grace for a
 * loaded machine), or a KBS handshake fails. The heap is fixed ({@code -Xms} = {@code -Xmx},
 * pre-touched) so RSS growth is off-heap growth, not the heap sizing itself. Judged on trends, not
 * absolute timings.
 *
 * <p>The suite runs 2 minutes with 50 hosts on a 5 s interval. The 30-minute run: {@code ./mvnw -pl
 * vouch-bench -am test -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dvouch.soak.seconds=1800 -Dvouch.soak.hosts=1000 -Dvouch.soak.interval.seconds=60
 * -Dvouch.soak.sample.seconds=10}.
 */
class SoakTest {
  private static final Duration DURATION =
      Duration.ofSeconds(Long.getLong("vouch.soak.seconds", 120));
  private static final int HOSTS = Integer.getInteger("vouch.soak.hosts", 50);
  private static final Duration INTERVAL =
      Duration.ofSeconds(Long.getLong("vouch.soak.interval.seconds", 5));
  private static final Duration SAMPLE =
      Duration.ofSeconds(Long.getLong("vouch.soak.sample.seconds", 5));
  private static final double KBS_PER_SECOND =
      Double.parseDouble(System.getProperty("vouch.soak.kbs.per.second", "2"));
  // the first third of a short run, the first five minutes of a long one
  private static final Duration WARM_UP =
      DURATION.dividedBy(3).compareTo(Duration.ofMinutes(5)) < 0
          ? DURATION.dividedBy(3)
          : Duration.ofMinutes(5);
  private static final Duration MISS_GRACE = Duration.ofSeconds(10);

  /** A sampled series and the growth per minute it may show after the warm-up. */
  private enum Series {
    RSS_MIB(48),
    THREADS(3),
    OPEN_FILES(10),
    DB_CONNECTIONS(1);

    final double tolerancePerMinute;

    Series(double tolerancePerMinute) {
      this.tolerancePerMinute = tolerancePerMinute;
    }
  }

  /** One sample: seconds since the start and a value per series. */
  private record Sample(double seconds, Map<Series, Double> values) {}

  @TempDir Path dir;

  @Test
  void serverResourcesDoNotGrowUnderSteadyHostAndKbsLoad() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kbsAdmin = g.generateKeyPair();
    Path adminPub =
        Files.writeString(
            dir.resolve("kbs-admin.pub"),
            "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(kbsAdmin.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
    NatsServer nats = NatsServer.start();
    ChildServer server = null;
    try (TestDatabases.Handle db = TestDatabases.postgres()) {
      Map<String, String> env = ChildServer.env(Optional.of(db.url()), db.user());
      env.put("JAVA_TOOL_OPTIONS", "-Xms256m -Xmx256m -XX:+AlwaysPreTouch");
      env.put("VOUCH_HOSTS_NATS_URL", nats.url());
      env.put("VOUCH_HOSTS_POLL_SECONDS", Long.toString(INTERVAL.toSeconds()));
      env.put("VOUCH_HOSTS_AGENT_TIMEOUT_SECONDS", "10");
      env.put("VOUCH_KBS_TEES", "tpm");
      env.put("VOUCH_KBS_ADMIN_KEY_FILES", adminPub.toString());
      // every client comes from 127.0.0.1: the per-client limits would throttle the loop itself
      env.put("VOUCH_KBS_AUTH_RATE_PER_SECOND", "0");
      env.put("VOUCH_KBS_ATTEST_RATE_PER_SECOND", "0");
      env.put("VOUCH_HTTP_ATTEST_RATE_PER_SECOND", "0");
      Path log = dir.resolve("server.log");
      server = ChildServer.start(dir.resolve("data"), env, Optional.of(log));
      long pid = server.process().pid();
      Target target = new Target(server.base(), Target.client(null), TestServers.ADMIN);
      try (Connection hostSide = Nats.connect(nats.url());
          SimulatedFleet fleet = SimulatedFleet.start(hostSide, "soak", HOSTS)) {
        // the registrar's result for hosts whose simulated TPM has no EK: their AKs, enrolled
        try (Database d = db.open()) {
          SimulatedEnrollment.enrollAll(
              fleet, new JdbcEnrollmentStore(d, new Sealer(new byte[32])), Instant.now());
        }
        for (String id : fleet.hostIds()) {
          target.admin(
              "POST",
              "/api/v1/hosts",
              "application/json",
              ("{\"id\":\"" + id + "\",\"connection\":\"nats\"}").getBytes(StandardCharsets.UTF_8));
        }
        KbsWorkload kbs = new KbsWorkload(kbsAdmin.getPrivate(), 4, new SecureRandom());
        kbs.prepare(target);
        Operation handshake = kbs.operation(target);

        AtomicLong kbsOk = new AtomicLong();
        Map<String, Long> kbsErrors = new ConcurrentHashMap<>();
        List<Sample> samples = new CopyOnWriteArrayList<>();
        Instant start = Instant.now();
        String dbName = db.url().substring(db.url().lastIndexOf('/') + 1);
        ScheduledExecutorService loops = Executors.newScheduledThreadPool(3);
        try {
          loops.scheduleAtFixedRate(
              () -> {
                try {
                  handshake.run();
                  kbsOk.incrementAndGet();
                } catch (Exception e) {
                  kbsErrors.merge(Operation.kindOf(e), 1L, Long::sum);
                }
              },
              0,
              Math.round(1_000_000 / KBS_PER_SECOND),
              TimeUnit.MICROSECONDS);
          loops.scheduleAtFixedRate(
              () -> samples.add(sample(pid, dbName, start)),
              0,
              SAMPLE.toMillis(),
              TimeUnit.MILLISECONDS);
          // the run itself: the loops work; this thread only waits for its end
          assertThat(loops.awaitTermination(DURATION.toMillis(), TimeUnit.MILLISECONDS)).isFalse();
        } finally {
          // shutdown, not shutdownNow: interrupting the handshake in flight at the end counted it
          // as a KBS handshake with no answer (one in two full runs)
          loops.shutdown();
          if (!loops.awaitTermination(60, TimeUnit.SECONDS)) {
            loops.shutdownNow();
          }
        }
        Instant end = Instant.now();
        assertThat(server.process().isAlive()).as("the server is alive").isTrue();

        Path csv = writeCsv(samples);
        // a sample that failed stops the sampler: too few samples fail the run
        assertThat(samples.size())
            .as("samples taken")
            .isGreaterThanOrEqualTo((int) (DURATION.dividedBy(SAMPLE) * 8 / 10));
        Map<String, List<Instant>> quotes = new java.util.TreeMap<>();
        fleet.hostIds().forEach(id -> quotes.put(id, fleet.quotesServed(id)));
        List<String> misses = missedRounds(quotes, start.plus(WARM_UP), end);
        StringBuilder slopes = new StringBuilder();
        List<String> grew = new ArrayList<>();
        for (Series s : Series.values()) {
          List<Sample> judged =
              samples.stream().filter(x -> x.seconds() >= WARM_UP.toSeconds()).toList();
          double perMinute = 60 * slope(judged, s);
          Sample first = samples.getFirst();
          Sample last = samples.getLast();
          slopes.append(
              String.format(
                  " %s %.0f -> %.0f (%+.2f/min after warm-up, tolerance %.0f);",
                  s, first.values().get(s), last.values().get(s), perMinute, s.tolerancePerMinute));
          if (perMinute > s.tolerancePerMinute) {
            grew.add(s + " grows " + perMinute + "/min");
          }
        }
        System.out.printf(
            "SoakTest: %d s, %d hosts every %d s, %d quotes served, %d missed rounds; KBS %d"
                + " handshakes ok, errors %s; %d samples (warm-up %d s) in %s;%s%n",
            Duration.between(start, end).toSeconds(),
            HOSTS,
            INTERVAL.toSeconds(),
            fleet.totalServed(),
            misses.size(),
            kbsOk.get(),
            kbsErrors,
            samples.size(),
            WARM_UP.toSeconds(),
            csv,
            slopes);
        assertThat(misses).as("missed rounds").isEmpty();
        assertThat(kbsErrors).as("failed KBS handshakes").isEmpty();
        assertThat(kbsOk.get()).as("KBS handshakes").isPositive();
        assertThat(grew).as("series growing after the warm-up").isEmpty();
      }
    } finally {
      if (server != null) {
        server.kill();
      }
      nats.close();
    }
  }

  /**
   * The judge itself, on made-up series: a thread leak of 6 a minute and a host silent for 30 s are
   * caught, flat series and a host quoted every interval are not.
   */
  @Test
  void theJudgeCatchesGrowthAfterTheWarmUpAndAMissedRound() {
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      double t = i * 5.0;
      Map<Series, Double> v = new java.util.EnumMap<>(Series.class);
      v.put(Series.THREADS, 38 + t / 10);
      // warm-up growth, then flat with noise
      v.put(Series.RSS_MIB, t < 40 ? 300 + 2 * t : 380 + (i % 2) * 4);
      samples.add(new Sample(t, v));
    }
    List<Sample> judged = samples.stream().filter(x -> x.seconds() >= 40).toList();
    assertThat(60 * slope(judged, Series.THREADS))
        .isCloseTo(6.0, org.assertj.core.data.Offset.offset(1e-9))
        .isGreaterThan(Series.THREADS.tolerancePerMinute);
    assertThat(60 * slope(judged, Series.RSS_MIB)).isLessThan(Series.RSS_MIB.tolerancePerMinute);

    Instant from = Instant.parse("2026-01-01T00:00:00Z");
    Instant to = from.plusSeconds(60);
    List<Instant> steady = new ArrayList<>();
    List<Instant> gap = new ArrayList<>();
    for (int s = 0; s <= 60; s += (int) INTERVAL.toSeconds()) {
      steady.add(from.plusSeconds(s));
      if (s < 10 || s > 10 + 2 * INTERVAL.toSeconds() + MISS_GRACE.toSeconds()) {
        gap.add(from.plusSeconds(s));
      }
    }
    assertThat(missedRounds(Map.of("steady", steady, "gap", gap), from, to))
        .singleElement()
        .asString()
        .startsWith("gap had no quote");
    assertThat(missedRounds(Map.of("silent", List.of()), from, to)).hasSize(1);
  }

  /** The server's RSS, threads, open files and database connections now. */
  private static Sample sample(long pid, String dbName, Instant start) {
    Map<Series, Double> v = new java.util.EnumMap<>(Series.class);
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          v.put(Series.RSS_MIB, Long.parseLong(line.replaceAll("\\D", "")) / 1024.0);
        } else if (line.startsWith("Threads:")) {
          v.put(Series.THREADS, (double) Long.parseLong(line.replaceAll("\\D", "")));
        }
      }
      try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
        v.put(Series.OPEN_FILES, (double) fds.count());
      }
      try (java.sql.Connection c =
              DriverManager.getConnection(
                  "jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
          PreparedStatement q =
              c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE datname = ?")) {
        q.setString(1, dbName);
        try (ResultSet rs = q.executeQuery()) {
          rs.next();
          v.put(Series.DB_CONNECTIONS, (double) rs.getLong(1));
        }
      }
    } catch (Exception e) {
      // a sample that cannot be taken is a defect of the run: the test fails on the missing ones
      throw new IllegalStateException("cannot sample the server: " + e.getMessage(), e);
    }
    return new Sample(Duration.between(start, Instant.now()).toMillis() / 1e3, v);
  }

  /** Least-squares slope of {@code s} over time, per second. */
  private static double slope(List<Sample> samples, Series s) {
    assertThat(samples.size()).as("samples after the warm-up").isGreaterThanOrEqualTo(3);
    double n = samples.size();
    double mx = samples.stream().mapToDouble(Sample::seconds).sum() / n;
    double my = samples.stream().mapToDouble(x -> x.values().get(s)).sum() / n;
    double num = 0;
    double den = 0;
    for (Sample x : samples) {
      num += (x.seconds() - mx) * (x.values().get(s) - my);
      den += (x.seconds() - mx) * (x.seconds() - mx);
    }
    return num / den;
  }

  /**
   * Hosts that went more than two intervals (plus a grace for a loaded machine) without a quote
   * between {@code from} and {@code to}.
   */
  private static List<String> missedRounds(
      Map<String, List<Instant>> quotesByHost, Instant from, Instant to) {
    Duration allowed = INTERVAL.multipliedBy(2).plus(MISS_GRACE);
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, List<Instant>> e : quotesByHost.entrySet()) {
      String id = e.getKey();
      Instant previous = from;
      List<Instant> quotes = new ArrayList<>(e.getValue());
      quotes.add(to);
      for (Instant q : quotes) {
        if (q.isBefore(from)) {
          continue;
        }
        if (Duration.between(previous, q).compareTo(allowed) > 0) {
          out.add(id + " had no quote from " + previous + " to " + q);
        }
        previous = q;
      }
    }
    return out;
  }

  private Path writeCsv(List<Sample> samples) throws Exception {
    Path csv = Path.of("target", "soak.csv").toAbsolutePath();
    Files.createDirectories(csv.getParent());
    StringBuilder b = new StringBuilder("seconds");
    for (Series s : Series.values()) {
      b.append(',').append(s.name().toLowerCase(java.util.Locale.ROOT));
    }
    b.append('\n');
    for (Sample x : samples) {
      b.append(String.format(java.util.Locale.ROOT, "%.1f", x.seconds()));
      for (Series s : Series.values()) {
        b.append(',').append(String.format(java.util.Locale.ROOT, "%.1f", x.values().get(s)));
      }
      b.append('\n');
    }
    return Files.writeString(csv, b.toString());
  }
}
