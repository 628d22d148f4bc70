package dev.vouch.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.policy.audit.AuditExport;
import dev.vouch.server.ChildServer;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.audit.ServedAuditLog;
import dev.vouch.server.store.TestDatabases;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Nothing acknowledged is lost: writers upload policy versions as fast as the server takes them,
 * the server is killed with SIGKILL in the middle, and after a restart on the same data every
 * version the server had answered 200 for is there with the exact source it was given. The audit
 * chain, written by the same requests, still verifies end to end.
 */
class CrashDuringWritesTest {
  private static final int WRITERS = 4;

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  private static String policy(int writer, int n) {
    return "description: crash test writer "
        + writer
        + " version "
        + n
        + "\nrules:\n  - name: r"
        + n
        + "\n    category: executables\n    expr: claims[\"tpm.pcr.sha256.10\"] != \"w"
        + writer
        + "n"
        + n
        + "\"\n";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void everyAcknowledgedWriteSurvivesAKillInTheMiddleOfWrites(String kind) throws Exception {
    TestDatabases.Handle db = kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
    Map<String, String> env = ChildServer.env(kind, db);
    try (db) {
      ChildServer first = ChildServer.start(dir, env);
      // acknowledged version -> source, per writer
      List<Map<Integer, String>> acked = new ArrayList<>();
      AtomicBoolean stop = new AtomicBoolean();
      CountDownLatch someWritten = new CountDownLatch(WRITERS * 5);
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        Map<Integer, String> mine = new ConcurrentHashMap<>();
        acked.add(mine);
        int writer = w;
        Client c =
            new Client(
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build(),
                first.base());
        writers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int n = 1; !stop.get(); n++) {
                        String src = policy(writer, n);
                        Reply r;
                        try {
                          r = c.put("/api/v1/policies/crash-" + writer, src, true);
                        } catch (RuntimeException e) {
                          return; // the server died under this request: not acknowledged
                        }
                        if (r.status() == 200) {
                          mine.put(r.json().get("version").asInt(), src);
                          someWritten.countDown();
                        }
                      }
                    }));
      }
      assertThat(someWritten.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      first.kill();
      stop.set(true);
      for (Thread t : writers) {
        t.join(30_000);
      }

      ChildServer second = ChildServer.start(dir, env);
      try {
        Client c = new Client(second.base());
        int total = 0;
        for (int w = 0; w < WRITERS; w++) {
          JsonNode stored = c.get("/api/v1/policies/crash-" + w, true).json();
          Map<Integer, String> sources = new java.util.HashMap<>();
          for (JsonNode v : stored.path("versions")) {
            sources.put(v.path("version").asInt(), v.path("source").asText());
          }
          for (Map.Entry<Integer, String> e : acked.get(w).entrySet()) {
            assertThat(sources.get(e.getKey()))
                .as("writer %d version %d was acknowledged", w, e.getKey())
                .isEqualTo(e.getValue());
          }
          total += acked.get(w).size();
        }
        assertThat(total).isGreaterThanOrEqualTo(WRITERS * 5);

        // the audit chain written by the same requests is whole after the crash
        AuditExport.Intact intact = ServedAuditLog.exportAndVerify(c).intact();
        assertThat(intact.records()).isPositive();
      } finally {
        second.kill();
      }
    }
  }
}
