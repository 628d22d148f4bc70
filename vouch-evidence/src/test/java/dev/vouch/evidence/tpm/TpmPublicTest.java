package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TpmPublicTest {

  @ParameterizedTest
  @ValueSource(strings = {"swtpm/ecc-ak/", "swtpm/rsa-ak/", "tpm-quote/keylime/test-data-files/"})
  void computesTheNameTpm2ToolsWroteNextToTheKey(String dir) throws Exception {
    String file = dir.contains("keylime") ? "ak.pub" : "ak.tpm2b_public";
    TpmPublic pub = TpmPublic.parse(Vectors.bytes(dir + file));

    assertThat(pub.name()).isEqualTo(Vectors.bytes(dir + "ak.name"));
    assertThat(pub.nameAlg()).isEqualTo(HashAlg.SHA256);
    assertThat(pub.isRestrictedSigningKey()).isTrue();
  }

  @Test
  void computesTheNamesOfTheGoogleAks() throws Exception {
    JsonNode exp = Vectors.json("tpm-quote/expected.json");
    TpmPublic gce =
        TpmPublic.fromTpmt(
            Vectors.bytes("tpm-quote/go-tpm-tools/gce-cos-85-no-nonce/ak_pub.tpmt_public"));
    assertThat(Hex.encode(gce.name()))
        .isEqualTo(exp.at("/go-tpm-tools~1gce-cos-85-no-nonce.pb/ak_name").asText());

    JsonNode win = Vectors.json("tpm-quote/go-attestation/windows_gcp_shielded_vm.json");
    TpmPublic w = TpmPublic.parse(Base64.getDecoder().decode(win.at("/AK/Public").asText()));
    JsonNode ak = exp.at("/go-attestation~1windows_gcp_shielded_vm.json/ak");
    assertThat(Hex.encode(w.name())).isEqualTo(ak.get("name").asText());
    assertThat(String.format("0x%x", w.objectAttributes()))
        .isEqualTo(ak.get("attributes").asText());
    assertThat(w.type()).isEqualTo(TpmPublic.Type.RSA);
    TpmPublic.RsaParameters rsa = (TpmPublic.RsaParameters) w.parameters();
    assertThat(rsa.keyBits()).isEqualTo(2048);
    assertThat(((RSAPublicKey) w.toPublicKey()).getModulus().bitLength()).isEqualTo(2048);
  }

  @Test
  void decodesAnEccAkAndMatchesItsPem() throws Exception {
    TpmPublic pub = TpmPublic.parse(Vectors.bytes("swtpm/ecc-ak/ak.tpm2b_public"));

    TpmPublic.EccParameters p = (TpmPublic.EccParameters) pub.parameters();
    assertThat(p.curve()).contains(EccCurve.NIST_P256);
    assertThat(p.scheme().scheme()).isEqualTo(TpmAlg.ECDSA);
    assertThat(p.scheme().hash()).contains(HashAlg.SHA256);
    assertThat(p.kdf().isNull()).isTrue();
    assertThat(p.symmetric().isNull()).isTrue();
    TpmPublic.EccPoint point = (TpmPublic.EccPoint) pub.unique();
    assertThat(point.x()).hasSize(32);
    assertThat(pub.toPublicKey()).isInstanceOf(ECPublicKey.class);
    AkKey pem = AkKeys.parse(Vectors.bytes("swtpm/ecc-ak/ak.pem"));
    assertThat(pem.sameKey(pub.toPublicKey())).isTrue();
  }

  @Test
  void decodesAnRsaAkAndMatchesItsPem() throws Exception {
    TpmPublic pub = TpmPublic.parse(Vectors.bytes("swtpm/rsa-ak/ak.tpm2b_public"));

    TpmPublic.RsaParameters p = (TpmPublic.RsaParameters) pub.parameters();
    assertThat(p.keyBits()).isEqualTo(2048);
    assertThat(p.exponent()).isZero();
    assertThat(p.effectiveExponent()).isEqualTo(65537);
    assertThat(pub.signingScheme().orElseThrow().scheme()).isEqualTo(TpmAlg.RSASSA);
    assertThat(AkKeys.parse(Vectors.bytes("swtpm/rsa-ak/ak.pem")).sameKey(pub.toPublicKey()))
        .isTrue();
  }

  @Test
  void readsTheSameKeyFromTpm2bAndBareTpmt() throws Exception {
    byte[] tpm2b = Vectors.bytes("swtpm/rsa-ak/ak.tpm2b_public");
    TpmPublic a = TpmPublic.parse(tpm2b);
    TpmPublic b = TpmPublic.parse(Arrays.copyOfRange(tpm2b, 2, tpm2b.length));

    assertThat(a).isEqualTo(b);
    assertThat(a.toTpm2b()).isEqualTo(tpm2b);
  }

  @Test
  void namesAKeyedHashAndASymCipherObject() throws Exception {
    // KEYEDHASH, sha256, attributes, empty policy, HMAC/sha256, 32-byte unique
    byte[] keyedHash = Hex.decode("0008000b0004007200000005000b0020" + "11".repeat(32));
    TpmPublic kh = TpmPublic.fromTpmt(keyedHash);
    assertThat(kh.type()).isEqualTo(TpmPublic.Type.KEYEDHASH);
    assertThat(kh.name()).isEqualTo(concat(Hex.decode("000b"), HashAlg.SHA256.digest(keyedHash)));
    assertThat(catchThrowableOfType(VerificationException.class, kh::toPublicKey).failure())
        .isEqualTo(Failure.UNSUPPORTED);

    // SYMCIPHER, sha1 name, AES-128-CFB, 20-byte unique
    byte[] sym = Hex.decode("002500040000006000000006008000430014" + "22".repeat(20));
    TpmPublic sc = TpmPublic.fromTpmt(sym);
    assertThat(((TpmPublic.SymCipherParameters) sc.parameters()).symmetric().keyBits())
        .isEqualTo(128);
    assertThat(sc.name()).isEqualTo(concat(Hex.decode("0004"), HashAlg.SHA1.digest(sym)));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void rejectsTrailingBytesAndTruncation() {
    byte[] tpm2b = Vectors.bytes("swtpm/ecc-ak/ak.tpm2b_public");
    byte[] longer = Arrays.copyOf(tpm2b, tpm2b.length + 1);
    byte[] shorter = Arrays.copyOf(tpm2b, tpm2b.length - 1);

    assertThat(
            catchThrowableOfType(VerificationException.class, () -> TpmPublic.fromTpm2b(longer))
                .failure())
        .isEqualTo(Failure.MALFORMED);
    assertThat(
            catchThrowableOfType(VerificationException.class, () -> TpmPublic.fromTpm2b(shorter))
                .failure())
        .isEqualTo(Failure.TRUNCATED);
  }

  @Test
  void rejectsAnEccPointThatIsNotOnTheCurve() throws Exception {
    byte[] tpm2b = Vectors.bytes("swtpm/ecc-ak/ak.tpm2b_public");
    tpm2b[tpm2b.length - 1] ^= 1; // last byte of y
    TpmPublic pub = TpmPublic.parse(tpm2b);

    assertThat(catchThrowableOfType(VerificationException.class, pub::toPublicKey).failure())
        .isEqualTo(Failure.MALFORMED);
  }

  @Test
  void rejectsAnUnknownObjectTypeAsUnsupported() {
    byte[] bad = {0x00, 0x7f, 0x00, 0x0b, 0, 0, 0, 0, 0, 0};
    assertThat(
            catchThrowableOfType(VerificationException.class, () -> TpmPublic.fromTpmt(bad))
                .failure())
        .isEqualTo(Failure.UNSUPPORTED);
  }
}
