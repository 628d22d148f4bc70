package dev.vouch.evidence.cca;

import static dev.vouch.evidence.cca.CborWriter.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CoseSign1Test {
  private static final byte[] PAYLOAD = CborWriter.encode(map(10, new byte[32]));

  private static void assertFails(ThrowingRunnable r, Failure failure) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(failure));
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @ParameterizedTest
  @EnumSource(CoseAlgorithm.class)
  void verifiesMessagesSignedWithEachAlgorithmOnItsCurve(CoseAlgorithm alg) throws Exception {
    KeyPair kp = TokenForge.generate(alg.curve());
    byte[] msg = TokenForge.sign1(alg, kp.getPrivate(), PAYLOAD);
    CoseSign1 cose = CoseSign1.decode(msg, CoseSign1.Tagging.REQUIRED, "msg");
    assertThat(cose.algorithm()).isEqualTo(alg);
    assertThat(cose.payload()).isEqualTo(PAYLOAD);
    cose.verify(EcKey.fromUncompressedPoint(TokenForge.point(kp)), "msg");
  }

  @Test
  void buildsTheSigStructureOverTheProtectedHeaderAsReceived() throws Exception {
    byte[] prot = Hex.decode("a10126");
    CoseSign1 cose = new CoseSign1(prot, CoseAlgorithm.ES256, Hex.decode("a0"), new byte[64]);
    // ["Signature1", h'a10126', h'', h'a0']
    assertThat(Hex.encode(cose.toBeSigned())).isEqualTo("846a5369676e61747572653143a101264041a0");
  }

  @Test
  void rejectsASignatureByAnotherKey() throws Exception {
    KeyPair signer = TokenForge.generate(EcCurve.P256);
    KeyPair other = TokenForge.generate(EcCurve.P256);
    CoseSign1 cose =
        CoseSign1.decode(
            TokenForge.sign1(CoseAlgorithm.ES256, signer.getPrivate(), PAYLOAD),
            CoseSign1.Tagging.REQUIRED,
            "msg");
    assertFails(
        () -> cose.verify(EcKey.fromUncompressedPoint(TokenForge.point(other)), "msg"),
        Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsAKeyOnAnotherCurveThanTheAlgorithmNames() throws Exception {
    KeyPair p256 = TokenForge.generate(EcCurve.P256);
    KeyPair p384 = TokenForge.generate(EcCurve.P384);
    CoseSign1 cose =
        CoseSign1.decode(
            TokenForge.sign1(CoseAlgorithm.ES256, p256.getPrivate(), PAYLOAD),
            CoseSign1.Tagging.REQUIRED,
            "msg");
    assertFails(
        () -> cose.verify(EcKey.fromUncompressedPoint(TokenForge.point(p384)), "msg"),
        Failure.KEY_MISMATCH);
  }

  @Test
  void requiresTag18WhenAskedAndRefusesAnyOtherTag() throws Exception {
    KeyPair kp = TokenForge.generate(EcCurve.P256);
    byte[] prot = CborWriter.encode(map(1, -7));
    byte[] untagged =
        TokenForge.sign1(CoseAlgorithm.ES256, kp.getPrivate(), prot, map(), PAYLOAD, false);
    assertFails(
        () -> CoseSign1.decode(untagged, CoseSign1.Tagging.REQUIRED, "msg"), Failure.MALFORMED);
    assertThat(CoseSign1.decode(untagged, CoseSign1.Tagging.OPTIONAL, "msg").payload())
        .isEqualTo(PAYLOAD);
    byte[] wrongTag = new byte[untagged.length + 2];
    wrongTag[0] = (byte) 0xd8;
    wrongTag[1] = 98;
    System.arraycopy(untagged, 0, wrongTag, 2, untagged.length);
    assertFails(
        () -> CoseSign1.decode(wrongTag, CoseSign1.Tagging.OPTIONAL, "msg"), Failure.MALFORMED);
  }

  @Test
  void refusesHeadersThatWouldChangeTheMeaningOfTheSignature() throws Exception {
    KeyPair kp = TokenForge.generate(EcCurve.P256);
    byte[] okProt = CborWriter.encode(map(1, -7));
    // critical headers
    assertFails(
        () -> decode(kp, CborWriter.encode(map(1, -7, 2, List.of(99))), map()),
        Failure.UNSUPPORTED);
    // algorithm only in the unprotected bucket
    assertFails(() -> decode(kp, new byte[0], map(1, -7)), Failure.MALFORMED);
    // the same label in both buckets
    assertFails(() -> decode(kp, okProt, map(1, -7)), Failure.MALFORMED);
    // protected header that is not a map
    assertFails(() -> decode(kp, CborWriter.encode(List.of(1)), map()), Failure.MALFORMED);
    // algorithm that is not ECDSA (EdDSA, -8)
    assertFails(() -> decode(kp, CborWriter.encode(map(1, -8)), map()), Failure.UNSUPPORTED);
    // a key ID in the unprotected header is harmless
    assertThat(decode(kp, okProt, map(4, new byte[] {1})).algorithm())
        .isEqualTo(CoseAlgorithm.ES256);
  }

  @Test
  void refusesStructuresOtherThanFourElementsWithAnAttachedPayload() {
    byte[] prot = CborWriter.encode(map(1, -7));
    byte[] sig = new byte[64];
    assertFails(() -> parse(List.of(prot, map(), PAYLOAD)), Failure.MALFORMED);
    assertFails(() -> parse(List.of(prot, map(), PAYLOAD, sig, sig)), Failure.MALFORMED);
    assertFails(() -> parse(List.of(prot, map(), "text", sig)), Failure.UNSUPPORTED);
    assertFails(() -> parse(List.of(prot, prot, PAYLOAD, sig)), Failure.MALFORMED);
    // an ES256 signature is 64 bytes
    assertFails(() -> parse(List.of(prot, map(), PAYLOAD, new byte[63])), Failure.MALFORMED);
    assertFails(() -> parse(List.of(prot, map(), PAYLOAD, new byte[96])), Failure.MALFORMED);
  }

  private static CoseSign1 parse(List<Object> parts) throws VerificationException {
    return CoseSign1.decode(
        CborWriter.encode(new CborWriter.Tag(18, parts)), CoseSign1.Tagging.REQUIRED, "msg");
  }

  private static CoseSign1 decode(KeyPair kp, byte[] prot, java.util.Map<Object, Object> unprot)
      throws VerificationException {
    return CoseSign1.decode(
        TokenForge.sign1(CoseAlgorithm.ES256, kp.getPrivate(), prot, unprot, PAYLOAD, true),
        CoseSign1.Tagging.REQUIRED,
        "msg");
  }
}
