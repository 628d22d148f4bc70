package dev.vouch.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.policy.audit.AuditExport;
import dev.vouch.server.ChildServer;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.store.TestDatabases;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Group commit loses nothing it acknowledged: clients send audited admin writes as fast as the
 * server answers, each under its own {@code X-Request-Id}, the server is killed with SIGKILL in the
 * middle of the burst, and after a restart on the same data every request that got an answer has
 * its audit record, in a chain that verifies against the reporting CA.
 */
class AuditCrashTest {
  private static final int CLIENTS = 8;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void everyAnsweredRequestKeepsItsAuditRecordThroughAKill(String kind) throws Exception {
    TestDatabases.Handle db = kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
    Map<String, String> env = ChildServer.env(kind, db);
    try (db) {
      ChildServer first = ChildServer.start(dir, env);
      Set<String> answered = ConcurrentHashMap.newKeySet();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch enough = new CountDownLatch(CLIENTS * 20);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      List<Thread> clients = new ArrayList<>();
      for (int t = 0; t < CLIENTS; t++) {
        int client = t;
        clients.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int n = 0; !stop.get(); n++) {
                        String id = "crash-" + client + "-" + n;
                        HttpRequest req =
                            HttpRequest.newBuilder(first.base().resolve("/api/v1/reference-values"))
                                .timeout(Duration.ofSeconds(30))
                                .header("Authorization", "Bearer " + TestServers.ADMIN)
                                .header("X-Request-Id", id)
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                                .build();
                        try {
                          http.send(req, HttpResponse.BodyHandlers.discarding());
                        } catch (Exception e) {
                          return; // the server died under this request: never answered
                        }
                        answered.add(id);
                        enough.countDown();
                      }
                    }));
      }
      assertThat(enough.await(90, TimeUnit.SECONDS)).isTrue();
      first.kill();
      stop.set(true);
      for (Thread t : clients) {
        t.join(30_000);
      }

      ChildServer second = ChildServer.start(dir, env);
      try {
        Client c = new Client(second.base());
        ServedAuditLog served = ServedAuditLog.exportAndVerify(c);
        List<String> lines = served.lines();
        AuditExport.Intact intact = served.intact();
        Set<String> recorded = new HashSet<>();
        for (String line : lines) {
          JsonNode n = JSON.readTree(line);
          if (n.hasNonNull("request_id")) {
            recorded.add(n.get("request_id").asText());
          }
        }
        assertThat(answered).hasSizeGreaterThanOrEqualTo(CLIENTS * 20);
        assertThat(recorded).containsAll(answered);
        assertThat(intact.records()).isGreaterThanOrEqualTo(answered.size());
      } finally {
        second.kill();
      }
    }
  }
}
