package dev.vouch.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.evidence.testing.ResearchData;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The built-in AMD anchors are AMD's, and the real Turin VCEK chains to them. */
class AmdRootsTest {

  private static AmdCertificate firstOf(byte[] pem, String cn) throws Exception {
    for (Pem.Block b : Pem.blocks(pem)) {
      AmdCertificate c = AmdCertificate.parse(b.der());
      if (c.subjectCn().equals(cn)) {
        return c;
      }
    }
    throw new AssertionError(cn + " not found");
  }

  @Test
  void everyProductHasAnArkAskAndAsvkThatTheArkSigned() {
    AmdRoots roots = AmdRoots.builtIn();
    assertThat(roots.products()).containsExactlyInAnyOrder(SnpProduct.values());
    for (SnpProduct p : SnpProduct.values()) {
      AmdRoots.Anchors a = roots.anchors(p).orElseThrow();
      assertThat(a.ark().subjectCn()).isEqualTo("ARK-" + p.amdName());
      assertThat(a.ask().subjectCn()).isEqualTo("SEV-" + p.amdName());
      assertThat(a.asvk().orElseThrow().subjectCn()).isEqualTo("SEV-VLEK-" + p.amdName());
    }
  }

  @Test
  void theBuiltInArksAndAsksAreTheOnesInTheSharedAmdRootsFolder() throws Exception {
    Path dir = ResearchData.vectors("sev-snp").resolve("amd-roots");
    AmdRoots roots = AmdRoots.builtIn();
    String[][] files = {
      {"ask_ark_milan.pem", "MILAN"},
      {"ask_ark_genoa.pem", "GENOA"},
      {"ask_ark_turin_vcek.pem", "TURIN"}
    };
    for (String[] f : files) {
      SnpProduct p = SnpProduct.valueOf(f[1]);
      byte[] pem = Files.readAllBytes(dir.resolve(f[0]));
      AmdRoots.Anchors a = roots.anchors(p).orElseThrow();
      assertThat(firstOf(pem, "ARK-" + p.amdName()).der()).isEqualTo(a.ark().der());
      assertThat(firstOf(pem, "SEV-" + p.amdName()).der()).isEqualTo(a.ask().der());
    }
    byte[] vlek = Files.readAllBytes(dir.resolve("ask_ark_milan_vlek.pem"));
    assertThat(firstOf(vlek, "SEV-VLEK-Milan").der())
        .isEqualTo(roots.anchors(SnpProduct.MILAN).orElseThrow().asvk().orElseThrow().der());
  }

  @Test
  void theRealTurinVcekChainsToTheTurinAskAndCarriesAnEightByteHwId() throws Exception {
    AmdRoots.Anchors turin = AmdRoots.builtIn().anchors(SnpProduct.TURIN).orElseThrow();
    AmdCertificate vcek = AmdCertificate.parse(SnpSamples.bytes("virtee-sev/vcek_turin.der"));
    vcek.requireSignedBy(turin.ask());
    VekExtensions ext = VekExtensions.of(vcek);
    assertThat(ext.hwId().orElseThrow()).hasSize(8);
    assertThat(ext.fmc()).isPresent();
    assertThat(ext.productName()).contains("Turin");
  }

  @Test
  void bothHwIdEncodingsOfTrusteesTestVceksAreRead() throws Exception {
    VekExtensions legacy =
        VekExtensions.of(
            AmdCertificate.parse(SnpSamples.bytes("trustee/test-vcek-invalid-legacy.der")));
    VekExtensions wrapped =
        VekExtensions.of(
            AmdCertificate.parse(SnpSamples.bytes("trustee/test-vcek-invalid-new.der")));
    assertThat(legacy.hwId().orElseThrow()).hasSize(64).startsWith(0, 1, 2, 3);
    assertThat(wrapped.hwId().orElseThrow()).hasSize(64).startsWith(0, 1, 2, 3);
    assertThat(legacy.microcode()).isEqualTo(169); // 020200a9: a leading zero byte
  }

  @Test
  void theAzureVceksInTrusteesTestDataChainToTheirProducts() throws Exception {
    Path az = ResearchData.root().resolve("trustee-data/deps/verifier/test_data/az-snp-vtpm");
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    AmdRoots roots = AmdRoots.builtIn();
    // legacy layout: the VCEK as a PEM string (Genoa)
    String pem = json.readTree(az.resolve("evidence-genoa.json").toFile()).path("vcek").asText();
    AmdCertificate genoa =
        AmdCertificate.parse(
            Pem.blocks(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)).get(0).der());
    genoa.requireSignedBy(roots.anchors(SnpProduct.GENOA).orElseThrow().ask());
    assertThat(genoa.serial()).isZero();
    // format v1: base64url DER (Milan)
    String b64 = json.readTree(az.resolve("evidence-v1.json").toFile()).path("vcek").asText();
    AmdCertificate milan = AmdCertificate.parse(java.util.Base64.getUrlDecoder().decode(b64));
    milan.requireSignedBy(roots.anchors(SnpProduct.MILAN).orElseThrow().ask());
    assertThat(milan.vekExtensions().microcode()).isEqualTo(219);
  }

  @Test
  void theSharedExpectedJsonIsTheCopyTheTestsUse() throws Exception {
    Path shared = ResearchData.vectors("sev-snp").resolve("expected.json");
    assertThat(Files.readAllBytes(shared)).isEqualTo(SnpSamples.bytes("expected.json"));
  }
}
