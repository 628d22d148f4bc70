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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench hosts} against a real server in its own JVM (H2, plain HTTP) and a real nats-server:
 * 20 simulated hosts whose EKs the bench CA certifies enroll through the registrar, are attested on
 * a 5 s poll for 15 s, and must all be VERIFIED with no error, no missed and no duplicated
 * attestation, and a JSON result that parses. Nothing here asserts a speed.
 */
class HostsBenchSmokeTest {
  @TempDir Path dir;

  @Test
  void twentyHostsEnrollAndAreAttestedEveryPollWithoutMissOrDuplicate() throws Exception {
    Path ca = dir.resolve("ek-ca");
    BenchEkCa.create(ca, new SecureRandom());
    Path token = Files.writeString(dir.resolve("admin-token"), TestServers.ADMIN + "\n");
    try (NatsServer nats = NatsServer.start()) {
      Map<String, String> env = ChildServer.env(Optional.empty(), Optional.empty());
      env.put("VOUCH_HOSTS_NATS_URL", nats.url());
      env.put("VOUCH_HOSTS_POLL_SECONDS", "5");
      env.put("VOUCH_REGISTRAR_EK_ROOTS", ca.resolve(BenchEkCa.CERT).toString());
      env.put("VOUCH_REGISTRAR_EK_CRLS", ca.resolve(BenchEkCa.CRL).toString());
      ChildServer server =
          ChildServer.start(dir.resolve("data"), env, Optional.of(dir.resolve("server.log")));
      try {
        Path out = dir.resolve("hosts.json");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        int code =
            BenchMain.run(
                List.of(
                        "hosts",
                        "--server",
                        server.base().toString(),
                        "--nats",
                        nats.url(),
                        "--ek-ca",
                        ca.toString(),
                        "--hosts",
                        "20",
                        "--poll-seconds",
                        "5",
                        "--duration",
                        "15",
                        "--hosts-per-connection",
                        "8",
                        "--server-pid",
                        Long.toString(server.process().pid()),
                        "--admin-token-file",
                        token.toString(),
                        "--out",
                        out.toString())
                    .toArray(String[]::new),
                new PrintWriter(stdout, true),
                new PrintWriter(stderr, true));
        assertThat(code).as("exit; out %s err %s", stdout, stderr).isZero();
        assertThat(stdout.toString().lines()).hasSize(1);
        assertThat(stdout.toString()).startsWith("hosts 20 poll 5 s").contains(" 0 errors");
        JsonNode j = new ObjectMapper().readTree(Files.readString(out));
        assertThat(j.get("workload").asText()).isEqualTo("hosts");
        assertThat(j.get("enrolled").asLong()).isEqualTo(20);
        assertThat(j.get("verified_hosts").asLong()).isEqualTo(20);
        assertThat(j.get("errors").asLong()).isZero();
        assertThat(j.get("missed").asLong()).isZero();
        assertThat(j.get("duplicated").asLong()).isZero();
        // 20 hosts every 5 s for 15 s: each host attested in the window, each report by a quote
        assertThat(j.get("reports").asLong()).isPositive();
        assertThat(j.at("/request_to_report_latency/count").asLong())
            .isEqualTo(j.get("reports").asLong());
        assertThat(j.get("quotes_served").asLong()).isPositive();
        assertThat(j.at("/agent_latency/count").asLong())
            .isEqualTo(j.get("quotes_served").asLong());
        assertThat(j.get("server_cpu_seconds").isNumber()).isTrue();
      } finally {
        server.kill();
      }
    }
  }
}
