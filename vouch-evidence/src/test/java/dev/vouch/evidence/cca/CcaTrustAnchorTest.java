package dev.vouch.evidence.cca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class CcaTrustAnchorTest {

  private static void assertFails(ThrowingRunnable r, Failure failure) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(failure));
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void thePemTheJwkAndTheStoreNameTheSameCpak() throws Exception {
    EcKey pem = CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.RMM_CPAK)).get(0).key();
    EcKey jwk = CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.TRUSTEE_CPAK)).get(0).key();
    List<CcaTrustAnchor> store =
        CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.TRUSTEE_TA_STORE));
    assertThat(pem.curve()).isEqualTo(EcCurve.P384);
    assertThat(jwk).isEqualTo(pem);
    assertThat(store).hasSize(1);
    assertThat(store.get(0).key()).isEqualTo(pem);
    assertThat(store.get(0).implementationId().orElseThrow())
        .isEqualTo(Hex.decode("7f454c4602010100000000000000000003003e00010000005058000000000000"));
  }

  @Test
  void aDerPublicKeyIsRecognisedLikeItsPem() throws Exception {
    String pem = new String(CcaVectors.bytes(CcaVectors.PSA_KEY), StandardCharsets.US_ASCII);
    byte[] der =
        Base64.getMimeDecoder()
            .decode(
                pem.replace("-----BEGIN PUBLIC KEY-----", "")
                    .replace("-----END PUBLIC KEY-----", ""));
    assertThat(CcaTrustAnchor.recognise(der))
        .isEqualTo(CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.PSA_KEY)));
    assertThat(CcaTrustAnchor.recognise(der).get(0).key().curve()).isEqualTo(EcCurve.P256);
  }

  @Test
  void filesOfOtherKindsAreIgnored() throws Exception {
    assertThat(CcaTrustAnchor.recognise(CcaVectors.bytes("trustee/cca-claims.json"))).isEmpty();
    assertThat(CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.TRUSTEE_TOKEN))).isEmpty();
    assertThat(CcaTrustAnchor.recognise("-----BEGIN CERTIFICATE-----\n".getBytes())).isEmpty();
    assertThat(CcaTrustAnchor.recognise("{not json".getBytes())).isEmpty();
  }

  @Test
  void aKeyOffItsCurveIsRefused() {
    String jwk =
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\""
            + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32])
            + "\",\"y\":\""
            + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32])
            + "\"}";
    assertFails(() -> CcaTrustAnchor.recognise(jwk.getBytes()), Failure.MALFORMED);
    byte[] point = new byte[97];
    point[0] = 4;
    point[1] = 1;
    assertFails(() -> EcKey.fromUncompressedPoint(point), Failure.MALFORMED);
  }

  @Test
  void keysOfOtherTypesAndCurvesAreUnsupported() {
    assertFails(
        () ->
            CcaTrustAnchor.recognise(
                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}".getBytes()),
        Failure.UNSUPPORTED);
    assertFails(
        () ->
            CcaTrustAnchor.recognise(
                "{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"AA\",\"y\":\"AA\"}".getBytes()),
        Failure.UNSUPPORTED);
    // compressed points have no place in the claims this verifier reads
    byte[] compressed = new byte[49];
    compressed[0] = 2;
    assertFails(() -> EcKey.fromUncompressedPoint(compressed), Failure.MALFORMED);
  }

  @Test
  void aStoreEntryWithABadIdIsMalformed() {
    String store =
        "[{\"pkey\":"
            + new String(CcaVectors.bytes(CcaVectors.TRUSTEE_CPAK), StandardCharsets.UTF_8)
            + ",\"implementation-id\":\"xyz\"}]";
    assertFails(() -> CcaTrustAnchor.recognise(store.getBytes()), Failure.MALFORMED);
  }
}
