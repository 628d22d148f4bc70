package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * MakeCredential against the software ActivateCredential ({@link CredentialProtection#activate},
 * TPM 2.0 Part 1 credential protection), over RSA and ECC endorsement keys whose private halves the
 * test holds. The real TPM side is exercised against swtpm in vouch-agent's
 * CredentialActivationTest.
 */
class CredentialProtectionTest {
  /** PolicySecret(TPM_RH_ENDORSEMENT), the EK templates' policy. */
  private static final byte[] EK_POLICY =
      dev.vouch.core.bytes.Hex.decode(
          "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");

  private static final byte[] AK_NAME = name(HashAlg.SHA256.digest(new byte[] {42}));

  private static byte[] name(byte[] digest) {
    byte[] n = new byte[2 + digest.length];
    n[1] = 0x0B;
    System.arraycopy(digest, 0, n, 2, digest.length);
    return n;
  }

  private static final class W {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    W u16(int v) {
      out.write(v >>> 8);
      out.write(v);
      return this;
    }

    W u32(long v) {
      return u16((int) (v >>> 16)).u16((int) v);
    }

    W b2(byte[] b) {
      u16(b.length);
      out.writeBytes(b);
      return this;
    }

    byte[] tpm2b() {
      return new W().b2(out.toByteArray()).out.toByteArray();
    }
  }

  private static byte[] fixed(BigInteger v, int n) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[n];
    int len = Math.min(b.length, n);
    System.arraycopy(b, b.length - len, out, n - len, len);
    return out;
  }

  private static byte[] rsaEk(RSAPublicKey k) {
    return new W()
        .u16(0x0001)
        .u16(0x000B)
        .u32(0x000300B2)
        .b2(EK_POLICY)
        .u16(0x0006)
        .u16(128)
        .u16(0x0043)
        .u16(0x0010)
        .u16(2048)
        .u32(0)
        .b2(fixed(k.getModulus(), 256))
        .tpm2b();
  }

  private static byte[] eccEk(ECPublicKey k) {
    return new W()
        .u16(0x0023)
        .u16(0x000B)
        .u32(0x000300B2)
        .b2(EK_POLICY)
        .u16(0x0006)
        .u16(128)
        .u16(0x0043)
        .u16(0x0010)
        .u16(0x0003)
        .u16(0x0010)
        .b2(fixed(k.getW().getAffineX(), 32))
        .b2(fixed(k.getW().getAffineY(), 32))
        .tpm2b();
  }

  @Test
  void rsaEkCredentialOpensWithTheEkAndTheNamedObjectOnly() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair ek = g.generateKeyPair();
    byte[] secret = HashAlg.SHA256.digest(new byte[] {1});
    byte[] ekPublic = rsaEk((RSAPublicKey) ek.getPublic());
    CredentialProtection.Credential c =
        CredentialProtection.makeCredential(ekPublic, AK_NAME, secret);
    assertThat(c.encryptedSecret()).hasSize(256);
    assertThat(CredentialProtection.activate(c, ek.getPrivate(), ekPublic, AK_NAME))
        .isEqualTo(secret);
    byte[] otherName = AK_NAME.clone();
    otherName[5] ^= 1;
    assertThatThrownBy(() -> CredentialProtection.activate(c, ek.getPrivate(), ekPublic, otherName))
        .hasMessageStartingWith("TPM_RC_INTEGRITY");
  }

  @Test
  void eccEkCredentialOpensWithTheEkAndTheNamedObjectOnly() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ek = g.generateKeyPair();
    ECPublicKey pub = (ECPublicKey) ek.getPublic();
    byte[] secret = Arrays.copyOf(HashAlg.SHA256.digest(new byte[] {2}), 20);
    byte[] ekPublic = eccEk(pub);
    CredentialProtection.Credential c =
        CredentialProtection.makeCredential(ekPublic, AK_NAME, secret);
    assertThat(c.encryptedSecret()).hasSize(2 + 32 + 2 + 32);
    assertThat(CredentialProtection.activate(c, ek.getPrivate(), ekPublic, AK_NAME))
        .isEqualTo(secret);
    byte[] otherName = AK_NAME.clone();
    otherName[2] ^= 1;
    assertThatThrownBy(() -> CredentialProtection.activate(c, ek.getPrivate(), ekPublic, otherName))
        .hasMessageStartingWith("TPM_RC_INTEGRITY");
  }

  @Test
  void eachCredentialUsesAFreshSeed() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    byte[] ek = rsaEk((RSAPublicKey) g.generateKeyPair().getPublic());
    byte[] secret = new byte[32];
    assertThat(CredentialProtection.makeCredential(ek, AK_NAME, secret).idObject())
        .isNotEqualTo(CredentialProtection.makeCredential(ek, AK_NAME, secret).idObject());
  }

  @Test
  void signingKeyIsRefusedAsEk() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    byte[] ek = rsaEk((RSAPublicKey) g.generateKeyPair().getPublic());
    // objectAttributes sit after the size, type and nameAlg: clear decrypt, set sign
    ek[7] = 0x05;
    assertThatThrownBy(() -> CredentialProtection.makeCredential(ek, AK_NAME, new byte[8]))
        .isInstanceOf(VerificationException.class)
        .satisfies(
            e -> assertThat(((VerificationException) e).failure()).isEqualTo(Failure.UNSUPPORTED));
  }
}
