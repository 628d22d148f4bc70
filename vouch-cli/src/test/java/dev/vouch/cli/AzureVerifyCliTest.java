package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vouch verify --tee az-snp-vtpm|az-tdx-vtpm} over Trustee's Azure vectors, offline. */
class AzureVerifyCliTest {
  /** vouch-evidence's copies of Trustee's vectors (see their MANIFEST.md). */
  static final Path AZURE = Path.of("../vouch-evidence/src/test/resources/azure");

  /** The runtime data of the v1 vectors, "challenge". */
  static final String CHALLENGE = "6368616c6c656e6765";

  @TempDir Path dir;

  static CliRun snp(String evidence, String nonce) {
    return CliRun.of(
        "verify",
        "--tee",
        "az-snp-vtpm",
        "--evidence",
        evidence,
        "--nonce",
        nonce,
        "--at",
        "2025-07-01T00:00:00Z",
        "--no-revocation",
        "--json");
  }

  @Test
  void trusteesAzSnpVtpmEvidenceVerifiesOfflineWithItsNonce() {
    CliRun r = snp(AZURE.resolve("az-snp-vtpm/evidence-v1.json").toString(), CHALLENGE);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.json().path("valid").asBoolean()).isTrue();
    assertThat(r.json().path("tee").asText()).isEqualTo("az-snp-vtpm");
    assertThat(r.json().path("claims").path("tpm.pcr.sha256.0").asText())
        .isEqualTo("e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced");
    assertThat(r.json().path("claims").path("snp.revocation_checked").asBoolean(true)).isFalse();
  }

  @Test
  void aWrongNonceFailsWithExitOneAndItsCode() {
    CliRun r = snp(AZURE.resolve("az-snp-vtpm/evidence-v1.json").toString(), "00" + CHALLENGE);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().path("valid").asBoolean(true)).isFalse();
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("NONCE_MISMATCH");
  }

  @Test
  void truncatedEvidenceFailsMalformed() throws Exception {
    byte[] all = Files.readAllBytes(AZURE.resolve("az-snp-vtpm/evidence-v1.json"));
    Path cut = Files.write(dir.resolve("cut.json"), java.util.Arrays.copyOf(all, all.length / 3));
    CliRun r = snp(cut.toString(), CHALLENGE);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("MALFORMED");
  }

  @Test
  void azTdxVtpmNeedsIntelCollateralAndSaysSo() {
    CliRun r =
        CliRun.of(
            "verify",
            "--tee",
            "az-tdx-vtpm",
            "--evidence",
            AZURE.resolve("az-tdx-vtpm/evidence-v1.json").toString(),
            "--nonce",
            CHALLENGE,
            "--at",
            "2025-07-01T00:00:00Z",
            "--json");
    // no public TCB info for this platform (FMSPC 00806f050000) is among the vectors
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("COLLATERAL_MISSING");
  }

  @Test
  void anUnknownKindIsBadInputNamingTheAzureKinds() {
    CliRun r = CliRun.of("verify", "--tee", "az-sev", "--evidence", "x.json");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("az-snp-vtpm").contains("az-tdx-vtpm");
  }
}
