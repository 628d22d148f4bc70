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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vouch verify --tee cca} end to end over the Trustee example token. */
class CcaVerifyCliTest {
  private static final String CHALLENGE =
      "57e979ae2618de0c1ab73144c440d741cf9236dc9d52ed190053382a4d190252"
          + "f9f0370403c35dcb155fb4362d73c66d5b0494bf939315d3dc52b8cdc8b85a96";

  @TempDir Path dir;
  private Path token;
  private Path collateral;

  @BeforeEach
  void files() throws IOException {
    token = dir.resolve("token.cbor");
    Files.write(token, resource("cca-example-token.cbor"));
    collateral = Files.createDirectory(dir.resolve("collateral"));
    // any file name: the key is recognised by content
    Files.write(collateral.resolve("iak"), resource("cpak-pub.json"));
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = CcaVerifyCliTest.class.getResourceAsStream("/vectors/cca/" + name)) {
      return in.readAllBytes();
    }
  }

  private record Result(int exit, JsonNode json) {}

  private static Result run(String... args) throws IOException {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int exit;
    try {
      System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
      exit = Main.run(args);
    } finally {
      System.setOut(old);
    }
    return new Result(exit, new ObjectMapper().readTree(buf.toByteArray()));
  }

  @Test
  void verifiesTheTokenWithTheCollateralKeyAndPrintsItsClaims() throws Exception {
    Result r =
        run(
            "verify",
            "--tee",
            "cca",
            "--evidence",
            token.toString(),
            "--collateral",
            collateral.toString(),
            "--nonce",
            CHALLENGE,
            "--at",
            "2026-01-31T12:00:00Z",
            "--json");
    assertThat(r.exit()).isZero();
    assertThat(r.json().path("valid").asBoolean()).isTrue();
    assertThat(r.json().path("tee").asText()).isEqualTo("cca");
    assertThat(r.json().path("claims").path("cca.realm.challenge").asText()).isEqualTo(CHALLENGE);
    assertThat(r.json().path("claims").path("cca.platform.sw.8.type").asText()).isEqualTo("RMM");
  }

  @Test
  void failsWithAStableCodeWithoutAPlatformKey() throws Exception {
    Result r = run("verify", "--tee", "cca", "--evidence", token.toString(), "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().path("valid").asBoolean()).isFalse();
    assertThat(r.json().path("errors").get(0).path("code").asText())
        .isEqualTo("COLLATERAL_MISSING");
  }

  @Test
  void failsWithReportDataMismatchForAnotherNonce() throws Exception {
    Result r =
        run(
            "verify",
            "--tee",
            "cca",
            "--evidence",
            token.toString(),
            "--collateral",
            collateral.toString(),
            "--nonce",
            "00",
            "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().path("errors").get(0).path("code").asText())
        .isEqualTo("REPORT_DATA_MISMATCH");
  }
}
