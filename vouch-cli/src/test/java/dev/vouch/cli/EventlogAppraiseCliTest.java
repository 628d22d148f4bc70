package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** {@code vouch eventlog runtime-policy} and {@code vouch eventlog appraise}. */
class EventlogAppraiseCliTest {
  static Path policyOf(String list, String... keys) throws Exception {
    String[] args = new String[3 + 2 * keys.length];
    args[0] = "eventlog";
    args[1] = "runtime-policy";
    args[2] = CliRun.vector(list);
    for (int i = 0; i < keys.length; i++) {
      args[3 + 2 * i] = "--key";
      args[4 + 2 * i] = CliRun.vector(keys[i]);
    }
    CliRun r = CliRun.of(args);
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    Path p = Files.createTempFile("policy", ".json");
    Files.writeString(p, r.out());
    return p;
  }

  @Test
  void aListPassesAgainstThePolicyGeneratedFromIt() throws Exception {
    Path p = policyOf("ima/rust-keylime/ascii_runtime_measurements");
    CliRun r =
        CliRun.of(
            "eventlog",
            "appraise",
            CliRun.vector("ima/rust-keylime/ascii_runtime_measurements"),
            "--runtime-policy",
            p.toString(),
            "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    assertThat(r.json().at("/passed").asBoolean()).isTrue();
    assertThat(r.json().at("/entries").asInt()).isEqualTo(826);
  }

  @Test
  void keylimesBadSignatureFailsWithExitOneNamingEntryFileAndRule() throws Exception {
    Path p =
        policyOf(
            "ima/keylime/ima_signatures.txt",
            "ima/keylime/ima_key_rsa2048pub.pem",
            "ima/keylime/ima_key_secp256k1_pub.pem");
    CliRun r =
        CliRun.of(
            "eventlog",
            "appraise",
            CliRun.vector("ima/keylime/ima_bad_signatures.txt"),
            "--runtime-policy",
            p.toString(),
            "--json");
    assertThat(r.exit()).isEqualTo(1);
    JsonNode f = r.json().at("/failures");
    assertThat(r.json().at("/passed").asBoolean()).isFalse();
    assertThat(f.get(0).get("entry").asInt()).isEqualTo(1);
    assertThat(f.get(0).get("path").asText()).isEqualTo("/usr/bin/zmore");
    assertThat(f.get(0).get("rule").asText()).isEqualTo("TEMPLATE_HASH_MISMATCH");
    assertThat(f.get(1).get("rule").asText()).isEqualTo("BAD_SIGNATURE");
    assertThat(f.get(1).get("algorithm").asText()).isEqualTo("sha256");
  }

  @Test
  void aPolicyWithAnUnknownKeyExitsTwo() throws Exception {
    Path p = Files.createTempFile("policy", ".json");
    Files.writeString(p, "{\"meta\":{\"version\":1},\"allow\":{}}");
    CliRun r =
        CliRun.of(
            "eventlog",
            "appraise",
            CliRun.vector("ima/keylime/ima_signatures.txt"),
            "--runtime-policy",
            p.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("'allow'");
  }
}
