package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImaSignatureTest {
  private static ImaKeyring keys() throws VerificationException {
    return ImaKeyring.fromPem(
        List.of(
            ImaResources.text("keylime/ima_key_rsa2048pub.pem"),
            ImaResources.text("keylime/ima_key_secp256k1_pub.pem")));
  }

  private static List<ImaEntry> signed() throws VerificationException {
    return ImaLog.parseAscii(ImaResources.bytes("keylime/ima_signatures.txt")).entries();
  }

  @Test
  void keyIdsAreTheLastFourBytesOfTheSha1OfThePublicKeyBits() throws Exception {
    ImaKeyring k = keys();
    assertThat(k.size()).isEqualTo(2);
    assertThat(k.find(0xf3452d23)).isPresent();
    assertThat(k.find(0x531f4025)).isPresent();
  }

  @Test
  void verifiesRsaAndSecp256k1FileSignatures() throws Exception {
    ImaSignatureVerifier v = new ImaSignatureVerifier(keys());
    ImaSignature rsa = v.verify(signed().get(0));
    ImaSignature ec = v.verify(signed().get(1));
    assertThat(rsa.keyIdHex()).isEqualTo("f3452d23");
    assertThat(rsa.hashAlg()).isEqualTo(HashAlg.SHA256);
    assertThat(ec.keyIdHex()).isEqualTo("531f4025");
  }

  @Test
  void rejectsTheBadSignatureListByItsTemplateHash() {
    assertThatThrownBy(
            () -> ImaLog.parseAscii(ImaResources.bytes("keylime/ima_bad_signatures.txt")))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(Failure.TEMPLATE_HASH_MISMATCH);
              assertThat(e.getMessage()).startsWith("line 1:");
            });
  }

  @Test
  void rejectsTheBadSignatureItselfBecauseItsSizeFieldIsWrong() throws Exception {
    ImaEntry bad =
        ImaLog.parseAscii(
                ImaResources.bytes("keylime/ima_bad_signatures.txt"), ImaLog.HashCheck.RECORD)
            .entries()
            .getFirst();
    assertThatThrownBy(() -> new ImaSignatureVerifier(keys()).verify(bad))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.SIGNATURE_INVALID));
    assertThatThrownBy(() -> ImaSignature.parse(bad.signature()))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(Failure.MALFORMED));
  }

  @Test
  void rejectsASignatureOverAnotherFileDigest() throws Exception {
    ImaEntry good = signed().get(0);
    byte[] digest = good.fileDigest().orElseThrow().value();
    digest[0] ^= 1;
    ImaEntry forged =
        new ImaEntry(
            good.pcr(),
            good.templateHash(),
            good.templateName(),
            good.templateData(),
            java.util.Optional.of(new ImaDigest("sha256", digest)),
            good.fileName(),
            good.signature(),
            good.buffer(),
            false);
    for (ImaEntry e : List.of(forged, withSignatureByteFlipped(signed().get(1)))) {
      assertThatThrownBy(() -> new ImaSignatureVerifier(keys()).verify(e))
          .isInstanceOfSatisfying(
              VerificationException.class,
              x -> assertThat(x.failure()).isEqualTo(Failure.SIGNATURE_INVALID));
    }
  }

  @Test
  void rejectsASignatureWhoseKeyIsNotInTheKeyring() {
    assertThatThrownBy(() -> new ImaSignatureVerifier(ImaKeyring.empty()).verify(signed().get(0)))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(Failure.KEY_MISMATCH);
              assertThat(e.getMessage()).contains("f3452d23");
            });
  }

  @Test
  void rejectsAnEntryWithoutSignature() throws Exception {
    ImaEntry unsigned =
        ImaLog.parseAscii(ImaResources.bytes("keylime/ima_measurements.txt")).entries().getFirst();
    assertThat(unsigned.hasSignature()).isFalse();
    assertThatThrownBy(() -> new ImaSignatureVerifier(keys()).verify(unsigned))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.SIGNATURE_INVALID));
  }

  private static ImaEntry withSignatureByteFlipped(ImaEntry e) {
    byte[] sig = e.signature();
    sig[sig.length - 5] ^= 0x10;
    return new ImaEntry(
        e.pcr(),
        e.templateHash(),
        e.templateName(),
        e.templateData(),
        e.fileDigest(),
        e.fileName(),
        sig,
        e.buffer(),
        false);
  }
}
