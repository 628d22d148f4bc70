package dev.vouch.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.audit.AuditCheckpoint;
import dev.vouch.policy.audit.AuditEntry;
import dev.vouch.policy.audit.AuditExport;
import dev.vouch.policy.audit.AuditRecord;
import dev.vouch.server.monitor.ServerIdentity;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.StoreException;
import dev.vouch.server.store.TestDatabases;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
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

  @ParameterizedTest
  @MethodSource("databases")
  void aBurstOnOneReplicaReturnsEachRecordAsCommittedInOneUnbrokenChain(String kind)
      throws Exception {
    try (TestDatabases.Handle h =
            kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
        Database db = h.open()) {
      Signed signed = signed(db);
      AuditLog log = signed.log();
      int threads = 32;
      int each = 25;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<List<AuditRecord>>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(
            pool.submit(
                () -> {
                  List<AuditRecord> mine = new ArrayList<>();
                  for (int i = 0; i < each; i++) {
                    mine.add(
                        log.append(
                            AuditEntry.system("test.burst", "b" + thread, "success", "" + i)));
                  }
                  return mine;
                }));
      }
      Map<Long, AuditRecord> acknowledged = new HashMap<>();
      for (Future<List<AuditRecord>> f : done) {
        for (AuditRecord r : f.get()) {
          assertThat(acknowledged.put(r.seq(), r)).as("seq %d returned twice", r.seq()).isNull();
        }
      }
      pool.shutdown();

      List<AuditRecord> stored =
          log.list(new AuditLog.Query(null, null, null, null, null, 0, 1000));
      assertThat(stored).hasSize(threads * each);
      for (AuditRecord r : stored) {
        // what each caller was told is exactly what the chain holds
        assertThat(acknowledged.get(r.seq())).isEqualTo(r);
      }
      assertThat(signed.verifiedRecords()).isEqualTo(threads * each);
    }
  }

  @Test
  void aRecordTheDatabaseRefusesFailsAloneAndItsBatchIsWritten() throws Exception {
    try (TestDatabases.Handle h = TestDatabases.postgres();
        Database db = h.open()) {
      Signed signed = signed(db);
      AuditLog log = signed.log();
      int threads = 16;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<AuditRecord>> done = new ArrayList<>();
      for (int round = 0; round < 20; round++) {
        for (int t = 0; t < threads; t++) {
          // PostgreSQL refuses NUL in text: a decoded request path may carry one
          String target = t == 0 ? "bad\0path" : "good";
          done.add(
              pool.submit(
                  () -> log.append(AuditEntry.system("test.mixed", target, "success", null))));
        }
      }
      int failed = 0;
      for (Future<AuditRecord> f : done) {
        try {
          assertThat(f.get().entry().target()).isEqualTo("good");
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(StoreException.class);
          failed++;
        }
      }
      pool.shutdown();
      assertThat(failed).isEqualTo(20);
      assertThat(signed.verifiedRecords()).isEqualTo(20 * (threads - 1));
    }
  }

  /** A log signing checkpoints with a reporting identity kept in {@code db}. */
  private record Signed(AuditLog log, ServerIdentity identity) {
    /** How many records the log's export holds, once it has verified against the CA. */
    long verifiedRecords() throws Exception {
      List<String> lines = new ArrayList<>();
      log.export(lines::add);
      return AuditExport.verify(lines, List.of(identity.ca()), Clock.systemUTC().instant())
          .records();
    }
  }

  private Signed signed(Database db) throws Exception {
    Clock clock = Clock.systemUTC();
    ServerIdentity identity =
        ServerIdentity.loadOrCreate(db, Sealer.load(Optional.empty(), dir.resolve("kek")), clock);
    return new Signed(
        new AuditLog(db, AuditCheckpoint.signer(identity.key(), identity.chain()), clock),
        identity);
  }
}
