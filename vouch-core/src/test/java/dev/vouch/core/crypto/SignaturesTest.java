package dev.vouch.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SignaturesTest {
  private static final byte[] MESSAGE = "a TPMS_ATTEST stand-in".getBytes();
  private static KeyPair rsa;
  private static KeyPair ec;

  @BeforeAll
  static void keys() throws Exception {
    KeyPairGenerator r = KeyPairGenerator.getInstance("RSA");
    r.initialize(2048);
    rsa = r.generateKeyPair();
    KeyPairGenerator e = KeyPairGenerator.getInstance("EC");
    e.initialize(new ECGenParameterSpec("secp256r1"));
    ec = e.generateKeyPair();
  }

  private static byte[] sign(String alg, java.security.PrivateKey key, PSSParameterSpec pss)
      throws Exception {
    Signature s = Signature.getInstance(alg);
    s.initSign(key);
    if (pss != null) {
      s.setParameter(pss);
    }
    s.update(MESSAGE);
    return s.sign();
  }

  private static Failure failureOf(ThrowingCallable check) {
    VerificationException e = catchThrowableOfType(VerificationException.class, check);
    assertThat(e).as("the check throws").isNotNull();
    return e.failure();
  }

  @Test
  void verifiesRsaPkcs1AndRejectsAChangedMessage() throws Exception {
    byte[] sig = sign("SHA256withRSA", rsa.getPrivate(), null);
    Signatures.verify(SignatureScheme.RSA_PKCS1_SHA256, rsa.getPublic(), MESSAGE, sig);
    assertThat(
            failureOf(
                () ->
                    Signatures.verify(
                        SignatureScheme.RSA_PKCS1_SHA256,
                        rsa.getPublic(),
                        "other".getBytes(),
                        sig)))
        .isEqualTo(Failure.SIGNATURE_INVALID);
    assertThat(
            failureOf(
                () ->
                    Signatures.verify(
                        SignatureScheme.RSA_PKCS1_SHA1, rsa.getPublic(), MESSAGE, sig)))
        .isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void verifiesRsaPssWithTheHashLengthSaltOnly() throws Exception {
    PSSParameterSpec hashLength =
        new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);
    Signatures.verify(
        SignatureScheme.RSA_PSS_SHA256,
        rsa.getPublic(),
        MESSAGE,
        sign("RSASSA-PSS", rsa.getPrivate(), hashLength));
    // one salt length per scheme: a maximum-salt signature is not tried a second way
    PSSParameterSpec maxSalt =
        new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 256 - 32 - 2, 1);
    byte[] other = sign("RSASSA-PSS", rsa.getPrivate(), maxSalt);
    assertThat(
            failureOf(
                () ->
                    Signatures.verify(
                        SignatureScheme.RSA_PSS_SHA256, rsa.getPublic(), MESSAGE, other)))
        .isEqualTo(Failure.SIGNATURE_INVALID);
    assertThat(SignatureScheme.RSA_PSS_SHA384.pssSaltLength()).isEqualTo(48);
  }

  @Test
  void verifiesEcdsaWithAJdkKeyAndRejectsAGarbledSignature() throws Exception {
    byte[] sig = sign("SHA256withECDSA", ec.getPrivate(), null);
    Signatures.verify(SignatureScheme.ECDSA_SHA256, ec.getPublic(), MESSAGE, sig);
    assertThat(
            failureOf(
                () ->
                    Signatures.verify(
                        SignatureScheme.ECDSA_SHA256, ec.getPublic(), MESSAGE, new byte[] {1})))
        .isEqualTo(Failure.SIGNATURE_INVALID);
    byte[] flipped = sig.clone();
    flipped[flipped.length - 1] ^= 1;
    assertThat(Signatures.isValid(SignatureScheme.ECDSA_SHA256, ec.getPublic(), MESSAGE, flipped))
        .isFalse();
  }

  @Test
  void rejectsAKeyOfTheWrongTypeAsAKeyMismatch() {
    VerificationException e =
        catchThrowableOfType(
            VerificationException.class,
            () ->
                Signatures.verify(
                    SignatureScheme.RSA_PKCS1_SHA256, ec.getPublic(), MESSAGE, new byte[256]));
    assertThat(e.failure()).isEqualTo(Failure.KEY_MISMATCH);
    VerificationException r =
        catchThrowableOfType(
            VerificationException.class,
            () ->
                Signatures.requireValid(
                    SignatureScheme.RSA_PKCS1_SHA256,
                    rsa.getPublic(),
                    MESSAGE,
                    new byte[256],
                    "x"));
    assertThat(r.failure()).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void findsSchemesByFamilyAndHash() {
    assertThat(SignatureScheme.of(SignatureScheme.Family.ECDSA, HashAlg.SHA384))
        .contains(SignatureScheme.ECDSA_SHA384);
    assertThat(SignatureScheme.of(SignatureScheme.Family.ECDSA, HashAlg.SM3_256)).isEmpty();
  }

  @Property(tries = 500)
  void encodesEcdsaIntegersExactlyAsBouncyCastleDoes(
      @ForAll @Size(max = 70) byte[] r, @ForAll @Size(max = 70) byte[] s) throws Exception {
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(new BigInteger(1, r)));
    v.add(new ASN1Integer(new BigInteger(1, s)));
    byte[] expected = new DERSequence(v).getEncoded();

    assertThat(Signatures.ecdsaDer(r, s)).isEqualTo(expected);
  }

  @Test
  void splitsAConcatenatedSignatureInHalves() throws Exception {
    byte[] rs = new byte[64];
    rs[31] = 5;
    rs[32] = (byte) 0x80;
    byte[] der = Signatures.ecdsaDerFromConcatenated(rs);
    assertThat(der).startsWith(0x30, 0x26, 0x02, 0x01, 0x05, 0x02, 0x21, 0x00, 0x80);
  }

  @Test
  void pooledVerifiersGiveCorrectAnswersUnderConcurrentUse() throws Exception {
    byte[] rsaSig = sign("SHA256withRSA", rsa.getPrivate(), null);
    byte[] ecSig = sign("SHA256withECDSA", ec.getPrivate(), null);
    byte[] badEc = ecSig.clone();
    badEc[badEc.length - 1] ^= 1;
    java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
    try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        boolean valid = i % 3 != 0;
        boolean useRsa = i % 2 == 0;
        results.add(
            pool.submit(
                () -> {
                  boolean ok =
                      useRsa
                          ? Signatures.isValid(
                              SignatureScheme.RSA_PKCS1_SHA256,
                              rsa.getPublic(),
                              valid ? MESSAGE : new byte[] {9},
                              rsaSig)
                          : Signatures.isValid(
                              SignatureScheme.ECDSA_SHA256,
                              ec.getPublic(),
                              MESSAGE,
                              valid ? ecSig : badEc);
                  return ok == valid;
                }));
      }
    }
    for (var r : results) {
      assertThat(r.get()).isTrue();
    }
  }
}
