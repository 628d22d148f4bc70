package dev.vouch.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BenchMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return BenchMain.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
  }

  @Test
  void rateAndConcurrencyTogetherAreBadUsage() {
    assertThat(run("attest", "--url", "http://127.0.0.1:1", "--rate", "5", "--concurrency", "2"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("mutually exclusive");
  }

  @Test
  void aMissingUrlOrWorkloadIsBadUsage() {
    assertThat(run("attest")).isEqualTo(2);
    assertThat(run()).isEqualTo(2);
    assertThat(run("nosuch", "--url", "http://127.0.0.1:1")).isEqualTo(2);
  }

  @Test
  void aNonPositiveRateOrDurationIsBadUsage() {
    assertThat(run("attest", "--url", "http://127.0.0.1:1", "--rate", "0")).isEqualTo(2);
    assertThat(run("attest", "--url", "http://127.0.0.1:1", "--duration", "0")).isEqualTo(2);
    assertThat(run("kbs", "--url", "http://127.0.0.1:1")).isEqualTo(2); // no --kbs-admin-key
  }
}
