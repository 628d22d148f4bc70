package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.crypto.SignatureScheme;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.junit.jupiter.api.Test;

class TpmSignatureTest {

  @Test
  void convertsAnEcdsaTpmtSignatureToDer() throws Exception {
    byte[] raw = Vectors.bytes("swtpm/ecc-ak/quote.sig");
    TpmSignature sig = TpmSignature.parse(raw);

    assertThat(sig.algorithm()).isEqualTo(TpmSignature.Algorithm.ECDSA);
    assertThat(sig.scheme()).contains(SignatureScheme.ECDSA_SHA256);
    ASN1Sequence seq = ASN1Sequence.getInstance(sig.value());
    byte[] r = Arrays.copyOfRange(raw, 6, 38);
    byte[] s = Arrays.copyOfRange(raw, 40, 72);
    assertThat(ASN1Integer.getInstance(seq.getObjectAt(0)).getPositiveValue())
        .isEqualTo(new java.math.BigInteger(1, r));
    assertThat(ASN1Integer.getInstance(seq.getObjectAt(1)).getPositiveValue())
        .isEqualTo(new java.math.BigInteger(1, s));
  }

  @Test
  void encodingAnEcdsaSignatureGivesBackTheSwtpmBytes() throws Exception {
    byte[] raw = Vectors.bytes("swtpm/ecc-ak/quote.sig");
    byte[] r = Arrays.copyOfRange(raw, 6, 38);
    byte[] s = Arrays.copyOfRange(raw, 40, 72);

    byte[] encoded = TpmSignature.encodeEcdsa(dev.vouch.core.crypto.HashAlg.SHA256, r, s);

    assertThat(encoded).isEqualTo(raw);
    assertThat(TpmSignature.parse(encoded).value()).isEqualTo(TpmSignature.parse(raw).value());
  }

  @Test
  void readsAnRsassaTpmtSignature() throws Exception {
    TpmSignature sig = TpmSignature.parse(Vectors.bytes("swtpm/rsa-ak/quote.sig"));
    assertThat(sig.scheme()).contains(SignatureScheme.RSA_PKCS1_SHA256);
    assertThat(sig.value()).hasSize(256);
  }

  @Test
  void recognisesAPlainSignatureByTheKey() throws Exception {
    AkKey rsa = AkKeys.parse(Vectors.bytes("swtpm/rsa-ak/ak.tpm2b_public"));
    byte[] plain = Vectors.bytes("swtpm/rsa-ak/plain-quote.sig");
    TpmSignature sig = TpmSignature.decode(plain, rsa, HashAlg.SHA384);
    // the AK fixes RSASSA/SHA-256, which wins over the caller's default hash
    assertThat(sig.scheme()).contains(SignatureScheme.RSA_PKCS1_SHA256);

    AkKey ecc = AkKeys.parse(Vectors.bytes("swtpm/ecc-ak/ak.pem"));
    byte[] der = TpmSignature.parse(Vectors.bytes("swtpm/ecc-ak/quote.sig")).value();
    assertThat(TpmSignature.decode(der, ecc, HashAlg.SHA256).scheme())
        .contains(SignatureScheme.ECDSA_SHA256);
    assertThat(
            catchThrowableOfType(
                    VerificationException.class,
                    () -> TpmSignature.decode(plain, ecc, HashAlg.SHA256))
                .failure())
        .isEqualTo(Failure.KEY_MISMATCH);
  }

  @Test
  void recognisesUnsupportedSchemesAndHashes() {
    byte[] unknownHash = {0x00, 0x14, 0x00, 0x27, 0x00, 0x00};
    byte[] unknownScheme = {0x00, 0x42};
    assertThat(code(unknownHash)).isEqualTo(Failure.UNSUPPORTED);
    assertThat(code(unknownScheme)).isEqualTo(Failure.UNSUPPORTED);
    assertThat(code(new byte[] {0x00, 0x14, 0x00, 0x0b, 0x01})).isEqualTo(Failure.TRUNCATED);
    assertThat(code(new byte[] {0x00, 0x10, 0x00})).isEqualTo(Failure.MALFORMED);
  }

  private static Failure code(byte[] sig) {
    return catchThrowableOfType(VerificationException.class, () -> TpmSignature.parse(sig))
        .failure();
  }
}
