package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class VerifyCommandTest {
  private static final String SWTPM = "swtpm/rsa-ak/";

  private static String[] tpm2Tools(String nonce) {
    return new String[] {
      "verify",
      "--tee",
      "tpm",
      "--quote",
      CliRun.vector(SWTPM + "plain-quote.msg"),
      "--signature",
      CliRun.vector(SWTPM + "plain-quote.sig"),
      "--ak",
      CliRun.vector(SWTPM + "ak.pem"),
      "--pcrs",
      CliRun.vector(SWTPM + "plain-pcrs.values"),
      "--nonce",
      nonce,
      "--json"
    };
  }

  private static String nonce() throws Exception {
    return Files.readString(CliRun.VECTORS.resolve(SWTPM + "plain-nonce.hex")).strip();
  }

  @Test
  void acceptsTpm2ToolsOutputsAsTheyAre() throws Exception {
    CliRun r = CliRun.of(tpm2Tools(nonce()));
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    assertThat(r.json().at("/valid").asBoolean()).isTrue();
    assertThat(r.json().at("/tee").asText()).isEqualTo("tpm");
    assertThat(r.json().at("/claims/tpm.pcr.sha256.10").asText())
        .isEqualTo("66aac22ab9b490519f1dd074f679e3b486243f6408fa00d264e62aa30568a73d");
    assertThat(r.json().at("/errors").size()).isZero();
  }

  @Test
  void reportsAWrongNonceWithExitOneAndNonceMismatch() {
    CliRun r = CliRun.of(tpm2Tools("00112233"));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/valid").asBoolean()).isFalse();
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("NONCE_MISMATCH");
  }

  @Test
  void reportsAFlippedQuoteBitAsSignatureInvalid() throws Exception {
    Path q = Files.createTempFile("quote", ".msg");
    byte[] b = Files.readAllBytes(CliRun.VECTORS.resolve(SWTPM + "plain-quote.msg"));
    b[78] ^= 0x04; // inside clockInfo.clock, after magic, type, signer name and nonce
    Files.write(q, b);
    String[] args = tpm2Tools(nonce());
    args[4] = q.toString();
    CliRun r = CliRun.of(args);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("SIGNATURE_INVALID");
  }

  @Test
  void verifiesTheDemoBundleWithItsAkCertificateRoot() throws Exception {
    Path roots = Files.createTempDirectory("roots");
    Files.copy(
        CliRun.VECTORS.resolve("tpm-quote/go-tpm-tools/gce-ca/tpm_ek_root_1.cer"),
        roots.resolve("any-name"));
    Path bundle = Files.createTempFile("bundle", ".json");
    try (var in = getClass().getResourceAsStream("/dev/vouch/cli/demo/gce-cos-85-bundle.json")) {
      Files.write(bundle, in.readAllBytes());
    }
    CliRun r =
        CliRun.of(
            "verify",
            "--tee",
            "tpm",
            "--evidence",
            bundle.toString(),
            "--collateral",
            roots.toString(),
            "--no-revocation",
            "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    assertThat(r.json().at("/claims/tpm.ak.certified").asBoolean()).isTrue();
    assertThat(r.json().at("/claims/tpm.ak.revocation_checked").asBoolean(true)).isFalse();
    // without the flag, the missing Google CRLs are a failure, not a silent skip
    CliRun strict =
        CliRun.of(
            "verify",
            "--tee",
            "tpm",
            "--evidence",
            bundle.toString(),
            "--collateral",
            roots.toString(),
            "--json");
    assertThat(strict.exit()).isEqualTo(1);
    assertThat(strict.json().at("/errors/0/code").asText()).isEqualTo("COLLATERAL_MISSING");
    assertThat(r.json().at("/claims/tpm.secure_boot").asBoolean()).isTrue();
    assertThat(r.json().at("/claims/tpm.eventlog.pcrs").size()).isEqualTo(10);
  }

  @Test
  void badInputExitsTwoAndSaysWhy() {
    assertThat(CliRun.of("verify", "--tee", "tpm", "--evidence", "/nope").exit()).isEqualTo(2);
    assertThat(CliRun.of("verify", "--tee", "zzz", "--evidence", "/nope").exit()).isEqualTo(2);
    CliRun odd = CliRun.of(tpm2Tools("abc"));
    assertThat(odd.exit()).isEqualTo(2);
    assertThat(odd.err()).contains("--nonce");
    assertThat(CliRun.of("verify", "--tee", "tpm").exit()).isEqualTo(2);
    assertThat(CliRun.of("verify", "--tee", "tpm", "--evidence", "x", "--at", "yesterday").exit())
        .isEqualTo(2);
  }

  @Test
  void malformedEvidenceIsAVerificationFailureWithACode() throws Exception {
    Path f = Files.createTempFile("evidence", ".json");
    Files.writeString(f, "{\"version\":1,\"quotes\":[]}");
    CliRun r = CliRun.of("verify", "--tee", "tpm", "--evidence", f.toString(), "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("MALFORMED");
  }
}
