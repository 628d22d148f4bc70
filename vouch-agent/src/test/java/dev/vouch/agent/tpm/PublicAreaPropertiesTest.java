package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.CredentialProtection;
import dev.vouch.evidence.tpm.TpmPublic;
import java.math.BigInteger;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.EnumSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Public areas and credential protection over hostile input: only {@link VerificationException}
 * with TRUNCATED, MALFORMED or UNSUPPORTED, never an unchecked exception.
 */
class PublicAreaPropertiesTest {
  private static final EnumSet<Failure> PARSE_FAILURES =
      EnumSet.of(Failure.TRUNCATED, Failure.MALFORMED, Failure.UNSUPPORTED);
  private static final byte[] RSA_EK = syntheticRsaEk();
  private static final byte[] ECC_EK = syntheticEccEk();
  private static final byte[] AK_NAME =
      new TpmWriter().u16(0x000B).bytes(new byte[32]).toByteArray();

  /** The L-1 template with a JDK-generated modulus in place of the zero unique field. */
  static byte[] syntheticRsaEk() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      byte[] n = toSize(((RSAPublicKey) g.generateKeyPair().getPublic()).getModulus(), 256);
      byte[] t = KeyTemplate.ekRsa2048().tpmtPublic();
      byte[] area = new TpmWriter().bytes(Arrays.copyOf(t, t.length - 258)).tpm2b(n).toByteArray();
      return new TpmWriter().tpm2b(area).toByteArray();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The L-2 template with a JDK-generated P-256 point. */
  static byte[] syntheticEccEk() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      ECPublicKey k = (ECPublicKey) g.generateKeyPair().getPublic();
      byte[] t = KeyTemplate.ekEccP256().tpmtPublic();
      byte[] area =
          new TpmWriter()
              .bytes(Arrays.copyOf(t, t.length - 68))
              .tpm2b(toSize(k.getW().getAffineX(), 32))
              .tpm2b(toSize(k.getW().getAffineY(), 32))
              .toByteArray();
      return new TpmWriter().tpm2b(area).toByteArray();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] toSize(BigInteger v, int size) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[size];
    int len = Math.min(b.length, size);
    System.arraycopy(b, b.length - len, out, size - len, len);
    return out;
  }

  @Example
  void syntheticEksParseAndGiveCredentialsOfTheExpectedShape() throws Exception {
    TpmPublic rsa = TpmPublic.parse(RSA_EK);
    assertThat(rsa.type()).isEqualTo(TpmPublic.Type.RSA);
    assertThat(rsa.nameAlg()).isEqualTo(HashAlg.SHA256);
    CredentialProtection.Credential c =
        CredentialProtection.makeCredential(RSA_EK, AK_NAME, new byte[32]);
    // TPM2B HMAC (2 + 32) + encrypted TPM2B secret (2 + 32); one 2048-bit OAEP block
    assertThat(c.idObject()).hasSize(68);
    assertThat(c.encryptedSecret()).hasSize(256);
    CredentialProtection.Credential e =
        CredentialProtection.makeCredential(ECC_EK, AK_NAME, new byte[20]);
    assertThat(e.idObject()).hasSize(2 + 32 + 2 + 20);
    assertThat(e.encryptedSecret()).hasSize(2 + 32 + 2 + 32);
  }

  @Example
  void eccPointOffTheCurveIsMalformed() {
    byte[] bad = ECC_EK.clone();
    bad[bad.length - 1] ^= 1;
    try {
      CredentialProtection.makeCredential(bad, AK_NAME, new byte[8]);
      throw new AssertionError("accepted a point off the curve");
    } catch (VerificationException e) {
      assertThat(e.failure()).isEqualTo(Failure.MALFORMED);
    }
  }

  @Example
  void ekWithAnUnusableAesKeySizeIsUnsupported() {
    byte[] bad = RSA_EK.clone();
    // TPM2B size (2), type, nameAlg (4), attributes (4), authPolicy (34), symmetric alg (2)
    assertThat(new byte[] {bad[46], bad[47]}).containsExactly(0, (byte) 128);
    bad[46] = 1;
    bad[47] = 2; // 258 bits
    try {
      CredentialProtection.makeCredential(bad, AK_NAME, new byte[8]);
      throw new AssertionError("accepted a 258-bit AES key");
    } catch (VerificationException e) {
      assertThat(e.failure()).isEqualTo(Failure.UNSUPPORTED);
    }
  }

  @Provide
  Arbitrary<byte[]> anyBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(600);
  }

  @Property(tries = 300)
  void randomBytesNeverEscapeAsUncheckedExceptions(@ForAll("anyBytes") byte[] input) {
    try {
      TpmPublic p = TpmPublic.parse(input);
      p.toPublicKey();
    } catch (VerificationException e) {
      assertThat(e.failure()).isIn(PARSE_FAILURES);
    }
  }

  @Property(tries = 300)
  void mutatedEksGiveACredentialOrAParseFailure(
      @ForAll boolean ecc,
      @ForAll @IntRange(min = 0, max = 400) int position,
      @ForAll byte value,
      @ForAll @IntRange(min = 0, max = 400) int cut) {
    byte[] ek = (ecc ? ECC_EK : RSA_EK).clone();
    ek[position % ek.length] = value;
    byte[] input = Arrays.copyOf(ek, ek.length - (cut % 4 == 0 ? cut % ek.length : 0));
    try {
      CredentialProtection.Credential c =
          CredentialProtection.makeCredential(input, AK_NAME, new byte[16]);
      assertThat(c.idObject()).isNotEmpty();
    } catch (VerificationException e) {
      assertThat(e.failure()).isIn(PARSE_FAILURES);
    }
  }
}
