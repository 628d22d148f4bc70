package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch verify --tee tdx|sgx} and {@code vouch eventlog replay --format ccel} end to end.
 */
class TdxVerifyCliTest {
  @TempDir Path dir;

  private static byte[] vector(String name) throws IOException {
    try (InputStream in = TdxVerifyCliTest.class.getResourceAsStream("/vectors/tdx/" + name)) {
      return in.readAllBytes();
    }
  }

  private record Run(int exit, JsonNode json) {}

  private static synchronized Run run(String... args) throws IOException {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      exit = Main.run(args);
    } finally {
      System.setOut(old);
    }
    return new Run(exit, new ObjectMapper().readTree(buf.toString(StandardCharsets.UTF_8)));
  }

  private Path file(String name, String vector) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.write(p, vector(vector));
    return p;
  }

  @Test
  void verifiesATdxQuoteWithACollateralFolderAtTheRecordedTime() throws Exception {
    Path quote = file("quote.bin", "tdx_quote");
    file("collateral/anything.json", "tdx_quote_collateral.json");
    Run r =
        run(
            "verify",
            "--tee",
            "tdx",
            "--evidence",
            quote.toString(),
            "--collateral",
            dir.resolve("collateral").toString(),
            "--at",
            "2025-07-19T10:00:34Z",
            "--json");
    assertThat(r.exit()).isZero();
    assertThat(r.json().get("valid").asBoolean()).isTrue();
    assertThat(r.json().get("claims").get("tdx.tcb_status").asText()).isEqualTo("UpToDate");
    assertThat(r.json().get("claims").get("tdx.advisory_ids")).isEmpty();
    assertThat(r.json().get("tcb_status").asText()).isEqualTo("UpToDate");
    assertThat(r.json().get("advisory_ids")).isEmpty();
  }

  @Test
  void reportsExpiredCollateralWithItsCode() throws Exception {
    Path quote = file("quote.bin", "tdx_quote");
    file("collateral/c.json", "tdx_quote_collateral.json");
    Run r =
        run(
            "verify",
            "--tee",
            "tdx",
            "--evidence",
            quote.toString(),
            "--collateral",
            dir.resolve("collateral").toString(),
            "--at",
            "2025-08-01T00:00:00Z",
            "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().get("valid").asBoolean()).isFalse();
    assertThat(r.json().get("errors").get(0).get("code").asText()).isEqualTo("COLLATERAL_EXPIRED");
  }

  @Test
  void verifiesAnSgxQuoteWithItsAdvisories() throws Exception {
    Path quote = file("sgx.bin", "sgx_quote");
    file("sgxcol/c.json", "sgx_quote_collateral.json");
    Run r =
        run(
            "verify",
            "--tee",
            "sgx",
            "--evidence",
            quote.toString(),
            "--collateral",
            dir.resolve("sgxcol").toString(),
            "--at",
            "2025-07-19T10:01:17Z",
            "--json");
    assertThat(r.exit()).isZero();
    JsonNode c = r.json().get("claims");
    assertThat(c.get("sgx.tcb_status").asText()).isEqualTo("ConfigurationAndSWHardeningNeeded");
    assertThat(c.get("sgx.advisory_ids").toString())
        .isEqualTo("[\"INTEL-SA-00289\",\"INTEL-SA-00615\"]");
    assertThat(r.json().get("tcb_status").asText()).isEqualTo("ConfigurationAndSWHardeningNeeded");
    assertThat(r.json().get("advisory_ids").toString())
        .isEqualTo("[\"INTEL-SA-00289\",\"INTEL-SA-00615\"]");
  }

  @Test
  void replaysACcelLogToRtmrs() throws Exception {
    Path log = file("ccel.bin", "CCEL_data_ovmf");
    Run r = run("eventlog", "replay", log.toString(), "--format", "ccel", "--json");
    assertThat(r.exit()).isZero();
    JsonNode bank = r.json().get("banks").get("sha384");
    assertThat(bank.get("rtmr0").asText())
        .isEqualTo(
            "8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5aba3bb484404f2ab9cc90abe193");
    assertThat(bank.get("rtmr3").asText()).isEqualTo("0".repeat(96));
    assertThat(r.json().get("events").asInt()).isEqualTo(21);
  }
}
