package dev.vouch.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.server.ChildServer;
import dev.vouch.server.TestServers;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load generators against a real server in its own JVM (H2, plain HTTP): a short run at a low
 * arrival rate of each workload must finish with no error, the server's CPU read from /proc, and a
 * JSON result that parses. Nothing here asserts a speed.
 */
class OutOfProcessSmokeTest {
  @TempDir static Path dir;
  static ChildServer server;
  static Path adminKey;
  static Path token;

  @BeforeAll
  static void startServer() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kbsAdmin = g.generateKeyPair();
    Path pub =
        Files.writeString(
            dir.resolve("kbs-admin.pub"), pem("PUBLIC KEY", kbsAdmin.getPublic().getEncoded()));
    adminKey =
        Files.writeString(
            dir.resolve("kbs-admin.key"), pem("PRIVATE KEY", kbsAdmin.getPrivate().getEncoded()));
    token = Files.writeString(dir.resolve("admin-token"), TestServers.ADMIN + "\n");
    Map<String, String> env = ChildServer.env(Optional.empty(), Optional.empty());
    env.put("VOUCH_KBS_TEES", "tpm");
    env.put("VOUCH_KBS_ADMIN_KEY_FILES", pub.toString());
    // every load client comes from 127.0.0.1: the per-client limits would measure themselves
    env.put("VOUCH_KBS_AUTH_RATE_PER_SECOND", "0");
    env.put("VOUCH_KBS_ATTEST_RATE_PER_SECOND", "0");
    env.put("VOUCH_HTTP_ATTEST_RATE_PER_SECOND", "0");
    server = ChildServer.start(dir.resolve("data"), env, Optional.of(dir.resolve("server.log")));
  }

  @AfterAll
  static void stopServer() throws Exception {
    if (server != null) {
      server.kill();
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder().encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static JsonNode run(String workload, String... extra) throws Exception {
    Path out = dir.resolve(workload + ".json");
    java.util.List<String> args =
        new java.util.ArrayList<>(
            java.util.List.of(
                workload,
                "--url",
                server.base().toString(),
                "--rate",
                "10",
                "--duration",
                "2",
                "--warmup",
                "0.5",
                "--server-pid",
                Long.toString(server.process().pid()),
                "--admin-token-file",
                token.toString(),
                "--out",
                out.toString()));
    args.addAll(java.util.List.of(extra));
    StringWriter stdout = new StringWriter();
    StringWriter stderr = new StringWriter();
    int code =
        BenchMain.run(
            args.toArray(String[]::new),
            new PrintWriter(stdout, true),
            new PrintWriter(stderr, true));
    assertThat(code).as("exit; out %s err %s", stdout, stderr).isZero();
    assertThat(stdout.toString().lines()).hasSize(1);
    assertThat(stdout.toString()).startsWith(workload + " open 10/s").contains(" 0 errors");
    return new ObjectMapper().readTree(Files.readString(out));
  }

  private static void assertCleanRun(JsonNode j) {
    assertThat(j.get("errors").asLong()).isZero();
    assertThat(j.get("ok").asLong()).isEqualTo(20); // 10/s for 2 s, every one answered
    assertThat(j.at("/latency/count").asLong()).isEqualTo(20);
    assertThat(j.at("/latency/p99_ms").asDouble()).isPositive();
    assertThat(j.get("server_cpu_seconds").isNumber()).isTrue();
    assertThat(j.get("server_cpu_seconds").asDouble()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void attestWorkloadRunsWithoutErrors() throws Exception {
    JsonNode j = run("attest");
    assertThat(j.get("workload").asText()).isEqualTo("attest");
    assertCleanRun(j);
  }

  @Test
  void kbsWorkloadCompletesFullTpmHandshakesWithoutErrors() throws Exception {
    JsonNode j = run("kbs", "--kbs-admin-key", adminKey.toString(), "--tpms", "2");
    assertThat(j.get("workload").asText()).isEqualTo("kbs");
    assertCleanRun(j);
  }
}
