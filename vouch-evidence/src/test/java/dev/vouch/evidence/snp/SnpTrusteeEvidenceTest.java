package dev.vouch.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Trustee's {@code snp} evidence JSON: the sev crate's report object and its cert_chain. */
class SnpTrusteeEvidenceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Expectations AT = new Expectations(Optional.empty(), SnpSamples.AT);

  private static ObjectNode e2e() throws Exception {
    return (ObjectNode) JSON.readTree(SnpSamples.bytes("trustee-e2e/evidence.json"));
  }

  @Test
  void theSevCrateJsonRebuildsTheExactBinaryReport() throws Exception {
    SnpEvidence ev = SnpEvidence.parse(SnpSamples.bytes("trustee-e2e/evidence.json"));
    assertThat(ev.report().bytes()).isEqualTo(SnpSamples.bytes("trustee-e2e/e2e-snp-report.bin"));
    assertThat(ev.certificates()).hasSize(1);
    assertThat(ev.certificates().get(0).declaredType()).isEqualTo("VCEK");
  }

  @Test
  void trusteesEndToEndGenoaEvidenceVerifiesWithTheVcekItCarries() throws Exception {
    Claims c =
        SnpSamples.VERIFIER.verify(SnpSamples.bytes("trustee-e2e/evidence.json"), AT).claims();
    assertThat(c.get(SnpClaims.PRODUCT)).isEqualTo("genoa");
    assertThat(c.get(SnpClaims.VERSION)).isEqualTo(3L);
    assertThat(c.get(SnpClaims.CPUID_FAMILY)).isEqualTo(25L);
    assertThat(c.get(SnpClaims.CPUID_MODEL)).isEqualTo(160L);
    assertThat(c.get(SnpClaims.POLICY)).isEqualTo("0000000000030000");
    assertThat(c.get(SnpClaims.VMPL)).isEqualTo(0L);
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".bootloader")).isEqualTo(10L);
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".tee")).isEqualTo(0L);
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".snp")).isEqualTo(23L);
    assertThat(c.get(SnpClaims.REPORTED_TCB + ".microcode")).isEqualTo(25L);
    assertThat(c.get(SnpClaims.MEASUREMENT))
        .isEqualTo(
            "6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4ae62a36d75c837974dd50b315506e73e");
    assertThat(c.get(SnpClaims.REPORT_DATA))
        .isEqualTo(
            "7e7320889600c7ac133aea7b896c51f41026002982292a7369559796999c1bf929eef3ff23c46e858f0b1982f9a92b17c51b578d958cde6b0c92978f150cf9b0");
    assertThat(c.get(SnpClaims.HOST_DATA)).isEqualTo("00".repeat(32));
  }

  @Test
  void theReportMayComeAsBase64OrHexWithTheChainAsStrings() throws Exception {
    byte[] report = SnpSamples.bytes("trustee/test-report.bin");
    byte[] vcek = SnpSamples.bytes("trustee/test-vcek.der");
    for (String encoded :
        List.of(
            Base64.getEncoder().encodeToString(report),
            Base64.getUrlEncoder().withoutPadding().encodeToString(report),
            Hex.encode(report))) {
      ObjectNode doc = JSON.createObjectNode();
      doc.put("attestation_report", encoded);
      ObjectNode entry = doc.putArray("cert_chain").addObject();
      entry.put("cert_type", "VCEK");
      entry.put("data", Base64.getEncoder().encodeToString(vcek));
      Claims c = SnpSamples.VERIFIER.verify(JSON.writeValueAsBytes(doc), AT).claims();
      assertThat(c.get(SnpClaims.CHIP_ID)).asString().startsWith("c38427a30d4c7af9");
    }
  }

  @Test
  void aNullCertChainFallsBackToCollateral() throws Exception {
    ObjectNode doc = e2e();
    JsonNode vcek = doc.get("cert_chain").get(0).get("data");
    byte[] der = new byte[vcek.size()];
    for (int i = 0; i < der.length; i++) {
      der[i] = (byte) vcek.get(i).asInt();
    }
    doc.putNull("cert_chain");
    byte[] evidence = JSON.writeValueAsBytes(doc);
    assertThatThrownBy(() -> SnpSamples.VERIFIER.verify(evidence, AT))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(Failure.COLLATERAL_MISSING);
              assertThat(e.getMessage()).contains("kdsintf.amd.com/vcek/v1/Genoa/");
            });
    assertThat(
            SnpSamples.VERIFIER
                .verify(evidence, AT.withCollateral(List.of(der)))
                .claims()
                .get(SnpClaims.PRODUCT))
        .isEqualTo("genoa");
  }

  @Test
  void aChangedFieldInTheJsonReportBreaksTheSignature() throws Exception {
    ObjectNode doc = e2e();
    ((ObjectNode) doc.get("attestation_report")).put("guest_svn", 1);
    assertThatThrownBy(() -> SnpSamples.VERIFIER.verify(JSON.writeValueAsBytes(doc), AT))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.SIGNATURE_INVALID));
  }

  @Test
  void aMissingOrOutOfRangeJsonFieldIsMalformed() throws Exception {
    ObjectNode missing = e2e();
    ((ObjectNode) missing.get("attestation_report")).remove("measurement");
    ObjectNode range = e2e();
    ((ArrayNode) range.get("attestation_report").get("chip_id")).set(0, 256);
    ObjectNode tooBig = e2e();
    ((ObjectNode) tooBig.get("attestation_report")).put("vmpl", 1L << 33);
    for (ObjectNode doc : List.of(missing, range, tooBig)) {
      assertThatThrownBy(() -> SnpEvidence.parse(JSON.writeValueAsBytes(doc)))
          .isInstanceOfSatisfying(
              VerificationException.class,
              e -> assertThat(e.failure()).isEqualTo(Failure.MALFORMED));
    }
  }

  @Test
  void aDeclaredVcekThatIsNoCertificateIsMalformed() throws Exception {
    ObjectNode doc = e2e();
    ObjectNode entry = (ObjectNode) doc.get("cert_chain").get(0);
    entry.putArray("data").add(1).add(2).add(3);
    assertThatThrownBy(() -> SnpSamples.VERIFIER.verify(JSON.writeValueAsBytes(doc), AT))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(Failure.MALFORMED));
  }
}
