package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class AkKeysTest {

  @Test
  void recognisesPemDerSpkiTpm2bAndTpmtForms() throws Exception {
    AkKey tpm2b = AkKeys.parse(Vectors.bytes("tpm-quote/keylime/test-data-files/ak.pub"));
    AkKey pem = AkKeys.parse(Vectors.bytes("tpm-quote/keylime/test-data-files/akpub.pem"));
    AkKey der = AkKeys.parse(pem.publicKey().getEncoded());
    byte[] t = Vectors.bytes("tpm-quote/keylime/test-data-files/ak.pub");
    AkKey tpmt = AkKeys.parse(java.util.Arrays.copyOfRange(t, 2, t.length));

    assertThat(tpm2b.tpmPublic()).isPresent();
    assertThat(pem.tpmPublic()).isEmpty();
    assertThat(tpm2b.sameKey(pem.publicKey())).isTrue();
    assertThat(der.sameKey(pem.publicKey())).isTrue();
    assertThat(tpmt.sameKey(pem.publicKey())).isTrue();
  }

  @Test
  void readsTheTrusteeDerSpkiAndAPkcs1Pem() throws Exception {
    var json = Vectors.json("tpm-quote/trustee/tpm_evidence.json");
    byte[] spki = Base64.getDecoder().decode(json.get("ak_public").asText());
    AkKey ak = AkKeys.parse(spki);
    assertThat(ak.isRsa()).isTrue();

    // PKCS#1 RSAPublicKey is the BIT STRING content of the SPKI
    var info = org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(spki);
    byte[] pkcs1 = info.getPublicKeyData().getBytes();
    String pem =
        "-----BEGIN RSA PUBLIC KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(pkcs1)
            + "\n-----END RSA PUBLIC KEY-----\n";
    assertThat(AkKeys.parse(pem.getBytes(StandardCharsets.US_ASCII)).sameKey(ak.publicKey()))
        .isTrue();
  }

  @Test
  void readsTheKeyOfACertificate() throws Exception {
    AkKey fromCert =
        AkKeys.parse(Vectors.bytes("tpm-quote/go-tpm-tools/gce-cos-85-no-nonce/ak_cert.der"));
    AkKey fromTpmt =
        AkKeys.parse(
            Vectors.bytes("tpm-quote/go-tpm-tools/gce-cos-85-no-nonce/ak_pub.tpmt_public"));
    assertThat(fromCert.sameKey(fromTpmt.publicKey())).isTrue();
  }

  @Test
  void rejectsGarbageWithAStableCode() {
    for (byte[] bad :
        new byte[][] {
          {0x30, 0x03, 0x02, 0x01},
          "-----BEGIN PUBLIC KEY-----\n!!!\n-----END PUBLIC KEY-----".getBytes(),
          "-----BEGIN PUBLIC KEY-----\nAAAA".getBytes(),
          {},
        }) {
      VerificationException e =
          catchThrowableOfType(VerificationException.class, () -> AkKeys.parse(bad));
      assertThat(e.failure()).isIn(Failure.MALFORMED, Failure.TRUNCATED, Failure.UNSUPPORTED);
    }
  }
}
