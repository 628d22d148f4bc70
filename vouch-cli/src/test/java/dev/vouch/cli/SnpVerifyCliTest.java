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
 * {@code vouch verify --tee snp} over a real Trustee report with its VCEK in a collateral folder.
 */
class SnpVerifyCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private Path copy(String name, Path to) throws IOException {
    try (InputStream in = getClass().getResourceAsStream("/vectors/sev-snp/" + name)) {
      Path p = to.resolve(name);
      Files.write(p, in.readAllBytes());
      return p;
    }
  }

  private record Run(int exit, JsonNode out) {}

  private static Run run(String... args) throws IOException {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      exit = Main.run(args);
    } finally {
      System.setOut(old);
    }
    return new Run(exit, JSON.readTree(buf.toString(StandardCharsets.UTF_8)));
  }

  @Test
  void aReportWithItsVcekInTheCollateralFolderVerifies() throws Exception {
    Path evidence = copy("test-report.bin", dir);
    Path collateral = Files.createDirectory(dir.resolve("collateral"));
    copy("test-vcek.der", collateral);
    Run r =
        run(
            "verify",
            "--tee",
            "snp",
            "--evidence",
            evidence.toString(),
            "--collateral",
            collateral.toString(),
            "--at",
            "2025-07-01T00:00:00Z",
            "--no-revocation",
            "--json");
    assertThat(r.exit()).isZero();
    assertThat(r.out().path("claims").path("snp.revocation_checked").asBoolean(true)).isFalse();
    assertThat(r.out().path("valid").asBoolean()).isTrue();
    assertThat(r.out().path("tee").asText()).isEqualTo("snp");
    assertThat(r.out().path("claims").path("snp.measurement").asText())
        .isEqualTo(
            "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c");
    assertThat(r.out().path("claims").path("snp.product").asText()).isEqualTo("milan");
  }

  @Test
  void withoutTheArkCrlInTheFolderTheReportIsRefusedUnlessRevocationIsTurnedOff() throws Exception {
    // the vectors ship no AMD CRL: the default asks for it rather than skipping the check
    Path evidence = copy("test-report.bin", dir);
    Path collateral = Files.createDirectory(dir.resolve("collateral"));
    copy("test-vcek.der", collateral);
    Run r =
        run(
            "verify",
            "--tee",
            "snp",
            "--evidence",
            evidence.toString(),
            "--collateral",
            collateral.toString(),
            "--at",
            "2025-07-01T00:00:00Z",
            "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out().path("errors").get(0).path("code").asText()).isEqualTo("COLLATERAL_MISSING");
  }

  @Test
  void aWrongVcekFailsWithExitOneAndTheChainCode() throws Exception {
    Path evidence = copy("test-report.bin", dir);
    Path collateral = Files.createDirectory(dir.resolve("collateral"));
    copy("test-vcek-invalid-new.der", collateral);
    Run r =
        run(
            "verify",
            "--tee",
            "snp",
            "--evidence",
            evidence.toString(),
            "--collateral",
            collateral.toString(),
            "--at",
            "2025-07-01T00:00:00Z",
            "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out().path("valid").asBoolean()).isFalse();
    assertThat(r.out().path("errors").get(0).path("code").asText()).isEqualTo("CHAIN_UNTRUSTED");
  }
}
