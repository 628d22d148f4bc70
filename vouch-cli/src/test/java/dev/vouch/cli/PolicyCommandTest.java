package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.policy.DefaultPolicies;
import dev.vouch.policy.trustee.TrusteePolicies;
import dev.vouch.server.MeasuredTpmBundle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyCommandTest {
  private static final String SWTPM = "swtpm/rsa-ak/";
  private static final String ZERO = "00".repeat(32);

  @TempDir Path dir;
  Path policy;
  Path verified;
  String spki;
  String akPublic;

  /** Real evidence: the swtpm quote verified by `vouch verify --json`, saved as a whole. */
  @BeforeEach
  void verifyRealQuote() throws Exception {
    String nonce = Files.readString(CliRun.VECTORS.resolve(SWTPM + "plain-nonce.hex")).strip();
    CliRun v =
        CliRun.of(
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
            "--json");
    assertThat(v.exit()).as(v.err()).isZero();
    verified = Files.writeString(dir.resolve("verify.json"), v.out());
    spki = v.json().at("/claims/tpm.ak.spki_sha256").asText();
    akPublic = v.json().at("/claims/tpm.ak.public").asText();
    policy = Files.writeString(dir.resolve("default-tpm.yaml"), DefaultPolicies.source("tpm"));
  }

  private Path reference(String pcr7) throws Exception {
    return Files.writeString(
        dir.resolve("reference.json"),
        """
        {"tpm.trusted_aks": ["%s"],
         "tpm.pcr.sha256.0": ["%s"], "tpm.pcr.sha256.2": ["%s"],
         "tpm.pcr.sha256.4": ["%s"], "tpm.pcr.sha256.7": ["%s"]}
        """
            .formatted(spki, ZERO, ZERO, ZERO, pcr7));
  }

  @Test
  void aRealMeasuredBootWithKnownReferenceValuesIsAffirming() throws Exception {
    // a live swtpm with a real Secure Boot log and IMA list measured in, verified by the CLI
    byte[] nonce = new byte[32];
    new java.security.SecureRandom().nextBytes(nonce);
    MeasuredTpmBundle m = MeasuredTpmBundle.make(dir, nonce);
    Path bundle = Files.write(dir.resolve("bundle.json"), m.bundle());
    CliRun v =
        CliRun.of(
            "verify",
            "--tee",
            "tpm",
            "--evidence",
            bundle.toString(),
            "--nonce",
            dev.vouch.core.bytes.Hex.encode(nonce),
            "--json");
    assertThat(v.exit()).as(v.err()).isZero();
    Path claims = Files.writeString(dir.resolve("measured.json"), v.out());
    Path refs =
        Files.writeString(
            dir.resolve("measured-reference.json"),
            new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(m.references()));
    CliRun r =
        CliRun.of(
            "policy",
            "test",
            "--policy",
            policy.toString(),
            "--claims",
            claims.toString(),
            "--reference",
            refs.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("PASS  boot_pcr_7")
        .contains("claim tpm.pcr.sha256.7: expected one of reference tpm.pcr.sha256.7")
        .contains("PASS  secure_boot_on")
        .contains("PASS  ima_no_violations")
        .contains("ear.status: affirming");
  }

  @Test
  void aRealQuoteWithoutAnEventLogFailsSecureBootBecauseTheClaimIsAbsent() throws Exception {
    CliRun r =
        CliRun.of(
            "policy",
            "test",
            "--policy",
            policy.toString(),
            "--claims",
            verified.toString(),
            "--reference",
            reference(ZERO).toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .contains("PASS  boot_pcr_7")
        .contains("FAIL  secure_boot_on")
        .contains("claim tpm.secure_boot is absent")
        .contains("ear.status: contraindicated");
  }

  @Test
  void anUnknownPcrIsExplainedByClaimExpectedAndActualAndExitsOne() throws Exception {
    String other = "ab".repeat(32);
    CliRun r =
        CliRun.of(
            "policy",
            "test",
            "--policy",
            policy.toString(),
            "--claims",
            verified.toString(),
            "--reference",
            reference(other).toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .contains(
            "FAIL  boot_pcr_7               configuration      claim tpm.pcr.sha256.7: expected"
                + " one of reference tpm.pcr.sha256.7 = [\""
                + other
                + "\"], actual \""
                + ZERO
                + "\"")
        .contains("configuration=96")
        .contains("ear.status: contraindicated");
  }

  @Test
  void jsonOutputCarriesMachineReadableFindings() throws Exception {
    Path claimsOnly = Files.writeString(dir.resolve("claims.json"), "{\"tpm.clock_safe\": true}");
    CliRun r =
        CliRun.of(
            "policy",
            "test",
            "--policy",
            policy.toString(),
            "--claims",
            claimsOnly.toString(),
            "--json");
    assertThat(r.exit()).isEqualTo(1);
    JsonNode doc = r.json();
    assertThat(doc.at("/status").asText()).isEqualTo("contraindicated");
    assertThat(doc.at("/trust_vector/executables").asInt()).isEqualTo(96);
    assertThat(doc.at("/trust_vector/hardware").asInt()).isEqualTo(2);
    JsonNode pcr0 = doc.at("/rules/1");
    assertThat(pcr0.at("/rule").asText()).isEqualTo("boot_pcr_0");
    assertThat(pcr0.at("/outcome").asText()).isEqualTo("failed");
    assertThat(pcr0.at("/explanation").asText())
        .isEqualTo("claim tpm.pcr.sha256.0 is absent; reference value tpm.pcr.sha256.0 is absent");
    assertThat(pcr0.at("/findings/0/kind").asText()).isEqualTo("presence");
  }

  @Test
  void aPolicyThatDoesNotCompileIsBadInputWithItsPosition() throws Exception {
    Path bad =
        Files.writeString(
            dir.resolve("bad.yaml"),
            "rules:\n  - name: r\n    category: hardware\n    expr: claims[\"a\"] = 1\n");
    CliRun r =
        CliRun.of("policy", "test", "--policy", bad.toString(), "--claims", verified.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("rule r").contains("expression line 1 column").contains("line 4");
  }

  @Test
  void unreadableOrMalformedInputsAreBadInput() throws Exception {
    Path notJson = Files.writeString(dir.resolve("x.json"), "[1,2]");
    assertThat(
            CliRun.of("policy", "test", "--policy", policy.toString(), "--claims", "/nope").exit())
        .isEqualTo(2);
    assertThat(
            CliRun.of(
                    "policy", "test", "--policy", policy.toString(), "--claims", notJson.toString())
                .exit())
        .isEqualTo(2);
    assertThat(
            CliRun.of(
                    "policy",
                    "test",
                    "--policy",
                    policy.toString(),
                    "--claims",
                    verified.toString(),
                    "--reference",
                    notJson.toString())
                .exit())
        .isEqualTo(2);
    assertThat(CliRun.of("policy", "test", "--claims", verified.toString()).exit()).isEqualTo(2);
  }

  /** {@code vouch policy test} with the shipped translation of Trustee's default policy. */
  private CliRun trusteeDryRun(Path claims, Path rv, String... more) throws Exception {
    Path trustee =
        Files.writeString(
            dir.resolve("trustee-default-cpu.yaml"), TrusteePolicies.earDefaultCpuSource());
    List<String> args =
        new ArrayList<>(
            List.of(
                "policy",
                "test",
                "--policy",
                trustee.toString(),
                "--claims",
                claims.toString(),
                "--reference",
                rv.toString()));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void aTrustClaimPolicyOverTrusteesInputGivesTrusteesValuesAndTheCaseThatSetEach()
      throws Exception {
    Path input =
        Files.writeString(
            dir.resolve("sample-input.json"),
            """
            {"sample": {"svn": "1", "launch_digest": "abcde",
                        "platform_version": {"major": 1, "minor": 4}, "debug": false}}
            """);
    Path rv =
        Files.writeString(
            dir.resolve("sample-rv.json"),
            """
            {"svn": ["1"], "launch_digest": ["abcde"], "major_version": 1,
             "minimum_minor_version": 1}
            """);
    CliRun r = trusteeDryRun(input, rv, "--json");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode doc = r.json();
    assertThat(doc.at("/status").asText()).isEqualTo("affirming");
    assertThat(doc.at("/trust_vector/executables").asInt()).isEqualTo(3);
    assertThat(doc.at("/trust_vector/hardware").asInt()).isEqualTo(2);
    assertThat(doc.at("/trust_vector/configuration").asInt()).isEqualTo(2);
    assertThat(doc.at("/cases/hardware").asText()).isEqualTo("sample_hardware");
    assertThat(doc.at("/errors").size()).isZero();
  }

  @Test
  void aTrustClaimPolicyOverAVerifiedQuoteSeesTrusteesTpmTree() throws Exception {
    // the recorded quote has no PCR 11: Trustee's executables stay 33, a warning, exit 1
    String ak = akPublic;
    assertThat(ak).isNotEmpty();
    Path rv =
        Files.writeString(
            dir.resolve("tpm-rv.json"),
            "{\"trusted_aks\": [\"" + ak + "\"], \"tpm_pcr11\": [\"" + ZERO + "\"]}");
    CliRun r = trusteeDryRun(verified, rv);
    assertThat(r.exit()).as(r.err()).isEqualTo(1);
    assertThat(r.out())
        .contains("policy trustee-default-cpu")
        .containsPattern("hardware\\s+2\\s+tpm_hardware")
        .containsPattern("executables\\s+33\\s+default")
        .contains("ERROR tpm_executables")
        .contains("ear.status: warning");
  }

  @Test
  void aTrustClaimPolicyThatDoesNotCompileIsBadInput() throws Exception {
    Path bad =
        Files.writeString(dir.resolve("bad.yaml"), "trust_claims: {hardware: {default: 300}}\n");
    CliRun r =
        CliRun.of("policy", "test", "--policy", bad.toString(), "--claims", verified.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("-128..127");
  }
}
