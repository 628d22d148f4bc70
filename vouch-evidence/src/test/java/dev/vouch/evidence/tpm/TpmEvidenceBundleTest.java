package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TpmEvidenceBundleTest {

  /** The GCE sample as a bundle: three quotes (one per bank), the AK certificate and chain. */
  static TpmEvidenceBundle gceBundle() throws Exception {
    QuoteSample s = QuoteSample.gceCos85NoNonce();
    return new TpmEvidenceBundle(
        s.ak(),
        Optional.of(Vectors.bytes("tpm-quote/go-tpm-tools/gce-cos-85-no-nonce/ak_cert.der")),
        List.of(Vectors.bytes("tpm-quote/go-tpm-tools/gce-ca/tpm_ek_intermediate_2.crt")),
        s.quotes().stream()
            .map(q -> new TpmEvidenceBundle.Quote(q.attest(), q.signature()))
            .toList(),
        s.pcrs(),
        Optional.of(new byte[] {1, 2, 3}),
        Optional.empty(),
        Optional.of("10 abc ima-ng sha256:00 /init\n"));
  }

  @Test
  void roundTripsAndVerifiesEveryQuoteOfABundle() throws Exception {
    TpmEvidenceBundle original = gceBundle();

    TpmEvidenceBundle parsed = TpmEvidenceBundle.parse(original.toJson());

    assertThat(parsed.ak().tpmPublic()).isEqualTo(original.ak().tpmPublic());
    assertThat(parsed.pcrs()).isEqualTo(original.pcrs());
    assertThat(parsed.akCert().orElseThrow()).isEqualTo(original.akCert().orElseThrow());
    assertThat(parsed.akChain()).hasSize(1);
    assertThat(parsed.eventLog().orElseThrow()).containsExactly(1, 2, 3);
    assertThat(parsed.imaLogAscii()).isEqualTo(original.imaLogAscii());
    List<VerifiedQuote> verified = TpmQuoteVerifier.verify(parsed, Expectations.none());
    assertThat(verified)
        .extracting(v -> v.selection().banks().get(0).hash())
        .containsExactly(HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384);
  }

  @Test
  void acceptsTheAkAsSpkiAndAsPem() throws Exception {
    QuoteSample t = QuoteSample.trustee();
    String spki = java.util.Base64.getEncoder().encodeToString(t.akBytes());
    String q = java.util.Base64.getEncoder().encodeToString(t.quotes().get(0).attest());
    String sig = java.util.Base64.getEncoder().encodeToString(t.quotes().get(0).signature());
    StringBuilder pcrs = new StringBuilder();
    for (int i = 0; i < 24; i++) {
      pcrs.append(i == 0 ? "" : ",")
          .append('"')
          .append(i)
          .append("\":\"")
          .append(dev.vouch.core.bytes.Hex.encode(t.pcrs().get(HashAlg.SHA256, i).orElseThrow()))
          .append('"');
    }
    String json =
        "{\"version\":1,\"ak\":{\"spki\":\""
            + spki
            + "\"},\"quotes\":[{\"attest\":\""
            + q
            + "\",\"signature\":\""
            + sig
            + "\"}],\"pcrs\":{\"sha256\":{"
            + pcrs
            + "}}}";
    TpmEvidenceBundle b = TpmEvidenceBundle.parse(json.getBytes(StandardCharsets.UTF_8));
    assertThat(TpmQuoteVerifier.verify(b, t.expectations())).hasSize(1);

    String pem = Vectors.text("swtpm/ecc-ak/ak.pem").replace("\n", "\\n");
    String withPem = json.replace("{\"spki\":\"" + spki + "\"}", "{\"pem\":\"" + pem + "\"}");
    TpmEvidenceBundle p = TpmEvidenceBundle.parse(withPem.getBytes(StandardCharsets.UTF_8));
    assertThat(p.ak().isEc()).isTrue();
    // the trustee quote was not made by the swtpm ECC AK
    assertThat(
            catchThrowableOfType(
                    VerificationException.class, () -> TpmQuoteVerifier.verify(p, t.expectations()))
                .failure())
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void rejectsMalformedBundlesWithStableCodes() throws Exception {
    String good = new String(gceBundle().toJson(), StandardCharsets.UTF_8);

    assertThat(code("not json")).isEqualTo(Failure.MALFORMED);
    assertThat(code("[]")).isEqualTo(Failure.MALFORMED);
    assertThat(code(good + "{}")).isEqualTo(Failure.MALFORMED);
    assertThat(code(good.replace("\"version\" : 1", "\"version\" : 2")))
        .isEqualTo(Failure.UNSUPPORTED);
    assertThat(code(good.replace("\"version\" : 1", "\"version\" : \"1\"")))
        .isEqualTo(Failure.MALFORMED);
    assertThat(code(good.replace("\"version\" : 1,", "\"version\" : 1, \"extra\": 1,")))
        .isEqualTo(Failure.MALFORMED);
    assertThat(code(good.replace("\"version\" : 1,", "\"version\" : 1, \"version\": 1,")))
        .isEqualTo(Failure.MALFORMED);
    assertThat(code(good.replace("\"event_log\" : \"AQID\"", "\"event_log\" : \"A*ID\"")))
        .isEqualTo(Failure.MALFORMED);
    assertThat(code(good.replace("\"sha256\" : {", "\"sha3\" : {"))).isEqualTo(Failure.UNSUPPORTED);
    assertThat(code(good.replace("\"sha256\" : {\n      \"0\"", "\"sha256\" : {\n      \"00\"")))
        .isEqualTo(Failure.MALFORMED);
    assertThat(code(good.replace("\"ima_log_ascii\"", "\"ima_log\" : \"AA==\", \"ima_log_ascii\"")))
        .isEqualTo(Failure.MALFORMED);
    assertThat(code("{\"version\":1,\"ak\":{\"pem\":\"x\"},\"quotes\":[],\"pcrs\":{}}"))
        .isEqualTo(Failure.MALFORMED);
  }

  @Test
  void rejectsAPcrValueOfTheWrongLength() throws Exception {
    String good = new String(gceBundle().toJson(), StandardCharsets.UTF_8);
    int at = good.indexOf("\"sha256\" : {");
    int value = good.indexOf("\"0\" : \"", at) + 7;
    String bad = good.substring(0, value) + "00" + good.substring(value);
    assertThat(code(bad)).isEqualTo(Failure.MALFORMED);
  }

  private static Failure code(String json) {
    return catchThrowableOfType(
            VerificationException.class,
            () -> TpmEvidenceBundle.parse(json.getBytes(StandardCharsets.UTF_8)))
        .failure();
  }
}
