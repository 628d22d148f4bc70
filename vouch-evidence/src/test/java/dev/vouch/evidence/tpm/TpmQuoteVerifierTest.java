package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.testing.ResearchData;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TpmQuoteVerifierTest {

  static Stream<Arguments> quotes() throws Exception {
    List<Arguments> out = new ArrayList<>();
    for (QuoteSample s : QuoteSample.all().toList()) {
      for (QuoteSample.Quote q : s.quotes()) {
        out.add(Arguments.of(s, q));
      }
    }
    return out.stream();
  }

  static Stream<QuoteSample> samples() throws Exception {
    return QuoteSample.all();
  }

  private static VerificationException failure(ThrowingRunnable r) {
    VerificationException e = catchThrowableOfType(VerificationException.class, r::run);
    assertThat(e).as("expected a VerificationException").isNotNull();
    return e;
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static VerifiedQuote verify(
      QuoteSample s, byte[] attest, byte[] sig, PcrValues pcrs, Expectations e) throws Exception {
    return TpmQuoteVerifier.verify(attest, sig, s.ak(), pcrs, e);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotes")
  void verifiesEveryRealQuote(QuoteSample s, QuoteSample.Quote q) throws Exception {
    VerifiedQuote v = verify(s, q.attest(), q.signature(), s.pcrs(), s.expectations());

    assertThat(v.attest().type()).isEqualTo(TpmAttest.Type.QUOTE);
    assertThat(v.pcrs().banks()).containsExactly(v.selection().banks().get(0).hash());
    assertThat(v.pcrs().indexes(v.selection().banks().get(0).hash()))
        .containsExactlyElementsOf(v.selection().banks().get(0).pcrs());
    assertThat(v.attest().extraData()).isEqualTo(s.nonce().orElse(new byte[0]));
    assertThat(v.signerName()).isNotEmpty();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotes")
  void verifiesWithoutANonceCheckWhenNoneIsExpected(QuoteSample s, QuoteSample.Quote q)
      throws Exception {
    assertThatCode(() -> verify(s, q.attest(), q.signature(), s.pcrs(), Expectations.none()))
        .doesNotThrowAnyException();
  }

  @Test
  void everySampleOfTheVectorFolderIsVerified() throws Exception {
    Set<String> names = new HashSet<>();
    QuoteSample.all().forEach(s -> names.add(s.name()));
    List<String> expected = new ArrayList<>();
    Vectors.json("tpm-quote/expected.json").fieldNames().forEachRemaining(expected::add);
    assertThat(names).containsAll(expected);
  }

  @Test
  void theCopiedSampleListMatchesTheSharedResearchFolder() throws Exception {
    var shared = ResearchData.vectors("tpm-quote").resolve("expected.json");
    JsonNode json =
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readAllBytes(shared));
    List<String> sharedNames = new ArrayList<>();
    json.fieldNames().forEachRemaining(sharedNames::add);
    List<String> copied = new ArrayList<>();
    Vectors.json("tpm-quote/expected.json").fieldNames().forEachRemaining(copied::add);
    assertThat(copied).containsExactlyInAnyOrderElementsOf(sharedNames);
  }

  @Test
  void verifiesEveryGoTpmToolsAttestationInTheSharedFolder() throws Exception {
    // reads the shared folder itself, so a nonce variant added there later is covered too
    var root = ResearchData.vectors("tpm-quote").resolve("go-tpm-tools");
    List<java.nio.file.Path> folders;
    try (var list = Files.list(root)) {
      folders = list.filter(d -> Files.isRegularFile(d.resolve("quotes.json"))).sorted().toList();
    }
    assertThat(folders).isNotEmpty();
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    for (var dir : folders) {
      AkKey ak = AkKeys.parse(Files.readAllBytes(dir.resolve("ak_pub.tpmt_public")));
      JsonNode index = mapper.readTree(dir.resolve("quotes.json").toFile());
      PcrValues.Builder pcrs = PcrValues.builder();
      index
          .properties()
          .forEach(
              bank ->
                  bank.getValue()
                      .get("pcrs")
                      .properties()
                      .forEach(
                          r ->
                              pcrs.put(
                                  HashAlg.fromName(bank.getKey()).orElseThrow(),
                                  Integer.parseInt(r.getKey()),
                                  Hex.decode(r.getValue().asText()))));
      for (var bank : index.properties()) {
        JsonNode q = bank.getValue();
        byte[] nonce = Hex.decode(q.get("extraData").asText());
        VerifiedQuote v =
            TpmQuoteVerifier.verify(
                Files.readAllBytes(dir.resolve(q.get("attest").asText())),
                Files.readAllBytes(dir.resolve(q.get("signature").asText())),
                ak,
                pcrs.build(),
                Expectations.withNonce(nonce));
        assertThat(Hex.encode(v.attest().quote().orElseThrow().pcrDigest()))
            .as("%s %s", dir.getFileName(), bank.getKey())
            .isEqualTo(q.get("pcrDigest").asText());
      }
    }
  }

  @Test
  void reportsTheFactsExpectedOfEachSample() throws Exception {
    JsonNode exp = Vectors.json("tpm-quote/expected.json");

    VerifiedQuote win = first(QuoteSample.goAttestationWindows());
    JsonNode wq = exp.at("/go-attestation~1windows_gcp_shielded_vm.json/quote");
    assertThat(win.clockInfo().clock()).isEqualTo(wq.get("clock").asLong());
    assertThat(String.format("0x%016x", win.firmwareVersion()))
        .isEqualTo(wq.get("firmwareVersion").asText());
    assertThat(Hex.encode(win.attest().quote().orElseThrow().pcrDigest()))
        .isEqualTo(wq.get("pcrDigest").asText());
    assertThat(win.selection().toString()).isEqualTo("sha1:" + joined(0, 24));
    assertThat(win.digestAlg()).isEqualTo(HashAlg.SHA1);

    QuoteSample gce = QuoteSample.gceCos85NoNonce();
    JsonNode gq = exp.at("/go-tpm-tools~1gce-cos-85-no-nonce.pb/quotes");
    for (QuoteSample.Quote q : gce.quotes()) {
      VerifiedQuote v = verify(gce, q.attest(), q.signature(), gce.pcrs(), gce.expectations());
      assertThat(Hex.encode(v.attest().quote().orElseThrow().pcrDigest()))
          .isEqualTo(gq.at("/" + q.label() + "/pcrDigest").asText());
      // each bank is quoted with RSASSA-SHA256, so every pcrDigest is a SHA-256
      assertThat(v.digestAlg()).isEqualTo(HashAlg.SHA256);
      assertThat(v.selection().toString()).isEqualTo(q.label() + ":" + joined(0, 24));
    }

    VerifiedQuote kl = first(QuoteSample.keylimeTestDataFiles(false));
    JsonNode kexp = exp.get("keylime/test-data-files");
    assertThat(kl.selection().toString()).isEqualTo("sha256:15,16,22");
    assertThat(Hex.encode(kl.attest().quote().orElseThrow().pcrDigest()))
        .isEqualTo(kexp.get("pcrDigest").asText());
    assertThat(kl.firmwareVersion()).isEqualTo(0x2016051100162800L);
    kexp.get("pcrs_sha256")
        .properties()
        .forEach(
            e ->
                assertThat(
                        Hex.encode(
                            kl.pcrs()
                                .get(HashAlg.SHA256, Integer.parseInt(e.getKey()))
                                .orElseThrow()))
                    .isEqualTo(e.getValue().asText()));

    VerifiedQuote cq = first(QuoteSample.keylimeCheckquote());
    assertThat(Hex.encode(cq.pcrs().get(HashAlg.SHA256, 16).orElseThrow()))
        .isEqualTo(exp.at("/keylime~1checkquote/pcr16_sha256").asText());

    VerifiedQuote tr = first(QuoteSample.trustee());
    assertThat(tr.firmwareVersion()).isEqualTo(0x2019102300163636L);
    assertThat(tr.selection().count()).isEqualTo(24);

    VerifiedQuote sw = first(QuoteSample.swtpm("ecc-ak", "ak.tpm2b_public"));
    assertThat(sw.selection().toString()).isEqualTo("sha256:0,1,2,3,4,5,6,7,10");
    assertThat(Hex.encode(sw.attest().quote().orElseThrow().pcrDigest()))
        .isEqualTo("f254b49eb804fec65f9d1b2ad5d77b61300cc168175e59d3bfb507f61ec926e6");
    assertThat(Hex.encode(sw.pcrs().get(HashAlg.SHA256, 10).orElseThrow()))
        .isEqualTo("66aac22ab9b490519f1dd074f679e3b486243f6408fa00d264e62aa30568a73d");
    assertThat(sw.signature().algorithm()).isEqualTo(TpmSignature.Algorithm.ECDSA);
  }

  private static VerifiedQuote first(QuoteSample s) throws Exception {
    QuoteSample.Quote q = s.quotes().get(0);
    return verify(s, q.attest(), q.signature(), s.pcrs(), s.expectations());
  }

  private static String joined(int from, int to) {
    StringBuilder b = new StringBuilder();
    for (int i = from; i < to; i++) {
      b.append(i == from ? "" : ",").append(i);
    }
    return b.toString();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotes")
  void rejectsEveryBitFlipInTheSignedBytes(QuoteSample s, QuoteSample.Quote q) throws Exception {
    AkKey ak = s.ak();
    for (int i = 0; i < q.attest().length; i++) {
      for (int bit : new int[] {0, 7}) {
        byte[] bad = q.attest().clone();
        bad[i] ^= (byte) (1 << bit);
        VerificationException e =
            failure(
                () -> TpmQuoteVerifier.verify(bad, q.signature(), ak, s.pcrs(), s.expectations()));
        if (stillAQuote(bad)) {
          assertThat(e.failure()).as("byte %d bit %d", i, bit).isEqualTo(Failure.SIGNATURE_INVALID);
        } else {
          assertThat(e.failure())
              .as("byte %d bit %d", i, bit)
              .isIn(Failure.TRUNCATED, Failure.MALFORMED, Failure.UNSUPPORTED);
        }
      }
    }
  }

  private static boolean stillAQuote(byte[] attest) {
    try {
      TpmQuoteVerifier.parseQuote(attest);
      return true;
    } catch (VerificationException e) {
      return false;
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotes")
  void rejectsEveryBitFlipInTheSignature(QuoteSample s, QuoteSample.Quote q) throws Exception {
    AkKey ak = s.ak();
    TpmSignature good = TpmSignature.decode(q.signature(), ak, HashAlg.SHA256);
    for (int i = 0; i < q.signature().length; i++) {
      byte[] bad = q.signature().clone();
      bad[i] ^= 1;
      VerificationException e =
          failure(() -> TpmQuoteVerifier.verify(q.attest(), bad, ak, s.pcrs(), s.expectations()));
      Optional<TpmSignature> decoded = decode(bad, ak);
      if (decoded.isPresent()
          && decoded.get().algorithm() == good.algorithm()
          && decoded.get().hash().equals(good.hash())) {
        assertThat(e.failure()).as("byte %d", i).isEqualTo(Failure.SIGNATURE_INVALID);
      } else {
        assertThat(e.failure())
            .as("byte %d", i)
            .isIn(Failure.TRUNCATED, Failure.MALFORMED, Failure.UNSUPPORTED, Failure.KEY_MISMATCH);
      }
    }
  }

  private static Optional<TpmSignature> decode(byte[] sig, AkKey ak) {
    try {
      return Optional.of(TpmSignature.decode(sig, ak, HashAlg.SHA256));
    } catch (VerificationException e) {
      return Optional.empty();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotes")
  void rejectsADifferentNonce(QuoteSample s, QuoteSample.Quote q) throws Exception {
    byte[] other = s.nonce().map(byte[]::clone).orElse(Hex.decode("9009"));
    if (s.nonce().isPresent()) {
      other[0] ^= 1;
    }
    VerificationException e =
        failure(
            () -> verify(s, q.attest(), q.signature(), s.pcrs(), Expectations.withNonce(other)));
    assertThat(e.failure()).isEqualTo(Failure.NONCE_MISMATCH);
  }

  /** The quotes whose sample was made with a nonce (at least the swtpm and Keylime ones). */
  static Stream<Arguments> quotesWithANonce() throws Exception {
    List<Arguments> out = new ArrayList<>();
    for (QuoteSample s : QuoteSample.all().toList()) {
      for (QuoteSample.Quote q : s.quotes()) {
        if (s.nonce().isPresent()) {
          out.add(Arguments.of(s, q));
        }
      }
    }
    assertThat(out).as("samples quoted with a nonce").hasSizeGreaterThanOrEqualTo(4);
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotesWithANonce")
  void rejectsAnEmptyNonceWhenTheQuoteCarriesOne(QuoteSample s, QuoteSample.Quote q)
      throws Exception {
    assertThat(s.nonce()).isPresent();
    assertThat(TpmAttest.parse(q.attest()).extraData()).isNotEmpty();
    VerificationException e =
        failure(
            () ->
                verify(
                    s, q.attest(), q.signature(), s.pcrs(), Expectations.withNonce(new byte[0])));
    assertThat(e.failure()).isEqualTo(Failure.NONCE_MISMATCH);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotes")
  void rejectsEveryChangedPcrValue(QuoteSample s, QuoteSample.Quote q) throws Exception {
    PcrSelection selection = TpmAttest.parse(q.attest()).quote().orElseThrow().selection();
    for (PcrSelection.Bank b : selection.banks()) {
      for (int pcr : b.pcrs()) {
        PcrValues changed = with(s.pcrs(), b.hash(), pcr, true);
        VerificationException e =
            failure(() -> verify(s, q.attest(), q.signature(), changed, s.expectations()));
        assertThat(e.failure()).as("%s:%d", b.hash(), pcr).isEqualTo(Failure.PCR_DIGEST_MISMATCH);
      }
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotes")
  void rejectsAMissingPcrValue(QuoteSample s, QuoteSample.Quote q) throws Exception {
    PcrSelection selection = TpmAttest.parse(q.attest()).quote().orElseThrow().selection();
    PcrSelection.Bank b = selection.banks().get(0);
    int last = b.pcrs().get(b.pcrs().size() - 1);
    PcrValues missing = with(s.pcrs(), b.hash(), last, false);
    VerificationException e =
        failure(() -> verify(s, q.attest(), q.signature(), missing, s.expectations()));
    assertThat(e.failure()).isEqualTo(Failure.PCR_VALUES_MISSING);
    assertThat(e.getMessage()).contains(b.hash().shortName() + ":" + last);
  }

  /** A copy of {@code values} with one register changed (flip) or left out. */
  static PcrValues with(PcrValues values, HashAlg bank, int index, boolean flip) {
    PcrValues.Builder b = PcrValues.builder();
    for (HashAlg alg : values.banks()) {
      for (int i : values.indexes(alg)) {
        byte[] v = values.get(alg, i).orElseThrow();
        if (alg == bank && i == index) {
          if (!flip) {
            continue;
          }
          v[v.length - 1] ^= 1;
        }
        b.put(alg, i, v);
      }
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("quotes")
  void rejectsAnotherAttestationKey(QuoteSample s, QuoteSample.Quote q) throws Exception {
    for (QuoteSample other :
        List.of(
            QuoteSample.swtpm("rsa-ak", "ak.tpm2b_public"),
            QuoteSample.swtpm("ecc-ak", "ak.pem"),
            QuoteSample.keylimeCheckquote())) {
      AkKey wrong = other.ak();
      if (wrong.sameKey(s.ak().publicKey())) {
        continue;
      }
      VerificationException e =
          failure(
              () ->
                  TpmQuoteVerifier.verify(
                      q.attest(), q.signature(), wrong, s.pcrs(), s.expectations()));
      assertThat(e.failure()).isIn(Failure.SIGNATURE_INVALID, Failure.KEY_MISMATCH);
    }
  }

  @Test
  void checksTheSignatureBeforeTheNonceAndTheNonceBeforeThePcrs() throws Exception {
    QuoteSample s = QuoteSample.swtpm("rsa-ak", "ak.tpm2b_public");
    QuoteSample.Quote q = s.quotes().get(0);
    byte[] badAttest = q.attest().clone();
    badAttest[badAttest.length - 1] ^= 1;
    Expectations wrongNonce = Expectations.withNonce(Hex.decode("00"));
    PcrValues wrongPcrs = with(s.pcrs(), HashAlg.SHA256, 10, true);

    assertThat(failure(() -> verify(s, badAttest, q.signature(), wrongPcrs, wrongNonce)).failure())
        .isEqualTo(Failure.SIGNATURE_INVALID);
    assertThat(failure(() -> verify(s, q.attest(), q.signature(), wrongPcrs, wrongNonce)).failure())
        .isEqualTo(Failure.NONCE_MISMATCH);
    assertThat(
            failure(
                    () ->
                        verify(
                            s, q.attest(), q.signature(), PcrValues.builder().build(), wrongNonce))
                .failure())
        .isEqualTo(Failure.NONCE_MISMATCH);
  }

  @Test
  void rejectsAnAttestationThatIsNotAQuote() throws Exception {
    JsonNode d = Vectors.json("tpm-quote/go-attestation/windows_gcp_shielded_vm.json");
    byte[] creation = Base64.getDecoder().decode(d.at("/AK/CreateAttestation").asText());
    byte[] sig = Base64.getDecoder().decode(d.at("/AK/CreateSignature").asText());
    QuoteSample s = QuoteSample.goAttestationWindows();

    VerificationException e =
        failure(
            () -> TpmQuoteVerifier.verify(creation, sig, s.ak(), s.pcrs(), Expectations.none()));

    assertThat(e.failure()).isEqualTo(Failure.MALFORMED);
    assertThat(e.getMessage()).contains("CREATION");
  }

  @Test
  void rejectsAQuoteFromAKeyThatIsNotARestrictedSigningKey() throws Exception {
    QuoteSample s = QuoteSample.swtpm("rsa-ak", "ak.tpm2b_public");
    byte[] tpm2b = s.akBytes().clone();
    // objectAttributes sit after size(2), type(2), nameAlg(2); bit 16 (restricted) is in byte 5
    tpm2b[2 + 4 + 1] &= (byte) ~0x01;
    AkKey unrestricted = AkKeys.parse(tpm2b);
    assertThat(unrestricted.tpmPublic().orElseThrow().isRestrictedSigningKey()).isFalse();
    QuoteSample.Quote q = s.quotes().get(0);

    VerificationException e =
        failure(
            () ->
                TpmQuoteVerifier.verify(
                    q.attest(), q.signature(), unrestricted, s.pcrs(), s.expectations()));

    assertThat(e.failure()).isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void rejectsAHashTheAkIsNotFixedToButOnlyTheSignatureWhenTheAkFixesNone() throws Exception {
    // keylime checkquote's negative case "hash alg sha1 requested"
    QuoteSample s = QuoteSample.swtpm("rsa-ak", "ak.tpm2b_public");
    QuoteSample.Quote q = s.quotes().get(0);
    byte[] value = TpmSignature.parse(q.signature()).value();
    TpmSignature sha1 = TpmSignature.plain(TpmSignature.Algorithm.RSASSA, HashAlg.SHA1, value);
    TpmAttest attest = TpmAttest.parse(q.attest());

    assertThat(
            failure(() -> TpmQuoteVerifier.verify(attest, sha1, s.ak(), s.pcrs(), s.expectations()))
                .failure())
        .isEqualTo(Failure.KEY_MISMATCH);
    AkKey pem = AkKeys.parse(Vectors.bytes("swtpm/rsa-ak/ak.pem"));
    assertThat(
            failure(() -> TpmQuoteVerifier.verify(attest, sha1, pem, s.pcrs(), s.expectations()))
                .failure())
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsSignatureSchemesVouchDoesNotVerify() throws Exception {
    QuoteSample s = QuoteSample.swtpm("ecc-ak", "ak.pem");
    byte[] attest = s.quotes().get(0).attest();
    byte[] ecdsa = s.quotes().get(0).signature();
    for (int alg : new int[] {TpmAlg.ECSCHNORR, TpmAlg.SM2, TpmAlg.ECDAA}) {
      byte[] other = ecdsa.clone();
      other[0] = (byte) (alg >>> 8);
      other[1] = (byte) alg;
      assertThat(failure(() -> verify(s, attest, other, s.pcrs(), s.expectations())).failure())
          .as(TpmAlg.name(alg))
          .isEqualTo(Failure.UNSUPPORTED);
    }
    byte[] hmac = new byte[2 + 2 + 32];
    hmac[1] = TpmAlg.HMAC;
    hmac[3] = 0x0b;
    assertThat(failure(() -> verify(s, attest, hmac, s.pcrs(), s.expectations())).failure())
        .isEqualTo(Failure.UNSUPPORTED);
    byte[] none = {0x00, 0x10};
    assertThat(failure(() -> verify(s, attest, none, s.pcrs(), s.expectations())).failure())
        .isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void rejectsAnRsaSignatureForAnEccKey() throws Exception {
    QuoteSample ecc = QuoteSample.swtpm("ecc-ak", "ak.tpm2b_public");
    QuoteSample rsa = QuoteSample.swtpm("rsa-ak", "ak.tpm2b_public");
    VerificationException e =
        failure(
            () ->
                TpmQuoteVerifier.verify(
                    ecc.quotes().get(0).attest(),
                    rsa.quotes().get(0).signature(),
                    ecc.ak(),
                    ecc.pcrs(),
                    ecc.expectations()));
    assertThat(e.failure()).isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void rejectsKeylimeCheckquoteNegativeCases() throws Exception {
    QuoteSample s = QuoteSample.keylimeCheckquote();
    QuoteSample.Quote q = s.quotes().get(0);

    byte[] flipped = q.attest().clone();
    flipped[5] ^= 1; // turns the QUOTE type 0x8018 into TIME 0x8019
    assertThat(
            failure(() -> verify(s, flipped, q.signature(), s.pcrs(), s.expectations())).failure())
        .isEqualTo(Failure.MALFORMED);

    Expectations nonceA = Expectations.withNonce("ai5M5SjYjnkyv4P7itH1".getBytes());
    assertThat(failure(() -> verify(s, q.attest(), q.signature(), s.pcrs(), nonceA)).failure())
        .isEqualTo(Failure.NONCE_MISMATCH);

    byte[] dump = Vectors.bytes("tpm-quote/keylime/checkquote/quotepcr.out");
    dump[5] ^= 1; // the high byte of the bank's hash id: 0x000b becomes 0x010b
    assertThat(failure(() -> PcrFiles.fromSerialized(dump)).failure())
        .isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void verifiesAPlainSignatureOnlyWithItsPlainPcrFile() throws Exception {
    QuoteSample plain = QuoteSample.swtpmPlain();
    QuoteSample.Quote q = plain.quotes().get(0);
    VerifiedQuote v = verify(plain, q.attest(), q.signature(), plain.pcrs(), plain.expectations());
    assertThat(v.signature().algorithm()).isEqualTo(TpmSignature.Algorithm.RSASSA);

    byte[] values = Vectors.bytes("swtpm/rsa-ak/plain-pcrs.values");
    byte[] shorter = java.util.Arrays.copyOf(values, values.length - 1);
    assertThat(failure(() -> PcrFiles.fromConcatenated(v.selection(), shorter)).failure())
        .isEqualTo(Failure.MALFORMED);
  }

  @Test
  void verifiesTpm2ToolsFilesWithEitherPcrFileForm() throws Exception {
    String p = "swtpm/rsa-ak/";
    byte[] nonce = Hex.decode(Vectors.text(p + "nonce.hex"));
    VerifiedQuote serialized =
        TpmQuoteVerifier.verifyTpm2ToolsFiles(
            Vectors.bytes(p + "quote.msg"),
            Vectors.bytes(p + "quote.sig"),
            Vectors.bytes(p + "ak.pem"),
            Vectors.bytes(p + "pcrs.out"),
            Expectations.withNonce(nonce));
    VerifiedQuote values =
        TpmQuoteVerifier.verifyTpm2ToolsFiles(
            Vectors.bytes(p + "plain-quote.msg"),
            Vectors.bytes(p + "plain-quote.sig"),
            Vectors.bytes(p + "ak.tpm2b_public"),
            Vectors.bytes(p + "plain-pcrs.values"),
            Expectations.withNonce(Hex.decode(Vectors.text(p + "plain-nonce.hex"))));

    assertThat(values.pcrs()).isEqualTo(serialized.pcrs());
    assertThat(
            failure(
                    () ->
                        TpmQuoteVerifier.verifyTpm2ToolsFiles(
                            Vectors.bytes(p + "quote.msg"),
                            Vectors.bytes(p + "quote.sig"),
                            Vectors.bytes(p + "ak.pem"),
                            new byte[100],
                            Expectations.withNonce(nonce)))
                .failure())
        .isEqualTo(Failure.MALFORMED);
  }
}
