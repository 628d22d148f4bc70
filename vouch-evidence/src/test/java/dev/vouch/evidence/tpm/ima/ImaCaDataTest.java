package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.testing.ResearchData;
import java.nio.file.Files;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The IMA lists of the continuous-attestation data set ({@code ca-data/MANIFEST.md}). */
class ImaCaDataTest {
  @Test
  void trustedComputeMockListParsesWithItsTwoViolations() throws Exception {
    ImaLog log =
        ImaLog.parseAscii(ImaResources.bytes("open-edge-platform/ascii_runtime_measurements"));
    assertThat(log.size()).isEqualTo(101);
    assertThat(log.violations()).isEqualTo(2);
    assertThat(log.templateHashesVerified()).isEqualTo(99);
    assertThat(log.entries().get(71).violation()).isTrue();
    ImaEntry odd = log.entries().get(72);
    // line 73: a violation whose digest field says sha512 but holds 20 bytes, as the kernel writes
    assertThat(odd.violation()).isTrue();
    assertThat(odd.fileDigest().orElseThrow().algorithm()).isEqualTo("sha512");
    assertThat(odd.fileDigest().orElseThrow().sizeMatchesAlgorithm()).isFalse();
    assertThat(log.entries()).allMatch(e -> e.templateName().equals("ima-sig"));
    assertThat(ImaLog.parseBinary(log.toBinary()).entries()).isEqualTo(log.entries());
  }

  @Test
  void caDataCopiesMatchTheResearchFolder() throws Exception {
    var root = ResearchData.root().resolve("ca-data");
    assertThat(
            Files.readAllBytes(
                root.resolve(
                    "open-edge-platform/trusted-compute/attestation-verifier/src/pkg/tagent/test/mockImaDir/ascii_runtime_measurements")))
        .isEqualTo(ImaResources.bytes("open-edge-platform/ascii_runtime_measurements"));
    byte[] rust =
        Files.readAllBytes(
            root.resolve(
                "keylime/rust-keylime/keylime-agent/test-data/ima/ascii_runtime_measurements"));
    // the manifest's SHA-1 PCR 10 for this list
    assertThat(
            ImaLog.parse(rust)
                .replay(Set.of(HashAlg.SHA1), ImaReplayMode.PER_BANK)
                .get(HashAlg.SHA1, 10)
                .map(Hex::encode))
        .contains("82231c67a69da98dc5b3aa10f6343d33109225fc");
  }
}
