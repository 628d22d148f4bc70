package dev.vouch.evidence.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Every part of the Azure evidence and every binding between the parts is checked: a change in each
 * is refused with its own stable code. Mutations start from Trustee's v2 SNP vector (it carries the
 * HCL user-data) and the v1 TDX vector.
 */
class AzureNegativeTest {
  private static final String SNP = "az-snp-vtpm/evidence-v2.json";
  private static final String TDX = "az-tdx-vtpm/evidence-v1.json";

  /** The SNP report's offset in the HCL report, and the variable data's. */
  private static final int SNP_IN_HCL = 32;

  private static final int VAR_DATA = 1236;

  private static Failure snpFailure(byte[] evidence) {
    return failure(AzureVectors.snp(), evidence, AzureVectors.V2_RUNTIME);
  }

  private static Failure tdxFailure(byte[] evidence) {
    return failure(AzureVectors.tdx(), evidence, AzureVectors.CHALLENGE);
  }

  /** The failure of {@code evidence} as the kind of {@code file} (SNP or TDX) with its nonce. */
  private static Failure failureAs(String file, byte[] evidence) {
    return file.equals(SNP) ? snpFailure(evidence) : tdxFailure(evidence);
  }

  private static Failure failure(EvidenceVerifier v, byte[] evidence, byte[] runtime) {
    return code(() -> v.verify(evidence, AzureVectors.expect(runtime)));
  }

  private static Failure code(ThrowingCallable call) {
    VerificationException[] caught = new VerificationException[1];
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(VerificationException.class, e -> caught[0] = e);
    return caught[0].failure();
  }

  private static void flipHex(ObjectNode quote, String field, int byteIndex) {
    byte[] b = Hex.decode(quote.get(field).asText());
    b[byteIndex] ^= 0x01;
    quote.put(field, Hex.encode(b));
  }

  private static byte[] withHcl(String file, java.util.function.Consumer<byte[]> change)
      throws Exception {
    ObjectNode ev = AzureVectors.json(file);
    byte[] hcl = AzureVectors.b64(ev, "hcl_report");
    change.accept(hcl);
    AzureVectors.putB64(ev, "hcl_report", hcl);
    return AzureVectors.write(ev);
  }

  @Test
  void unchangedVectorsVerifySoEachMutationBelowIsWhatFails() throws Exception {
    assertThat(
            AzureVectors.snp()
                .verify(AzureVectors.bytes(SNP), AzureVectors.expect(AzureVectors.V2_RUNTIME)))
        .isNotNull();
    assertThat(
            AzureVectors.tdx()
                .verify(AzureVectors.bytes(TDX), AzureVectors.expect(AzureVectors.CHALLENGE)))
        .isNotNull();
  }

  @Test
  void rejectsAFlippedBitInTheQuoteSignature() throws Exception {
    for (String file : new String[] {SNP, TDX}) {
      ObjectNode ev = AzureVectors.json(file);
      flipHex((ObjectNode) ev.get("tpm_quote"), "signature", 17);
      Failure f = failureAs(file, AzureVectors.write(ev));
      assertThat(f).isEqualTo(Failure.SIGNATURE_INVALID);
    }
  }

  @Test
  void rejectsAFlippedBitInTheQuotedAttestation() throws Exception {
    ObjectNode ev = AzureVectors.json(SNP);
    flipHex((ObjectNode) ev.get("tpm_quote"), "message", 70); // the clock info
    assertThat(snpFailure(AzureVectors.write(ev))).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsAPcrValueThatWasNotQuoted() throws Exception {
    for (String file : new String[] {SNP, TDX}) {
      ObjectNode ev = AzureVectors.json(file);
      ArrayNode pcrs = (ArrayNode) ev.get("tpm_quote").get("pcrs");
      byte[] p = Hex.decode(pcrs.get(7).asText());
      p[0] ^= 0x01;
      pcrs.set(7, Hex.encode(p));
      Failure f = failureAs(file, AzureVectors.write(ev));
      assertThat(f).isEqualTo(Failure.PCR_DIGEST_MISMATCH);
    }
  }

  @Test
  void rejectsMissingPcrValues() throws Exception {
    ObjectNode ev = AzureVectors.json(SNP);
    ((ArrayNode) ev.get("tpm_quote").get("pcrs")).remove(23);
    assertThat(snpFailure(AzureVectors.write(ev))).isEqualTo(Failure.PCR_VALUES_MISSING);
  }

  @Test
  void rejectsAFlippedBitInTheSnpReport() throws Exception {
    // MEASUREMENT (0x90) lies in the signed part of the report
    byte[] ev = withHcl(SNP, h -> h[SNP_IN_HCL + 0x90] ^= 0x01);
    assertThat(snpFailure(ev)).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsAFlippedBitInTheTdQuote() throws Exception {
    ObjectNode ev = AzureVectors.json(TDX);
    byte[] q = AzureVectors.b64(ev, "td_quote");
    q[48 + 136] ^= 0x01; // MRTD in the TD report body
    AzureVectors.putB64(ev, "td_quote", q);
    assertThat(tdxFailure(AzureVectors.write(ev))).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsAFlippedBitInTheVcek() throws Exception {
    ObjectNode ev = AzureVectors.json(SNP);
    byte[] vcek = AzureVectors.b64(ev, "vcek");
    vcek[vcek.length - 20] ^= 0x01; // inside AMD's signature over the VCEK
    AzureVectors.putB64(ev, "vcek", vcek);
    assertThat(snpFailure(AzureVectors.write(ev))).isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void rejectsChangedHclVariableData() throws Exception {
    for (String file : new String[] {SNP, TDX}) {
      // a byte of the JSON's "vm-configuration", well past the keys
      byte[] ev =
          withHcl(
              file,
              h -> {
                String var = new String(h, VAR_DATA, 2600 - VAR_DATA, StandardCharsets.US_ASCII);
                int at = VAR_DATA + var.indexOf("\"vm-configuration\"") + 3;
                h[at] ^= 0x20; // changes the case of a letter: still JSON
              });
      Failure f = failureAs(file, ev);
      assertThat(f).isEqualTo(Failure.HCL_DATA_MISMATCH);
    }
  }

  /**
   * Replaces the AK in the variable data with {@code key} (an RSA modulus of the same length keeps
   * the layout) and signs the quote with it: every signature verifies, but the hardware report does
   * not bind that variable data.
   */
  private static byte[] withAk(String file, KeyPair key, boolean replaceInVarData)
      throws Exception {
    ObjectNode ev = AzureVectors.json(file);
    byte[] hcl = AzureVectors.b64(ev, "hcl_report");
    if (replaceInVarData) {
      String var = new String(hcl, StandardCharsets.ISO_8859_1);
      int kid = var.indexOf("\"kid\":\"HCLAkPub\"");
      int n = var.indexOf("\"n\":\"", kid) + 5;
      int end = var.indexOf('"', n);
      byte[] mod = ((RSAPublicKey) key.getPublic()).getModulus().toByteArray();
      String enc =
          Base64.getUrlEncoder()
              .withoutPadding()
              .encodeToString(mod[0] == 0 ? Arrays.copyOfRange(mod, 1, mod.length) : mod);
      assertThat(enc).hasSize(end - n);
      System.arraycopy(enc.getBytes(StandardCharsets.US_ASCII), 0, hcl, n, enc.length());
      AzureVectors.putB64(ev, "hcl_report", hcl);
    }
    ObjectNode quote = (ObjectNode) ev.get("tpm_quote");
    quote.put(
        "signature", Hex.encode(sign(key.getPrivate(), Hex.decode(quote.get("message").asText()))));
    return AzureVectors.write(ev);
  }

  private static byte[] sign(PrivateKey key, byte[] message) throws Exception {
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(key);
    s.update(message);
    return s.sign();
  }

  private static KeyPair rsa() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  @Test
  void rejectsAQuoteSignedByAnotherAkThanTheHclOne() throws Exception {
    KeyPair other = rsa();
    assertThat(snpFailure(withAk(SNP, other, false))).isEqualTo(Failure.SIGNATURE_INVALID);
    assertThat(tdxFailure(withAk(TDX, other, false))).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsADifferentAkPutIntoTheVariableData() throws Exception {
    KeyPair other = rsa();
    assertThat(snpFailure(withAk(SNP, other, true))).isEqualTo(Failure.HCL_DATA_MISMATCH);
    assertThat(tdxFailure(withAk(TDX, other, true))).isEqualTo(Failure.HCL_DATA_MISMATCH);
  }

  @Test
  void rejectsAWrongNonce() throws Exception {
    byte[] wrong = AzureVectors.V2_RUNTIME.clone();
    wrong[0] ^= 0x01;
    assertThat(failure(AzureVectors.snp(), AzureVectors.bytes(SNP), wrong))
        .isEqualTo(Failure.NONCE_MISMATCH);
    assertThat(failure(AzureVectors.tdx(), AzureVectors.bytes(TDX), "challengf".getBytes()))
        .isEqualTo(Failure.NONCE_MISMATCH);
    // a digest the quote holds only part of is no match either
    assertThat(
            failure(
                AzureVectors.snp(),
                AzureVectors.bytes(SNP),
                Arrays.copyOf(AzureVectors.V2_RUNTIME, 32)))
        .isEqualTo(Failure.NONCE_MISMATCH);
  }

  @Test
  void rejectsVersionTwoEvidenceWhoseUserDataIsNotTheRuntimeData() throws Exception {
    // the v1 vector's HCL user-data is not its runtime data: claiming v2 must fail
    ObjectNode ev = AzureVectors.json("az-snp-vtpm/evidence-v1.json");
    ev.put("version", 2);
    assertThat(failure(AzureVectors.snp(), AzureVectors.write(ev), AzureVectors.CHALLENGE))
        .isEqualTo(Failure.REPORT_DATA_MISMATCH);
  }

  @Test
  void rejectsTruncatedJsonAndTruncatedParts() throws Exception {
    byte[] json = AzureVectors.bytes(SNP);
    assertThat(snpFailure(Arrays.copyOf(json, json.length / 2))).isEqualTo(Failure.MALFORMED);
    assertThat(tdxFailure(Arrays.copyOf(AzureVectors.bytes(TDX), 100)))
        .isEqualTo(Failure.MALFORMED);
    ObjectNode ev = AzureVectors.json(SNP);
    AzureVectors.putB64(ev, "hcl_report", Arrays.copyOf(AzureVectors.b64(ev, "hcl_report"), 1300));
    assertThat(snpFailure(AzureVectors.write(ev))).isEqualTo(Failure.TRUNCATED);
    ObjectNode td = AzureVectors.json(TDX);
    AzureVectors.putB64(td, "td_quote", Arrays.copyOf(AzureVectors.b64(td, "td_quote"), 600));
    assertThat(tdxFailure(AzureVectors.write(td))).isEqualTo(Failure.TRUNCATED);
  }

  @Test
  void rejectsUnknownMembersOtherVersionsAndTheOtherKind() throws Exception {
    ObjectNode extra = AzureVectors.json(SNP);
    extra.put("ak", "supplied");
    assertThat(snpFailure(AzureVectors.write(extra))).isEqualTo(Failure.MALFORMED);
    ObjectNode v3 = AzureVectors.json(SNP);
    v3.put("version", 3);
    assertThat(snpFailure(AzureVectors.write(v3))).isEqualTo(Failure.UNSUPPORTED);
    // TDX evidence sent as az-snp-vtpm lacks the VCEK; an SNP HCL report in TDX evidence is refused
    assertThat(snpFailure(AzureVectors.bytes(TDX))).isEqualTo(Failure.MALFORMED);
    ObjectNode mixed = AzureVectors.json(TDX);
    mixed.put("hcl_report", AzureVectors.json(SNP).get("hcl_report").asText());
    assertThat(tdxFailure(AzureVectors.write(mixed))).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void rejectsAnHclReportWithoutItsMagicOrWithTrailingData() throws Exception {
    assertThat(snpFailure(withHcl(SNP, h -> h[0] = 'X'))).isEqualTo(Failure.MALFORMED);
    assertThat(snpFailure(withHcl(SNP, h -> h[h.length - 1] = 1))).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void bindsInitDataThroughPcr8AsTrusteeDoes() throws Exception {
    VerifiedEvidence v =
        AzureVectors.snp()
            .verify(
                AzureVectors.bytes("az-snp-vtpm/evidence-genoa.json"),
                AzureVectors.expect(AzureVectors.GENOA_RUNTIME));
    assertThat(v.claims().get("tpm.pcr.sha256.8")).isNotEqualTo("00".repeat(32));
    assertThat(code(() -> AzureVectors.snp().checkInitData(v, new byte[32])))
        .isEqualTo(Failure.INIT_DATA_MISMATCH);
    assertThat(code(() -> AzureVectors.snp().checkInitData(v, new byte[48])))
        .isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void offlineInspectionWithoutANonceStillChecksEveryBinding() throws Exception {
    Expectations none = new Expectations(java.util.Optional.empty(), AzureVectors.AT);
    assertThat(
            AzureVectors.snp().verify(AzureVectors.bytes(SNP), none).claims().get("tpm.extra_data"))
        .isEqualTo(Hex.encode(AzureVectors.V2_RUNTIME));
    ObjectNode ev = AzureVectors.json(SNP);
    flipHex((ObjectNode) ev.get("tpm_quote"), "signature", 3);
    assertThat(code(() -> AzureVectors.snp().verify(AzureVectors.write(ev), none)))
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }
}
