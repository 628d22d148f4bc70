package dev.vouch.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.OptionalDouble;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LoadResultTest {
  private static LoadResult sample(OptionalDouble serverCpu) {
    Histogram h = new Histogram(3);
    for (int i = 1; i <= 400; i++) {
      h.recordValue(i * 50_000L); // 0.05 .. 20 ms
    }
    LoadRunner.Measurement m =
        new LoadRunner.Measurement(400, Map.of("http-429", 3L, "no-answer", 1L), h, 2_000_000_000L);
    return LoadResult.of("kbs", new LoadModel.Open(202, 64), m, serverCpu, 0.8);
  }

  @Test
  void jsonCarriesTheRateLatenciesErrorsAndCpuPerOperation() throws Exception {
    JsonNode j = new ObjectMapper().readTree(sample(OptionalDouble.of(1.2)).toJson());
    assertThat(j.get("workload").asText()).isEqualTo("kbs");
    assertThat(j.at("/model/kind").asText()).isEqualTo("open");
    assertThat(j.at("/model/rate_per_second").asDouble()).isEqualTo(202);
    assertThat(j.at("/model/max_in_flight").asInt()).isEqualTo(64);
    assertThat(j.get("ok").asLong()).isEqualTo(400);
    assertThat(j.get("errors").asLong()).isEqualTo(4);
    assertThat(j.at("/errors_by_kind/http-429").asLong()).isEqualTo(3);
    assertThat(j.get("ok_per_second").asDouble()).isCloseTo(200, within(1e-9));
    assertThat(j.at("/latency/count").asLong()).isEqualTo(400);
    assertThat(j.at("/latency/p50_ms").asDouble()).isCloseTo(10, within(0.02));
    assertThat(j.at("/latency/p99_ms").asDouble()).isCloseTo(19.8, within(0.03));
    assertThat(j.at("/latency/max_ms").asDouble()).isCloseTo(20, within(0.03));
    assertThat(j.get("server_cpu_seconds").asDouble()).isEqualTo(1.2);
    assertThat(j.get("server_cpu_ms_per_op").asDouble()).isCloseTo(3.0, within(1e-9));
    assertThat(j.get("client_cpu_ms_per_op").asDouble()).isCloseTo(2.0, within(1e-9));
    assertThat(j.get("cores").asInt()).isPositive();
  }

  @Test
  void withoutTheServerPidTheServerCpuIsNullNotZero() throws Exception {
    JsonNode j = new ObjectMapper().readTree(sample(OptionalDouble.empty()).toJson());
    assertThat(j.get("server_cpu_seconds").isNull()).isTrue();
    assertThat(j.get("server_cpu_ms_per_op").isNull()).isTrue();
  }

  @Test
  void summaryIsOneLineWithTheFigures() {
    String line = sample(OptionalDouble.of(1.2)).summaryLine();
    assertThat(line).doesNotContain("\n");
    assertThat(line)
        .startsWith("kbs open 202/s 2.0 s: 200.0 ok/s (400 ok, 4 errors")
        .contains("http-429=3")
        .contains("p50 10.0")
        .contains("server 3.000 ms CPU/op")
        .contains("client 2.000 ms CPU/op");
  }

  @Test
  void aClosedLoopIsDescribedByItsConcurrency() throws Exception {
    LoadRunner.Measurement m = new LoadRunner.Measurement(0, Map.of(), new Histogram(3), 1);
    LoadResult r = LoadResult.of("attest", new LoadModel.Closed(8), m, OptionalDouble.of(0), 0);
    JsonNode j = new ObjectMapper().readTree(r.toJson());
    assertThat(j.at("/model/concurrency").asInt()).isEqualTo(8);
    assertThat(j.get("server_cpu_ms_per_op").isNull()).isTrue(); // nothing succeeded: no ratio
  }
}
