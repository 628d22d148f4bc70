package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.runtime.RuntimeAppraiser;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.ima.BootAggregate;
import dev.vouch.evidence.tpm.ima.ImaCheckpoint;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.server.hosts.ImaProgress;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Runtime policies and per-host IMA state on H2 and PostgreSQL. */
class ImaStoresTest {
  private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  private static final String POLICY =
      """
      {"meta": {"version": 1}, "release": 0,
       "digests": {"/usr/bin/bash": ["%s"]},
       "excludes": [], "keyrings": {}, "ima": {"ignored_keyrings": [], "log_hash_alg": "sha1"},
       "ima-buf": {}, "verification-keys": ""}
      """;

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  private TestDatabases.Handle handle(String kind) {
    return kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
  }

  private static byte[] policy(char fill) {
    return POLICY.formatted(String.valueOf(fill).repeat(64)).getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @MethodSource("databases")
  void policiesAreVersionedByNameAndHostsFollowTheNewestVersion(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      RuntimePolicyStore store = new RuntimePolicyStore(db);
      String name = "web-" + UUID.randomUUID().toString().substring(0, 8);
      String host = "h-" + UUID.randomUUID().toString().substring(0, 8);
      assertThat(store.assign(host, name, T0)).isFalse();
      RuntimePolicyStore.Stored v1 = store.put(name, policy('a'), T0);
      assertThat(v1.version()).isEqualTo(1);
      assertThat(v1.sha256())
          .isEqualTo(dev.vouch.core.bytes.Hex.encode(HashAlg.SHA256.digest(policy('a'))));
      assertThat(store.assign(host, name, T0)).isTrue();
      assertThat(store.assigned(host).orElseThrow().ref()).isEqualTo(name + "@1");
      RuntimePolicyStore.Stored v2 = store.put(name, policy('b'), T0.plusSeconds(1));
      assertThat(v2.version()).isEqualTo(2);
      assertThat(store.assigned(host).orElseThrow().ref()).isEqualTo(name + "@2");
      assertThat(store.assigned(host).orElseThrow().policy().digests().get("/usr/bin/bash"))
          .containsExactly("b".repeat(64));
      assertThat(store.list()).anySatisfy(s -> assertThat(s.ref()).isEqualTo(name + "@2"));
      assertThat(store.latest(name).orElseThrow().json()).contains("b".repeat(64));
      assertThat(store.unassign(host)).isTrue();
      assertThat(store.unassign(host)).isFalse();
      assertThat(store.assigned(host)).isEmpty();
    }
  }

  @ParameterizedTest
  @MethodSource("databases")
  void refusesAPolicyThatIsNotKeylimeJsonOrABadName(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      RuntimePolicyStore store = new RuntimePolicyStore(db);
      assertThatThrownBy(() -> store.put("p", "{\"digests\": 5}".getBytes(), T0))
          .isInstanceOf(RuntimePolicy.Invalid.class);
      assertThatThrownBy(() -> store.put("p", "not json".getBytes(), T0))
          .isInstanceOf(RuntimePolicy.Invalid.class);
      assertThatThrownBy(() -> store.put("../p", policy('a'), T0))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(store.latest("p")).isEmpty();
    }
  }

  private static ImaStateStore.HostImaState state(String host, long entries) {
    PcrValues pcr10 =
        PcrValues.builder()
            .put(HashAlg.SHA256, 10, HashAlg.SHA256.digest(new byte[] {1}))
            .put(HashAlg.SHA1, 10, HashAlg.SHA1.digest(new byte[] {2}))
            .build();
    return new ImaStateStore.HostImaState(
        host,
        new ImaProgress(7, 1, new ImaCheckpoint(entries, ImaReplayMode.PER_BANK, pcr10)),
        Optional.of("web@3"),
        BootAggregate.Result.VERIFIED,
        List.of(
            new RuntimeAppraiser.Finding(
                42,
                "/usr/bin/evil",
                "sha256:" + "ab".repeat(32),
                "sha256",
                RuntimeAppraiser.Rule.UNKNOWN_FILE,
                "path not in policy")),
        1,
        Optional.of("reboot"),
        T0,
        Optional.of("/usr/lib/systemd/systemd-cryptsetup"));
  }

  private static TrustReport report(String host) {
    return new TrustReport(
        UUID.randomUUID(),
        host,
        new HostFacts(host, "", "", "", "", "", "2.0"),
        Optional.empty(),
        HostStatus.VERIFIED,
        true,
        Map.of(),
        List.of(),
        "",
        T0,
        T0.plus(Duration.ofDays(1)));
  }

  @ParameterizedTest
  @MethodSource("databases")
  void stateIsWrittenWithItsReportOrNotAtAll(String kind) throws Exception {
    try (TestDatabases.Handle h = handle(kind);
        Database db = h.open()) {
      ImaStateStore states = new ImaStateStore(db);
      TrustReportStore reports = new TrustReportStore(db);
      String host = "h-" + UUID.randomUUID().toString().substring(0, 8);
      ImaStateStore.HostImaState s = state(host, 1000);
      TrustReport r = report(host);
      reports.add(
          r,
          "jws",
          c -> {
            ImaStateStore.put(c, s);
            return null;
          });
      assertThat(states.get(host)).hasValue(s);
      assertThat(reports.get(r.id())).isPresent();

      // a failure after the state was written rolls the report back too, and the old state stays
      TrustReport lost = report(host);
      assertThatThrownBy(
              () ->
                  reports.add(
                      lost,
                      "jws",
                      c -> {
                        ImaStateStore.put(c, state(host, 2000));
                        throw new SQLException("disk full");
                      }))
          .isInstanceOf(RuntimeException.class);
      assertThat(reports.get(lost.id())).isEmpty();
      assertThat(states.get(host).orElseThrow().progress().checkpoint().entries()).isEqualTo(1000);

      reports.add(
          report(host),
          "jws",
          c -> {
            ImaStateStore.delete(c, host);
            return null;
          });
      assertThat(states.get(host)).isEmpty();
      assertThat(states.delete(host)).isFalse();
    }
  }
}
