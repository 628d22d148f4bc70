package dev.vouch.bench.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.bench.load.BenchMain;
import dev.vouch.server.ChildServer;
import dev.vouch.server.TestServers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench hosts} against a real server in its own JVM (H2, plain HTTP) and a real nats-server:
 * 20 simulated hosts whose EKs the bench CA certifies enroll through the registrar, are attested on
 * a 5 s poll for 15 s, and must all be VERIFIED with no error, no missed and no duplicated
 * attestation, and a JSON result that parses; hosts whose EKs another CA certified are refused by
 * the registrar and make the run fail. Nothing here asserts a speed.
 */
class HostsBenchSmokeTest {
  @TempDir static Path dir;
  static NatsServer nats;
  static ChildServer server;
  static Path ca;
  static Path token;

  @BeforeAll
  static void start() throws Exception {
    ca = dir.resolve("ek-ca");
    BenchEkCa.create(ca, new SecureRandom());
    token = Files.writeString(dir.resolve("admin-token"), TestServers.ADMIN + "\n");
    nats = NatsServer.start();
    Map<String, String> env = ChildServer.env(Optional.empty(), Optional.empty());
    env.put("VOUCH_HOSTS_NATS_URL", nats.url());
    env.put("VOUCH_HOSTS_POLL_SECONDS", "5");
    env.put("VOUCH_REGISTRAR_EK_ROOTS", ca.resolve(BenchEkCa.CERT).toString());
    env.put("VOUCH_REGISTRAR_EK_CRLS", ca.resolve(BenchEkCa.CRL).toString());
    server = ChildServer.start(dir.resolve("data"), env, Optional.of(dir.resolve("server.log")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.kill();
    }
    if (nats != null) {
      nats.close();
    }
  }

  /** Runs {@code bench hosts}; returns the exit code, stdout and the JSON result. */
  private record Run(int code, String stdout, String stderr, JsonNode json) {}

  private static Run bench(Path ekCa, String name, String... extra) throws Exception {
    Path out = dir.resolve(name + ".json");
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "hosts",
                "--server",
                server.base().toString(),
                "--nats",
                nats.url(),
                "--ek-ca",
                ekCa.toString(),
                "--poll-seconds",
                "5",
                "--server-pid",
                Long.toString(server.process().pid()),
                "--admin-token-file",
                token.toString(),
                "--out",
                out.toString()));
    args.addAll(List.of(extra));
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    int code =
        BenchMain.run(
            args.toArray(String[]::new),
            new PrintWriter(stdout, true),
            new PrintWriter(stderr, true));
    return new Run(
        code,
        stdout.toString(),
        stderr.toString(),
        new ObjectMapper().readTree(Files.readString(out)));
  }

  @Test
  void twentyHostsEnrollAndAreAttestedEveryPollWithoutMissOrDuplicate() throws Exception {
    Run r = bench(ca, "clean", "--hosts", "20", "--duration", "15", "--hosts-per-connection", "8");
    assertThat(r.code()).as("exit; out %s err %s", r.stdout(), r.stderr()).isZero();
    assertThat(r.stdout().lines()).hasSize(1);
    assertThat(r.stdout()).startsWith("hosts 20 poll 5 s").contains(" 0 errors");
    JsonNode j = r.json();
    assertThat(j.get("workload").asText()).isEqualTo("hosts");
    assertThat(j.get("enrolled").asLong()).isEqualTo(20);
    assertThat(j.get("verified_hosts").asLong()).isEqualTo(20);
    assertThat(j.get("errors").asLong()).isZero();
    assertThat(j.get("missed").asLong()).isZero();
    assertThat(j.get("duplicated").asLong()).isZero();
    // every report in the window follows a quote the agents served
    assertThat(j.get("reports").asLong()).isPositive();
    assertThat(j.at("/request_to_report_latency/count").asLong())
        .isEqualTo(j.get("reports").asLong());
    assertThat(j.get("quotes_served").asLong()).isPositive();
    assertThat(j.at("/agent_latency/count").asLong()).isEqualTo(j.get("quotes_served").asLong());
    assertThat(j.get("server_cpu_seconds").isNumber()).isTrue();
    // every attestation reads and writes the database: the server's counters saw it
    assertThat(j.get("db_commits").asLong()).isGreaterThanOrEqualTo(j.get("reports").asLong());
    assertThat(j.get("db_round_trips_per_attestation").asDouble()).isGreaterThan(2);
    assertThat(r.stdout()).contains("DB round trips/attestation");
  }

  @Test
  void hostsWhoseEksAnotherCaCertifiedAreRefusedAndFailTheRun() throws Exception {
    Path other = dir.resolve("other-ca");
    BenchEkCa.create(other, new SecureRandom());
    Run r = bench(other, "refused", "--hosts", "3", "--duration", "1", "--warmup", "0");
    assertThat(r.code()).as("exit; out %s err %s", r.stdout(), r.stderr()).isEqualTo(1);
    JsonNode j = r.json();
    assertThat(j.get("enrolled").asLong()).isZero();
    assertThat(j.get("verified_hosts").asLong()).isZero();
    assertThat(j.get("reports").asLong()).isZero();
    assertThat(j.at("/errors_by_kind").fieldNames())
        .toIterable()
        .anySatisfy(k -> assertThat(k).startsWith("enroll-").containsIgnoringCase("chain"));
  }
}
