package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every fact of every IMA sample's {@code expected.json} holds for both exports of the list. */
class ImaLogVectorTest {
  private static final Set<HashAlg> BANKS =
      EnumSet.of(HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384);

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.vouch.evidence.tpm.ima.ImaVectors#research")
  void researchSampleMatchesEveryExpectedFact(ImaVectors v) throws Exception {
    checkAll(v);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dev.vouch.evidence.tpm.ima.ImaVectors#resources")
  void copiedSampleMatchesEveryExpectedFact(ImaVectors v) throws Exception {
    checkAll(v);
  }

  private static void checkAll(ImaVectors v) throws Exception {
    JsonNode f = v.facts();
    ImaLog ascii = ImaLog.parseAscii(v.bytes(), ImaLog.HashCheck.RECORD);
    checkFacts(ascii, f);
    assertThat(ImaLog.parse(v.bytes(), ImaLog.HashCheck.RECORD).entries())
        .isEqualTo(ascii.entries());

    boolean mismatched = !ascii.templateHashMismatches().isEmpty();
    if (mismatched) {
      int firstLine = ascii.templateHashMismatches().getFirst();
      assertThatThrownBy(() -> ImaLog.parseAscii(v.bytes()))
          .isInstanceOfSatisfying(
              VerificationException.class,
              e -> {
                assertThat(e.failure()).isEqualTo(Failure.TEMPLATE_HASH_MISMATCH);
                assertThat(e.getMessage()).startsWith("line " + firstLine + ":");
              });
    } else {
      assertThat(ImaLog.parseAscii(v.bytes()).entries()).isEqualTo(ascii.entries());
    }

    if (f.hasNonNull("derived_binary")) {
      byte[] bin = ImaVectors.read(v.folder().resolve(f.get("derived_binary").asText()));
      // our encoding of the ASCII list is byte for byte the derived kernel export
      assertThat(ascii.toBinary()).isEqualTo(bin);
      ImaLog binary = ImaLog.parseBinary(bin, ImaLog.HashCheck.RECORD);
      checkFacts(binary, f);
      assertThat(binary.entries()).isEqualTo(ascii.entries());
      if (!mismatched) {
        ImaReplay.Result r = ImaReplay.replayBinary(bin, BANKS, ImaReplayMode.PER_BANK);
        assertThat(r.pcrs()).isEqualTo(ascii.replay(BANKS, ImaReplayMode.PER_BANK));
        assertThat(r.entries()).isEqualTo(f.get("entries").asInt());
        assertThat(r.violations()).isEqualTo(f.get("violations_all_zero").asInt());
        assertThat(ImaReplay.replayBinary(bin, BANKS, ImaReplayMode.OLD_KERNEL).pcrs())
            .isEqualTo(ascii.replay(BANKS, ImaReplayMode.OLD_KERNEL));
      }
    }

    if (f.has("buf_sha256")) {
      ImaEntry e = ascii.entries().getFirst();
      assertThat(Hex.encode(HashAlg.SHA256.digest(e.buffer())))
          .isEqualTo(f.get("buf_sha256").asText());
      assertThat(e.fileDigest().orElseThrow().value()).isEqualTo(HashAlg.SHA256.digest(e.buffer()));
    }
    if (f.has("boot_aggregate_check")) {
      ImaEntry first = ascii.entries().getFirst();
      assertThat(first.fileName()).isEqualTo("boot_aggregate");
      assertThat(Hex.encode(first.fileDigest().orElseThrow().value()))
          .isEqualTo(f.get("boot_aggregate_check").get("logged").asText());
    }
    if (f.has("verify_with")) {
      List<String> pems = new ArrayList<>();
      for (JsonNode k : f.get("verify_with")) {
        pems.add(Files.readString(v.file().resolveSibling(k.asText())));
      }
      ImaSignatureVerifier verifier = new ImaSignatureVerifier(ImaKeyring.fromPem(pems));
      for (ImaEntry e : ascii.entries()) {
        ImaSignature sig = verifier.verify(e);
        assertThat(f.get("what").asText()).contains(sig.keyIdHex());
      }
      assertThat(f.get("signatures_valid").asBoolean()).isTrue();
    }
  }

  private static void checkFacts(ImaLog log, JsonNode f) {
    assertThat(log.size()).isEqualTo(f.get("entries").asInt());
    assertThat(log.templateHashAlg().shortName()).isEqualTo(f.get("template_hash_alg").asText());
    assertThat(log.templateHashesVerified()).isEqualTo(f.get("template_hash_verified").asInt());
    assertThat(log.violations()).isEqualTo(f.get("violations_all_zero").asInt());
    List<Integer> lines = new ArrayList<>();
    f.get("template_hash_mismatch_lines").forEach(n -> lines.add(n.asInt()));
    assertThat(log.templateHashMismatches()).isEqualTo(lines);

    PcrValues replayed = log.replay(BANKS, ImaReplayMode.PER_BANK);
    for (Map.Entry<String, JsonNode> bank : f.get("expected_pcr_by_replay").properties()) {
      HashAlg alg = HashAlg.fromName(bank.getKey()).orElseThrow();
      for (Map.Entry<String, JsonNode> reg : bank.getValue().properties()) {
        int pcr = Integer.parseInt(reg.getKey());
        assertThat(replayed.get(alg, pcr).map(Hex::encode))
            .as("%s PCR %d", alg.shortName(), pcr)
            .contains(reg.getValue().asText());
        // the whole list is the longest prefix that replays to the final value
        assertThat(
                log.matchQuoted(
                    alg, pcr, Hex.decode(reg.getValue().asText()), ImaReplayMode.PER_BANK))
            .hasValue(log.size());
      }
    }
  }
}
