package dev.vouch.evidence.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.evidence.runtime.RuntimeAppraiser.Appraisal;
import dev.vouch.evidence.runtime.RuntimeAppraiser.Finding;
import dev.vouch.evidence.runtime.RuntimeAppraiser.Rule;
import dev.vouch.evidence.testing.ResearchData;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Runtime appraisal over the research IMA vectors, read in place from the shared folder. */
class RuntimeAppraiserTest {
  static Path ima() {
    return ResearchData.vectors("ima");
  }

  static ImaLog read(String name) throws Exception {
    return ImaLog.parse(Files.readAllBytes(ima().resolve(name)), ImaLog.HashCheck.RECORD);
  }

  static List<String> keys() throws Exception {
    return List.of(
        Files.readString(ima().resolve("keylime/ima_key_rsa2048pub.pem")),
        Files.readString(ima().resolve("keylime/ima_key_secp256k1_pub.pem")));
  }

  /** Every list of the research folder whose template hashes all match, and its binary form. */
  static Stream<String> goodLists() throws Exception {
    JsonNode expected = new ObjectMapper().readTree(ima().resolve("expected.json").toFile());
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : expected.properties()) {
      if (!e.getValue().path("template_hash_mismatch_lines").isEmpty()) {
        continue;
      }
      out.add(e.getKey());
      if (e.getValue().hasNonNull("derived_binary")) {
        out.add(e.getValue().get("derived_binary").asText());
      }
    }
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("goodLists")
  void everyListPassesAgainstAPolicyBuiltFromIt(String name) throws Exception {
    ImaLog log = read(name);
    Appraisal a = RuntimeAppraiser.appraise(log, RuntimePolicy.fromLog(log));
    assertThat(a.failures()).as(name).isEmpty();
    assertThat(a.entries()).isEqualTo(log.size());
  }

  @ParameterizedTest
  @MethodSource("goodLists")
  void aKeylimeExportOfThatPolicyGivesTheSameVerdict(String name) throws Exception {
    ImaLog log = read(name);
    RuntimePolicy p = RuntimePolicy.fromLog(log).withVerificationKeys(keys());
    RuntimePolicy back = RuntimePolicy.fromKeylimeJson(p.toKeylimeJson());
    assertThat(back).isEqualTo(p);
    assertThat(RuntimeAppraiser.appraise(log, back).passed()).isTrue();
  }

  /** The 1-based numbers of the entries measuring {@code path}, counted here. */
  static List<Integer> entriesOf(ImaLog log, String path) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < log.size(); i++) {
      if (log.entries().get(i).fileName().equals(path)) {
        out.add(i + 1);
      }
    }
    return out;
  }

  @Test
  void oneChangedDigestFailsNamingTheEntryAndTheFile() throws Exception {
    ImaLog log = read("rust-keylime/ascii_runtime_measurements");
    ImaEntry victim = log.entries().get(99);
    String path = victim.fileName();
    RuntimePolicy p = RuntimePolicy.fromLog(log).withDigests(path, Set.of("00".repeat(20)));
    Appraisal a = RuntimeAppraiser.appraise(log, p);
    assertThat(a.failures()).isNotEmpty();
    assertThat(a.failures())
        .allMatch(f -> f.rule() == Rule.DIGEST_MISMATCH && f.path().equals(path));
    assertThat(a.failures().stream().map(Finding::entry).toList()).isEqualTo(entriesOf(log, path));
    assertThat(a.failures().stream().map(Finding::entry)).contains(100);
    assertThat(a.failures().getFirst().digest())
        .startsWith(victim.fileDigest().get().algorithm() + ":");
  }

  @Test
  void anUnknownFileFailsNamingTheEntryAndTheFile() throws Exception {
    ImaLog log = read("keylime/ima-log-sha256");
    String path = log.entries().getLast().fileName();
    Appraisal a =
        RuntimeAppraiser.appraise(log, RuntimePolicy.fromLog(log).withDigests(path, Set.of()));
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.entry()).isEqualTo(log.size());
              assertThat(f.path()).isEqualTo(path);
              assertThat(f.rule()).isEqualTo(Rule.UNKNOWN_FILE);
            });
  }

  @Test
  void anExcludePatternPassesAnUnknownFile() throws Exception {
    ImaLog log = read("keylime/ima-log-sha256");
    String path = log.entries().getLast().fileName();
    RuntimePolicy base = RuntimePolicy.fromLog(log).withDigests(path, Set.of());
    RuntimePolicy p =
        new RuntimePolicy(
            base.digests(),
            List.of(java.util.regex.Pattern.quote(path)),
            base.keyrings(),
            base.imaBuf(),
            List.of(),
            Set.of(),
            base.logHashAlg());
    Appraisal a = RuntimeAppraiser.appraise(log, p);
    assertThat(a.passed()).isTrue();
    assertThat(a.excluded()).isEqualTo(1);
  }

  @Test
  void signedEntriesPassOnTheirSignaturesAlone() throws Exception {
    ImaLog log = read("keylime/ima_signatures.txt");
    RuntimePolicy p =
        new RuntimePolicy(
            Map.of(), List.of(), Map.of(), Map.of(), keys(), Set.of(), java.util.Optional.empty());
    Appraisal a = RuntimeAppraiser.appraise(log, p);
    assertThat(a.failures()).isEmpty();
    assertThat(a.signaturesVerified()).isEqualTo(2);
  }

  @Test
  void aSignatureWithoutItsKeyFailsAsABadSignature() throws Exception {
    ImaLog log = read("keylime/ima_signatures.txt");
    RuntimePolicy p = RuntimePolicy.fromLog(log).withVerificationKeys(List.of(keys().get(0)));
    Appraisal a = RuntimeAppraiser.appraise(log, p);
    assertThat(a.failures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.path()).isEqualTo("/usr/bin/zmore");
              assertThat(f.rule()).isEqualTo(Rule.BAD_SIGNATURE);
              assertThat(f.detail()).contains("KEY_MISMATCH");
            });
  }

  @Test
  void keylimesBadSignatureListFailsNamingEntryAndFile() throws Exception {
    // read in place from the shared research folder
    ImaLog bad = read("keylime/ima_bad_signatures.txt");
    RuntimePolicy p =
        RuntimePolicy.fromLog(read("keylime/ima_signatures.txt")).withVerificationKeys(keys());
    Appraisal a = RuntimeAppraiser.appraise(bad, p);
    assertThat(a.passed()).isFalse();
    assertThat(a.failures()).extracting(Finding::entry).containsOnly(1);
    assertThat(a.failures()).extracting(Finding::path).containsOnly("/usr/bin/zmore");
    assertThat(a.failures())
        .extracting(Finding::rule)
        .containsExactly(Rule.TEMPLATE_HASH_MISMATCH, Rule.BAD_SIGNATURE);
  }

  @Test
  void keylimesRuntimePolicyImportsAndAppraisesItsKeyring() throws Exception {
    byte[] json =
        Files.readAllBytes(
            ResearchData.root()
                .resolve("ca-data/keylime/keylime/test/data/runtime-policy-test.json"));
    RuntimePolicy p = RuntimePolicy.fromKeylimeJson(json);
    assertThat(p.digests()).hasSize(21);
    assertThat(p.digests().get("boot_aggregate"))
        .containsExactly("sha256:4309217e9709def327c3409407f4d52907aeba46ef1b4f46529fd095f2ef9fb2");
    assertThat(p.logHashAlg()).contains("sha1");
    // its .ima keyring digest is the key the keylime ima_keyrings.txt entry loads
    ImaLog keyring = read("keylime/ima_keyrings.txt");
    assertThat(RuntimeAppraiser.appraise(keyring, p).failures()).isEmpty();
    RuntimePolicy changed =
        new RuntimePolicy(
            p.digests(),
            p.excludes(),
            Map.of(".ima", Set.of("00".repeat(32))),
            p.imaBuf(),
            p.verificationKeys(),
            p.ignoredKeyrings(),
            p.logHashAlg());
    assertThat(RuntimeAppraiser.appraise(keyring, changed).failures())
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.entry()).isEqualTo(1);
              assertThat(f.path()).isEqualTo(".ima");
              assertThat(f.rule()).isEqualTo(Rule.DIGEST_MISMATCH);
            });
    RuntimePolicy ignoring =
        new RuntimePolicy(
            p.digests(),
            p.excludes(),
            Map.of(),
            p.imaBuf(),
            List.of(),
            Set.of(".ima"),
            p.logHashAlg());
    assertThat(RuntimeAppraiser.appraise(keyring, ignoring).passed()).isTrue();
    // and the same list against the export of that policy
    assertThat(
            RuntimeAppraiser.appraise(keyring, RuntimePolicy.fromKeylimeJson(p.toKeylimeJson()))
                .passed())
        .isTrue();
  }

  @Test
  void keylimesKeyringStringFormIsRead() throws Exception {
    // ImaKeyrings.to_string(): {"<name>": "<ImaKeyring.to_string(): pubkeys as base64 DER>"}
    StringBuilder b64 = new StringBuilder();
    for (String pem : keys()) {
      if (!b64.isEmpty()) {
        b64.append(',');
      }
      b64.append('"')
          .append(pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", ""))
          .append('"');
    }
    ObjectMapper m = new ObjectMapper();
    String ring = "{\"pubkeys\": [" + b64 + "], \"keyids\": []}";
    String rings = m.writeValueAsString(Map.of("ima", ring));
    String policy =
        "{\"meta\":{\"version\":1},\"digests\":{},\"verification-keys\":"
            + m.writeValueAsString(rings)
            + "}";
    RuntimePolicy p = RuntimePolicy.fromKeylimeJson(policy.getBytes(StandardCharsets.UTF_8));
    assertThat(p.verificationKeys()).hasSize(2);
    Appraisal a = RuntimeAppraiser.appraise(read("keylime/ima_signatures.txt"), p);
    assertThat(a.passed()).isTrue();
    assertThat(a.signaturesVerified()).isEqualTo(2);
  }

  static void assertInvalid(String json, String names) {
    assertThatThrownBy(() -> RuntimePolicy.fromKeylimeJson(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(RuntimePolicy.Invalid.class)
        .hasMessageContaining(names);
  }

  @Test
  void malformedPoliciesAreRefusedNamingTheKey() {
    assertInvalid("{\"meta\":{\"version\":1},\"digest\":{}}", "'digest'");
    assertInvalid("{\"meta\":{\"version\":2}}", "meta.version");
    assertInvalid("{\"meta\":{\"version\":1},\"digests\":{\"/a\":[\"xyz\"]}}", "digests./a");
    assertInvalid("{\"meta\":{\"version\":1},\"digests\":{\"/a\":\"ab\"}}", "digests./a");
    assertInvalid("{\"meta\":{\"version\":1},\"excludes\":[\"(\"]}", "excludes");
    assertInvalid("{\"meta\":{\"version\":1},\"verification-keys\":\"{\"}", "verification-keys");
    assertInvalid("[]", "object");
    assertInvalid("{\"meta\":{\"version\":1},\"meta\":{\"version\":1}}", "JSON");
  }
}
