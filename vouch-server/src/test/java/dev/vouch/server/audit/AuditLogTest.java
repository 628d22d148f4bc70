package dev.vouch.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.audit.AuditCheckpoint;
import dev.vouch.policy.audit.AuditEntry;
import dev.vouch.policy.audit.AuditExport;
import dev.vouch.policy.audit.AuditRecord;
import dev.vouch.server.monitor.ServerIdentity;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The audit log on H2 and PostgreSQL: two replicas (two connection pools, two {@link AuditLog}s)
 * appending at once extend one chain, and the export of it verifies against the reporting CA.
 */
class AuditLogTest {
  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  @ParameterizedTest
  @MethodSource("databases")
  void concurrentReplicasExtendOneChainThatVerifies(String kind) throws Exception {
    try (TestDatabases.Handle h =
            kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
        Database a = h.open();
        Database b = h.open()) {
      Sealer sealer = Sealer.load(Optional.empty(), dir.resolve("kek"));
      Clock clock = Clock.systemUTC();
      ServerIdentity identity = ServerIdentity.loadOrCreate(a, sealer, clock);
      var signer = AuditCheckpoint.signer(identity.key(), identity.chain());
      List<AuditLog> replicas =
          List.of(new AuditLog(a, signer, clock), new AuditLog(b, signer, clock));
      int threads = 8;
      int each = 40;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        AuditLog log = replicas.get(t % 2);
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < each; i++) {
                    log.append(AuditEntry.system("test.append", "t" + thread, "success", "n " + i));
                  }
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();

      List<String> lines = new ArrayList<>();
      replicas.get(1).export(lines::add);
      AuditExport.Intact ok = AuditExport.verify(lines, List.of(identity.ca()), clock.instant());
      assertThat(ok.records()).isEqualTo(threads * each);
      assertThat(ok.anchored()).isTrue();

      List<AuditRecord> page =
          replicas.get(0).list(new AuditLog.Query(null, null, "t3", null, null, 0, 1000));
      assertThat(page).hasSize(each).allMatch(AuditRecord::intact);
    }
  }
}
