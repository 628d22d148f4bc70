package dev.vouch.evidence.tpm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One real quote sample, loaded from its native form into what {@link TpmQuoteVerifier} takes.
 *
 * @param name the sample's key in {@code expected.json} (or its swtpm folder)
 * @param akBytes the AK file as shipped (PEM, DER SPKI, TPM2B_PUBLIC or TPMT_PUBLIC)
 * @param quotes attest and signature bytes per quote
 * @param pcrs the PCR values shipped with the sample
 * @param nonce the expected nonce; empty when the sample was quoted without one
 */
record QuoteSample(
    String name, byte[] akBytes, List<Quote> quotes, PcrValues pcrs, Optional<byte[]> nonce) {

  record Quote(String label, byte[] attest, byte[] signature) {}

  AkKey ak() throws VerificationException {
    return AkKeys.parse(akBytes);
  }

  Expectations expectations() {
    return nonce.map(Expectations::withNonce).orElseGet(Expectations::none);
  }

  @Override
  public String toString() {
    return name;
  }

  /** Every sample of {@code vectors/tpm-quote} and {@code swtpm}, in every AK form shipped. */
  static Stream<QuoteSample> all() throws Exception {
    List<QuoteSample> out = new ArrayList<>();
    out.add(goAttestationWindows());
    out.add(gceCos85NoNonce());
    out.add(keylimeTestDataFiles(false));
    out.add(keylimeTestDataFiles(true));
    out.add(keylimeCheckquote());
    out.add(trustee());
    out.add(swtpm("ecc-ak", "ak.tpm2b_public"));
    out.add(swtpm("ecc-ak", "ak.pem"));
    out.add(swtpm("rsa-ak", "ak.tpm2b_public"));
    out.add(swtpm("rsa-ak", "ak.pem"));
    out.add(swtpmPlain());
    return out.stream();
  }

  static QuoteSample goAttestationWindows() {
    String name = "go-attestation/windows_gcp_shielded_vm.json";
    JsonNode d = Vectors.json("tpm-quote/" + name);
    Base64.Decoder b64 = Base64.getDecoder();
    PcrValues.Builder pcrs = PcrValues.builder();
    for (JsonNode p : d.at("/Log/PCRs")) {
      // Go crypto.Hash 3 is SHA-1, the only bank this log carries
      if (p.get("DigestAlg").asInt() != 3) {
        throw new IllegalStateException("unexpected bank " + p);
      }
      pcrs.put(HashAlg.SHA1, p.get("Index").asInt(), b64.decode(p.get("Digest").asText()));
    }
    return new QuoteSample(
        name,
        b64.decode(d.at("/AK/Public").asText()),
        List.of(
            new Quote(
                "sha1",
                b64.decode(d.at("/Quote/Quote").asText()),
                b64.decode(d.at("/Quote/Signature").asText()))),
        pcrs.build(),
        Optional.empty());
  }

  static QuoteSample gceCos85NoNonce() {
    String dir = "tpm-quote/go-tpm-tools/gce-cos-85-no-nonce/";
    JsonNode index = Vectors.json(dir + "quotes.json");
    PcrValues.Builder pcrs = PcrValues.builder();
    List<Quote> quotes = new ArrayList<>();
    for (String bank : List.of("sha1", "sha256", "sha384")) {
      JsonNode q = index.get(bank);
      HashAlg alg = HashAlg.fromName(bank).orElseThrow();
      q.get("pcrs")
          .properties()
          .forEach(
              e -> pcrs.put(alg, Integer.parseInt(e.getKey()), Hex.decode(e.getValue().asText())));
      quotes.add(
          new Quote(
              bank,
              Vectors.bytes(dir + q.get("attest").asText()),
              Vectors.bytes(dir + q.get("signature").asText())));
    }
    return new QuoteSample(
        "go-tpm-tools/gce-cos-85-no-nonce.pb",
        Vectors.bytes(dir + "ak_pub.tpmt_public"),
        quotes,
        pcrs.build(),
        Optional.empty());
  }

  static QuoteSample keylimeTestDataFiles(boolean pem) throws VerificationException {
    String dir = "tpm-quote/keylime/test-data-files/";
    return new QuoteSample(
        "keylime/test-data-files" + (pem ? " (akpub.pem)" : ""),
        Vectors.bytes(dir + (pem ? "akpub.pem" : "ak.pub")),
        List.of(
            new Quote(
                "sha256", Vectors.bytes(dir + "quote.out"), Vectors.bytes(dir + "quotesig.out"))),
        PcrFiles.fromSerialized(Vectors.bytes(dir + "quotepcr.out")),
        Optional.of(Hex.decode("db1db298db6d60e6385b7231743e9c3056a18003")));
  }

  static QuoteSample keylimeCheckquote() throws VerificationException {
    String dir = "tpm-quote/keylime/checkquote/";
    return new QuoteSample(
        "keylime/checkquote",
        Vectors.bytes(dir + "aik.pem"),
        List.of(
            new Quote(
                "sha256",
                Vectors.bytes(dir + "quote.tpms_attest"),
                Vectors.bytes(dir + "quote.tpmt_signature"))),
        PcrFiles.fromSerialized(Vectors.bytes(dir + "quotepcr.out")),
        Optional.of("Ai5M5SjYjnkyv4P7itH1".getBytes(StandardCharsets.US_ASCII)));
  }

  static QuoteSample trustee() {
    String name = "trustee/tpm_evidence.json";
    JsonNode d = Vectors.json("tpm-quote/" + name);
    Base64.Decoder b64 = Base64.getDecoder();
    PcrValues.Builder pcrs = PcrValues.builder();
    JsonNode list = d.at("/tpm_quote/pcrs");
    for (int i = 0; i < list.size(); i++) {
      pcrs.put(HashAlg.SHA256, i, Hex.decode(list.get(i).asText()));
    }
    JsonNode expected = Vectors.json("tpm-quote/expected.json").get(name);
    return new QuoteSample(
        name,
        b64.decode(d.get("ak_public").asText()),
        List.of(
            new Quote(
                "sha256",
                b64.decode(d.at("/tpm_quote/message").asText()),
                b64.decode(d.at("/tpm_quote/signature").asText()))),
        pcrs.build(),
        Optional.of(Hex.decode(expected.get("extraData_hex").asText())));
  }

  static QuoteSample swtpm(String dir, String akFile) throws VerificationException {
    String p = "swtpm/" + dir + "/";
    return new QuoteSample(
        "swtpm/" + dir + " (" + akFile + ")",
        Vectors.bytes(p + akFile),
        List.of(
            new Quote("sha256", Vectors.bytes(p + "quote.msg"), Vectors.bytes(p + "quote.sig"))),
        PcrFiles.fromSerialized(Vectors.bytes(p + "pcrs.out")),
        Optional.of(Hex.decode(Vectors.text(p + "nonce.hex"))));
  }

  /** The {@code -f plain -F values} quote: PKCS#1 signature bytes and concatenated PCR values. */
  static QuoteSample swtpmPlain() throws VerificationException {
    String p = "swtpm/rsa-ak/";
    byte[] attest = Vectors.bytes(p + "plain-quote.msg");
    PcrSelection selection = TpmAttest.parse(attest).quote().orElseThrow().selection();
    return new QuoteSample(
        "swtpm/rsa-ak plain",
        Vectors.bytes(p + "ak.pem"),
        List.of(new Quote("sha256", attest, Vectors.bytes(p + "plain-quote.sig"))),
        PcrFiles.fromConcatenated(selection, Vectors.bytes(p + "plain-pcrs.values")),
        Optional.of(Hex.decode(Vectors.text(p + "plain-nonce.hex"))));
  }
}
