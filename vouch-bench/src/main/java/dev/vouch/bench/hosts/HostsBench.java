package dev.vouch.bench.hosts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.sim.SimulatedFleet;
import dev.vouch.agent.sim.SimulatedHost;
import dev.vouch.agent.sim.SimulatedTpm;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.agent.trust.HttpRegistrarClient;
import dev.vouch.agent.trust.RegistrarException;
import dev.vouch.bench.load.ProcessCpu;
import dev.vouch.bench.load.Target;
import dev.vouch.core.bytes.Hex;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.HdrHistogram.Histogram;

/**
 * {@code vouch bench hosts}: N simulated agents in this process against a separately started
 * server. Each agent has a software AK and EK ({@link SimulatedTpm}, {@link SimulatedEk}, the EK
 * certified by the {@link BenchEkCa} the server trusts), enrolls through the registrar's HTTP API
 * as the trust agent does ({@link HttpRegistrarClient}, credential activation in software), and
 * then answers the server's quote requests on NATS ({@link SimulatedFleet}, a few hundred agents
 * per connection). After a warm-up the run measures, for {@code duration}:
 *
 * <ul>
 *   <li>agents' side: quote requests served and the time from a request reaching an agent to its
 *       signed answer being handed to NATS;
 *   <li>server's side, from its API once the run ends: every host's status ({@code GET
 *       /api/v1/hosts}), its trust reports ({@code GET /api/v1/reports?host=}) created in the
 *       window (attestations per second), the time from the agent receiving the quote request to
 *       the signed report's creation, and missed and duplicated attestations by the gaps between a
 *       host's reports (see {@link Gaps});
 *   <li>server CPU seconds per attestation from {@code /proc/PID/stat}.
 * </ul>
 */
public final class HostsBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * @param poll the server's {@code hosts.poll_seconds}, which the gaps are judged against
   * @param warmup time after the last enrollment before the window opens
   * @param hostsPerConnection agents sharing one NATS connection
   * @param enrollConcurrency enrollments in flight at once
   */
  public record Settings(
      String natsUrl,
      int hosts,
      Duration poll,
      Duration duration,
      Duration warmup,
      Optional<Long> serverPid,
      int hostsPerConnection,
      int enrollConcurrency) {
    public Settings {
      if (hosts < 1 || hostsPerConnection < 1 || enrollConcurrency < 1) {
        throw new IllegalArgumentException(
            "--hosts, --hosts-per-connection and --enroll-concurrency must be at least 1");
      }
      if (poll.isZero() || poll.isNegative() || duration.isZero() || duration.isNegative()) {
        throw new IllegalArgumentException("--poll-seconds and --duration must be positive");
      }
      if (warmup.isNegative()) {
        throw new IllegalArgumentException("--warmup must not be negative");
      }
    }
  }

  /** One quote served by an agent, on {@link System#nanoTime}'s scale. */
  private record Served(String hostId, long receivedNanos, long repliedNanos) {}

  private HostsBench() {}

  /**
   * Runs the whole bench; {@code progress} gets a line per phase (stderr in the CLI).
   *
   * @throws Exception when the NATS server or the server's API cannot be reached or read
   */
  public static HostsResult run(
      Settings s, Target target, BenchEkCa ca, SecureRandom random, PrintWriter progress)
      throws Exception {
    byte[] run = new byte[4];
    random.nextBytes(run);
    List<String> ids = SimulatedFleet.hostIds("bench-" + Hex.encode(run), s.hosts());
    Queue<Served> served = new ConcurrentLinkedQueue<>();
    SimulatedFleet.QuoteObserver observer =
        (id, received, replied) -> served.add(new Served(id, received, replied));
    Map<String, Long> errors = new ConcurrentHashMap<>();
    List<Connection> connections = new ArrayList<>();
    List<SimulatedFleet> fleets = new ArrayList<>();
    Map<String, SimulatedFleet> fleetOf = new HashMap<>();
    // wall time and nanoTime read together, to place agents' nanoTimes next to report times
    Instant wall0 = Instant.now();
    long nano0 = System.nanoTime();
    ProcessCpu self = ProcessCpu.of(ProcessHandle.current().pid());
    try (ExecutorService pool = Executors.newFixedThreadPool(s.enrollConcurrency())) {
      for (int from = 0; from < ids.size(); from += s.hostsPerConnection()) {
        List<String> chunk = ids.subList(from, Math.min(ids.size(), from + s.hostsPerConnection()));
        Connection c = Nats.connect(s.natsUrl());
        connections.add(c);
        SimulatedFleet f =
            SimulatedFleet.start(
                c,
                chunk,
                SimulatedHost.FirmwareLog.keylimeSecureBoot(),
                random,
                Clock.systemUTC(),
                observer);
        fleets.add(f);
        chunk.forEach(id -> fleetOf.put(id, f));
      }
      progress.printf("hosts: %d agents on %d NATS connections%n", ids.size(), fleets.size());
      HttpRegistrarClient registrar =
          new HttpRegistrarClient(
              target.base(),
              target.http(),
              "default",
              "nats",
              Duration.ofSeconds(30),
              Optional.empty());
      List<Future<?>> enrollments = new ArrayList<>();
      for (String id : ids) {
        enrollments.add(
            pool.submit(
                () -> {
                  try {
                    SimulatedTpm tpm = fleetOf.get(id).host(id).tpm();
                    SimulatedEk ek = SimulatedEk.create(id, ca, random);
                    Enrollment.Challenge c = registrar.begin(id, ek.material(tpm.akTpm2bPublic()));
                    registrar.complete(c.id(), ek.activate(c, tpm.akName()));
                  } catch (RegistrarException e) {
                    errors.merge("enroll-" + e.code().orElse("http-" + e.status()), 1L, Long::sum);
                  } catch (Exception e) {
                    errors.merge("enroll-" + e.getClass().getSimpleName(), 1L, Long::sum);
                  }
                  return null;
                }));
      }
      for (Future<?> f : enrollments) {
        f.get();
      }
      long enrolled = ids.size() - errors.values().stream().mapToLong(Long::longValue).sum();
      progress.printf(
          "hosts: %d enrolled%s; warm-up %d s, then %d s measured%n",
          enrolled,
          errors.isEmpty() ? "" : " " + errors,
          s.warmup().toSeconds(),
          s.duration().toSeconds());
      Thread.sleep(s.warmup().toMillis());
      Optional<ProcessCpu> server =
          s.serverPid().isPresent()
              ? Optional.of(ProcessCpu.of(s.serverPid().get()))
              : Optional.empty();
      double server0 = server.isPresent() ? server.get().seconds() : 0;
      double self0 = self.seconds();
      Optional<DbCounts> db0 = dbCounts(target);
      long startNanos = System.nanoTime();
      Thread.sleep(s.duration().toMillis());
      long endNanos = System.nanoTime();
      Optional<DbCounts> db1 = dbCounts(target);
      Optional<DbCounts> db =
          db0.isPresent() && db1.isPresent()
              ? Optional.of(
                  new DbCounts(
                      db1.get().statements() - db0.get().statements(),
                      db1.get().commits() - db0.get().commits()))
              : Optional.empty();
      OptionalDouble serverCpu =
          server.isPresent()
              ? OptionalDouble.of(server.get().seconds() - server0)
              : OptionalDouble.empty();
      double clientCpu = self.seconds() - self0;
      Instant start = wall0.plusNanos(startNanos - nano0);
      Instant end = wall0.plusNanos(endNanos - nano0);

      Histogram agent = new Histogram(3);
      Map<String, List<Instant>> receivedBy = new HashMap<>();
      long quotes = 0;
      for (Served q : served) {
        Instant received = wall0.plusNanos(q.receivedNanos() - nano0);
        receivedBy.computeIfAbsent(q.hostId(), k -> new ArrayList<>()).add(received);
        if (q.receivedNanos() >= startNanos && q.receivedNanos() < endNanos) {
          quotes++;
          agent.recordValue(Math.max(0, q.repliedNanos() - q.receivedNanos()));
        }
      }
      receivedBy.values().forEach(l -> l.sort(null));

      Map<String, String> status = hostStatuses(target);
      long verified = 0;
      for (String id : ids) {
        String st = status.get(id);
        if (st == null) {
          errors.merge("host-not-registered", 1L, Long::sum);
        } else if (st.equals("VERIFIED")) {
          verified++;
        }
      }
      int limit =
          (int)
              Math.min(
                  1000,
                  (s.warmup().plus(s.duration()).toSeconds() / Math.max(1, s.poll().toSeconds()))
                      + 10);
      List<Future<List<Report>>> reportsOf = new ArrayList<>();
      for (String id : ids) {
        reportsOf.add(pool.submit(() -> reports(target, id, limit)));
      }
      Histogram toReport = new Histogram(3);
      Gaps gaps = new Gaps(s.poll());
      long reports = 0;
      for (int i = 0; i < ids.size(); i++) {
        List<Report> all = reportsOf.get(i).get();
        List<Instant> times = new ArrayList<>();
        List<Instant> asked = receivedBy.getOrDefault(ids.get(i), List.of());
        for (Report r : all) {
          times.add(r.created());
          if (r.created().isBefore(start) || !r.created().isBefore(end)) {
            continue;
          }
          reports++;
          if (!r.status().equals("VERIFIED")) {
            errors.merge("report-" + r.status(), 1L, Long::sum);
          }
          Optional<Instant> request = latestAtOrBefore(asked, r.created());
          if (request.isEmpty()) {
            errors.merge("report-without-quote", 1L, Long::sum);
          } else {
            toReport.recordValue(Duration.between(request.get(), r.created()).toNanos());
          }
        }
        gaps.add(times, start, end);
      }
      return new HostsResult(
          ids.size(),
          s.poll().toSeconds(),
          Duration.between(start, end).toNanos() / 1e9,
          enrolled,
          verified,
          reports,
          quotes,
          gaps.missed(),
          gaps.duplicated(),
          errors,
          dev.vouch.bench.load.LatencySummary.of(agent),
          dev.vouch.bench.load.LatencySummary.of(toReport),
          serverCpu,
          clientCpu,
          db);
    } finally {
      fleets.forEach(SimulatedFleet::close);
      for (Connection c : connections) {
        c.close();
      }
    }
  }

  /** The server's database statements and commits so far, from its {@code /metrics}. */
  record DbCounts(long statements, long commits) {}

  private static Optional<DbCounts> dbCounts(Target target) {
    try {
      String scrape = target.admin("GET", "/metrics", "text/plain", new byte[0]);
      OptionalDouble st = metric(scrape, "vouch_db_statements_total");
      OptionalDouble co = metric(scrape, "vouch_db_commits_total");
      return st.isPresent() && co.isPresent()
          ? Optional.of(new DbCounts((long) st.getAsDouble(), (long) co.getAsDouble()))
          : Optional.empty();
    } catch (Exception e) {
      // a server without the counters: the run reports no round trips rather than failing
      return Optional.empty();
    }
  }

  /** The value of an unlabelled series in a Prometheus text scrape. */
  static OptionalDouble metric(String scrape, String name) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + " ")) {
        return OptionalDouble.of(Double.parseDouble(line.substring(name.length() + 1).strip()));
      }
    }
    return OptionalDouble.empty();
  }

  private static Optional<Instant> latestAtOrBefore(List<Instant> sorted, Instant t) {
    int lo = 0;
    int hi = sorted.size() - 1;
    int found = -1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (!sorted.get(mid).isAfter(t)) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? Optional.empty() : Optional.of(sorted.get(found));
  }

  private static Map<String, String> hostStatuses(Target target) throws Exception {
    JsonNode hosts =
        JSON.readTree(target.admin("GET", "/api/v1/hosts", "application/json", new byte[0]))
            .path("hosts");
    Map<String, String> out = new HashMap<>();
    for (JsonNode h : hosts) {
      out.put(h.path("id").asText(), h.path("status").asText());
    }
    return out;
  }

  /** A trust report as {@code GET /api/v1/reports} lists it. */
  record Report(Instant created, String status) {}

  private static List<Report> reports(Target target, String hostId, int limit) throws Exception {
    JsonNode list =
        JSON.readTree(
                target.admin(
                    "GET",
                    "/api/v1/reports?host="
                        + URLEncoder.encode(hostId, StandardCharsets.UTF_8)
                        + "&limit="
                        + limit,
                    "application/json",
                    new byte[0]))
            .path("reports");
    List<Report> out = new ArrayList<>();
    for (JsonNode r : list) {
      out.add(new Report(Instant.parse(r.path("created").asText()), r.path("status").asText()));
    }
    out.sort(java.util.Comparator.comparing(Report::created));
    return out;
  }
}
