package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.nio.charset.StandardCharsets;
import org.bouncycastle.crypto.digests.SM3Digest;
import org.junit.jupiter.api.Test;

/**
 * Keylime's {@code ima-log-sm3_256} fixture: a 32-byte template hash column that is SM3, not
 * SHA-256. Expected registers were replayed with Python's OpenSSL SM3, SHA-1 and SHA-256.
 */
class ImaSm3Test {
  private static final String SM3_PCR10 =
      "9e6066a7981769154d79a1ce330020099eba2683e55729413b536a27bf517d81";
  private static final String SHA256_PCR10 =
      "4b2794784f13841ecdd6626211bd572eb4862e633ea198cdf8fecf7c1929043d";
  private static final String SHA1_PCR10 = "6956cf4a0031dae91883dd046db1731a8cdfc6b2";

  @Test
  void theSm3DigestIsBouncyCastlesSm3() {
    byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
    SM3Digest bc = new SM3Digest();
    bc.update(abc, 0, abc.length);
    byte[] out = new byte[32];
    bc.doFinal(out, 0);
    // GB/T 32905-2016 example 1
    assertThat(Hex.encode(out))
        .isEqualTo("66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
    assertThat(HashAlg.SM3_256.digest(abc)).isEqualTo(out);
  }

  @Test
  void anSm3AsciiListIsRecognisedNotCalledTampered() throws Exception {
    ImaLog log = ImaLog.parse(ImaResources.bytes("keylime/ima-log-sm3_256"));
    assertThat(log.templateHashAlg()).isEqualTo(HashAlg.SM3_256);
    assertThat(log.templateHashesVerified()).isEqualTo(1);
    assertThat(log.violations()).isEqualTo(1);
  }

  @Test
  void anSm3BinaryListIsRecognisedToo() throws Exception {
    byte[] bin = ImaResources.bytes("keylime/ima-log-sm3_256.binary_runtime_measurements");
    assertThat(ImaLog.parse(bin).templateHashAlg()).isEqualTo(HashAlg.SM3_256);
    assertThat(ImaLog.parse(bin).entries())
        .isEqualTo(ImaLog.parse(ImaResources.bytes("keylime/ima-log-sm3_256")).entries());
  }

  @Test
  void bothExportsReplayTheSm3BankByDefault() throws Exception {
    for (String f :
        new String[] {
          "keylime/ima-log-sm3_256", "keylime/ima-log-sm3_256.binary_runtime_measurements"
        }) {
      ImaReplay.Result r =
          ImaReplay.replayDefaultBanks(ImaResources.bytes(f), ImaReplayMode.PER_BANK);
      assertThat(r.templateHashAlg()).as(f).isEqualTo(HashAlg.SM3_256);
      assertThat(r.pcrs().get(HashAlg.SM3_256, 10).map(Hex::encode)).as(f).contains(SM3_PCR10);
      assertThat(r.pcrs().get(HashAlg.SHA256, 10).map(Hex::encode)).as(f).contains(SHA256_PCR10);
      assertThat(r.pcrs().get(HashAlg.SHA1, 10).map(Hex::encode)).as(f).contains(SHA1_PCR10);
    }
  }

  @Test
  void anSm3ListWithAFlippedDigestBitIsAMismatchNamingTheLine() {
    String text =
        new String(ImaResources.bytes("keylime/ima-log-sm3_256"), StandardCharsets.US_ASCII)
            .replace("sm3_256:96d7", "sm3_256:96d6");
    assertThatThrownBy(() -> ImaLog.parse(text.getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("line 2")
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.TEMPLATE_HASH_MISMATCH);
  }

  @Test
  void aTemplateHashOfAnUnknownSizeIsUnsupportedNotTampered() {
    String line = "10 " + "ab".repeat(28) + " ima-ng sha224:" + "00".repeat(28) + " /bin/true\n";
    assertThatThrownBy(() -> ImaLog.parse(line.getBytes(StandardCharsets.US_ASCII)))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("line 1")
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void aSha256ListStaysSha256() throws Exception {
    // a 32-byte column whose first real entry is SHA-256: built here, hashed with the JDK
    java.io.ByteArrayOutputStream d = new java.io.ByteArrayOutputStream();
    byte[] dng = new byte[8 + 32];
    System.arraycopy("sha256:".getBytes(StandardCharsets.US_ASCII), 0, dng, 0, 7);
    byte[] nng = "/bin/true\0".getBytes(StandardCharsets.US_ASCII);
    for (byte[] f : new byte[][] {dng, nng}) {
      d.write(
          java.nio.ByteBuffer.allocate(4)
              .order(java.nio.ByteOrder.LITTLE_ENDIAN)
              .putInt(f.length)
              .array());
      d.write(f);
    }
    byte[] data = d.toByteArray();
    String line =
        "10 "
            + Hex.encode(java.security.MessageDigest.getInstance("SHA-256").digest(data))
            + " ima-ng sha256:"
            + "00".repeat(32)
            + " /bin/true\n";
    ImaLog log = ImaLog.parse(line.getBytes(StandardCharsets.US_ASCII));
    assertThat(log.templateHashAlg()).isEqualTo(HashAlg.SHA256);
  }
}
