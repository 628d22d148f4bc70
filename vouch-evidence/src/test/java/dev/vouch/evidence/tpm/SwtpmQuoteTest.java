package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Quotes made just now by a live swtpm through tpm2-tools, an independent implementation, verify in
 * Vouch; the same quotes with any one thing changed do not.
 */
class SwtpmQuoteTest {
  private static final String SELECTION = "sha256:0,1,2,3,4,5,6,7,10";
  private static final Map<String, String> HANDLES =
      Map.of("ecc", "0x81010002", "rsa", "0x81010003");

  private static Swtpm tpm;
  private static byte[] pcr10;

  @BeforeAll
  static void manufactureTpmWithTwoAks() throws Exception {
    tpm = Swtpm.start();
    createAk("ecc", "ecdsa");
    createAk("rsa", "rsassa");
    byte[] measurement = HashAlg.SHA256.digest("vouch-live-test".getBytes());
    tpm.tpm2("tpm2_pcrextend", "10:sha256=" + Hex.encode(measurement));
    pcr10 = PcrValues.extend(HashAlg.SHA256, new byte[32], measurement);
  }

  private static void createAk(String type, String scheme) throws Exception {
    tpm.tpm2(
        "tpm2_createak",
        "-C",
        "0x81010001",
        "-c",
        type + ".ctx",
        "-G",
        type,
        "-g",
        "sha256",
        "-s",
        scheme,
        "-u",
        type + ".pub",
        "-n",
        type + ".name");
    tpm.flush();
    tpm.tpm2("tpm2_evictcontrol", "-C", "o", "-c", type + ".ctx", HANDLES.get(type));
    tpm.flush();
    tpm.tpm2("tpm2_readpublic", "-c", HANDLES.get(type), "-o", type + ".tpm2b_public");
  }

  @AfterAll
  static void stop() throws Exception {
    if (tpm != null) {
      tpm.close();
    }
  }

  private record LiveQuote(
      byte[] attest, byte[] signature, PcrValues pcrs, byte[] nonce, AkKey ak) {}

  private static LiveQuote quote(String type, boolean plain) throws Exception {
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    String p = type + (plain ? "-plain" : "");
    if (plain) {
      tpm.tpm2(
          "tpm2_quote",
          "-c",
          HANDLES.get(type),
          "-l",
          SELECTION,
          "-q",
          Hex.encode(nonce),
          "-m",
          p + ".msg",
          "-s",
          p + ".sig",
          "-f",
          "plain",
          "-o",
          p + ".values",
          "-F",
          "values",
          "-g",
          "sha256");
    } else {
      tpm.tpm2(
          "tpm2_quote",
          "-c",
          HANDLES.get(type),
          "-l",
          SELECTION,
          "-q",
          Hex.encode(nonce),
          "-m",
          p + ".msg",
          "-s",
          p + ".sig",
          "-o",
          p + ".values",
          "-F",
          "values",
          "-g",
          "sha256");
    }
    tpm.flush();
    byte[] attest = Files.readAllBytes(tpm.dir().resolve(p + ".msg"));
    PcrSelection selection = TpmAttest.parse(attest).quote().orElseThrow().selection();
    return new LiveQuote(
        attest,
        Files.readAllBytes(tpm.dir().resolve(p + ".sig")),
        PcrFiles.fromConcatenated(selection, Files.readAllBytes(tpm.dir().resolve(p + ".values"))),
        nonce,
        AkKeys.parse(Files.readAllBytes(tpm.dir().resolve(type + ".tpm2b_public"))));
  }

  private static VerifiedQuote verify(
      LiveQuote q, byte[] attest, byte[] sig, PcrValues pcrs, byte[] nonce, AkKey ak)
      throws VerificationException {
    return TpmQuoteVerifier.verify(attest, sig, ak, pcrs, Expectations.withNonce(nonce));
  }

  private static Failure failure(TpmQuoteVerifierTest.ThrowingRunnable r) {
    VerificationException e = catchThrowableOfType(VerificationException.class, r::run);
    assertThat(e).as("expected a VerificationException").isNotNull();
    return e.failure();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ecc", "rsa"})
  void theAkNameIsTheNameTpm2ToolsReports(String type) throws Exception {
    TpmPublic pub = TpmPublic.parse(Files.readAllBytes(tpm.dir().resolve(type + ".tpm2b_public")));
    assertThat(pub.name()).isEqualTo(Files.readAllBytes(tpm.dir().resolve(type + ".name")));
    assertThat(pub.isRestrictedSigningKey()).isTrue();
    assertThat(pub.type()).isEqualTo(type.equals("ecc") ? TpmPublic.Type.ECC : TpmPublic.Type.RSA);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ecc", "rsa"})
  void verifiesAFreshQuoteInBothSignatureForms(String type) throws Exception {
    for (boolean plain : new boolean[] {false, true}) {
      LiveQuote q = quote(type, plain);

      VerifiedQuote v = verify(q, q.attest(), q.signature(), q.pcrs(), q.nonce(), q.ak());

      assertThat(v.selection().toString()).isEqualTo(SELECTION);
      assertThat(v.pcrs().get(HashAlg.SHA256, 10)).hasValue(pcr10);
      assertThat(v.pcrs().get(HashAlg.SHA256, 0)).hasValue(new byte[32]);
      assertThat(v.attest().extraData()).isEqualTo(q.nonce());
      assertThat(v.signature().algorithm())
          .isEqualTo(
              type.equals("ecc") ? TpmSignature.Algorithm.ECDSA : TpmSignature.Algorithm.RSASSA);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"ecc", "rsa"})
  void rejectsAFreshQuoteWithAnyOneThingChanged(String type) throws Exception {
    LiveQuote q = quote(type, false);

    for (int i = 0; i < q.attest().length; i++) {
      byte[] bad = q.attest().clone();
      bad[i] ^= 0x10;
      Failure f = failure(() -> verify(q, bad, q.signature(), q.pcrs(), q.nonce(), q.ak()));
      assertThat(f)
          .as("attest byte %d", i)
          .isIn(
              Failure.SIGNATURE_INVALID, Failure.MALFORMED, Failure.TRUNCATED, Failure.UNSUPPORTED);
    }
    byte[] lastByte = q.attest().clone();
    lastByte[lastByte.length - 1] ^= 1; // inside pcrDigest: still a well-formed quote
    assertThat(failure(() -> verify(q, lastByte, q.signature(), q.pcrs(), q.nonce(), q.ak())))
        .isEqualTo(Failure.SIGNATURE_INVALID);

    byte[] badSig = q.signature().clone();
    badSig[badSig.length - 1] ^= 1;
    assertThat(failure(() -> verify(q, q.attest(), badSig, q.pcrs(), q.nonce(), q.ak())))
        .isEqualTo(Failure.SIGNATURE_INVALID);

    byte[] otherNonce = q.nonce().clone();
    otherNonce[0] ^= 1;
    assertThat(failure(() -> verify(q, q.attest(), q.signature(), q.pcrs(), otherNonce, q.ak())))
        .isEqualTo(Failure.NONCE_MISMATCH);

    PcrValues changed = TpmQuoteVerifierTest.with(q.pcrs(), HashAlg.SHA256, 10, true);
    assertThat(failure(() -> verify(q, q.attest(), q.signature(), changed, q.nonce(), q.ak())))
        .isEqualTo(Failure.PCR_DIGEST_MISMATCH);

    PcrValues missing = TpmQuoteVerifierTest.with(q.pcrs(), HashAlg.SHA256, 10, false);
    assertThat(failure(() -> verify(q, q.attest(), q.signature(), missing, q.nonce(), q.ak())))
        .isEqualTo(Failure.PCR_VALUES_MISSING);

    String other = type.equals("ecc") ? "rsa" : "ecc";
    AkKey otherAk = AkKeys.parse(Files.readAllBytes(tpm.dir().resolve(other + ".tpm2b_public")));
    assertThat(failure(() -> verify(q, q.attest(), q.signature(), q.pcrs(), q.nonce(), otherAk)))
        .isEqualTo(Failure.KEY_MISMATCH);
    AkKey sameTypeOtherKey = AkKeys.parse(Vectors.bytes("swtpm/" + type + "-ak/ak.tpm2b_public"));
    assertThat(
            failure(
                () -> verify(q, q.attest(), q.signature(), q.pcrs(), q.nonce(), sameTypeOtherKey)))
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }
}
