package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class TpmAttestTest {

  @Test
  void readsEveryFieldOfASwtpmQuote() throws Exception {
    byte[] msg = Vectors.bytes("swtpm/ecc-ak/quote.msg");
    TpmAttest a = TpmAttest.parse(msg);

    assertThat(a.type()).isEqualTo(TpmAttest.Type.QUOTE);
    assertThat(Hex.encode(a.extraData())).isEqualTo(Vectors.text("swtpm/ecc-ak/nonce.hex").strip());
    // the qualified signer is a TPM2B_NAME with the AK's name algorithm, but not the AK's name
    assertThat(a.qualifiedSigner()).hasSize(34).startsWith(0x00, 0x0b);
    assertThat(a.qualifiedSigner()).isNotEqualTo(Vectors.bytes("swtpm/ecc-ak/ak.name"));
    assertThat(a.clockInfo().safe()).isTrue();
    assertThat(a.signedBytes()).isEqualTo(msg);
    TpmAttest.QuoteInfo q = a.quote().orElseThrow();
    assertThat(q.selection().encode()).isEqualTo(Hex.decode("00000001000b03ff0400"));
    assertThat(q.pcrDigest()).hasSize(32);
  }

  @Test
  void encodingTheFieldsOfASwtpmQuoteGivesBackItsExactBytes() throws Exception {
    byte[] msg = Vectors.bytes("swtpm/ecc-ak/quote.msg");
    TpmAttest a = TpmAttest.parse(msg);

    byte[] encoded =
        TpmAttest.encodeQuote(
            a.qualifiedSigner(),
            a.extraData(),
            a.clockInfo(),
            a.firmwareVersion(),
            a.quote().orElseThrow());

    assertThat(encoded).isEqualTo(msg);
  }

  @Test
  void anEncodedQuoteParsesBackToItsFields() throws Exception {
    TpmAttest.ClockInfo clock = new TpmAttest.ClockInfo(0xFFFF_FFFF_0001L, 0xFFFF_FFFEL, 7, false);
    PcrSelection selection = PcrSelection.of(HashAlg.SHA256, 0, 7, 23);
    byte[] digest = HashAlg.SHA256.digest(new byte[] {1});
    byte[] signer = Hex.decode("000b" + "11".repeat(32));

    TpmAttest a =
        TpmAttest.parse(
            TpmAttest.encodeQuote(
                signer, new byte[64], clock, -1L, new TpmAttest.QuoteInfo(selection, digest)));

    assertThat(a.type()).isEqualTo(TpmAttest.Type.QUOTE);
    assertThat(a.qualifiedSigner()).isEqualTo(signer);
    assertThat(a.extraData()).isEqualTo(new byte[64]);
    assertThat(a.clockInfo()).isEqualTo(clock);
    assertThat(a.firmwareVersion()).isEqualTo(-1L);
    assertThat(a.quote().orElseThrow().selection()).isEqualTo(selection);
    assertThat(a.quote().orElseThrow().pcrDigest()).isEqualTo(digest);
  }

  @Test
  void refusesQualifyingDataATpmWouldRefuse() {
    TpmAttest.QuoteInfo q =
        new TpmAttest.QuoteInfo(PcrSelection.of(HashAlg.SHA256, 0), new byte[32]);
    TpmAttest.ClockInfo clock = new TpmAttest.ClockInfo(0, 0, 0, true);
    org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
        .isThrownBy(() -> TpmAttest.encodeQuote(new byte[34], new byte[65], clock, 0, q));
  }

  @Test
  void readsTheCreationAttestationOfTheWindowsAk() throws Exception {
    JsonNode d = Vectors.json("tpm-quote/go-attestation/windows_gcp_shielded_vm.json");
    Base64.Decoder b64 = Base64.getDecoder();
    byte[] attest = b64.decode(d.at("/AK/CreateAttestation").asText());
    byte[] createData = b64.decode(d.at("/AK/CreateData").asText());
    TpmPublic ak = TpmPublic.parse(b64.decode(d.at("/AK/Public").asText()));

    TpmAttest a = TpmAttest.parse(attest);

    assertThat(a.type()).isEqualTo(TpmAttest.Type.CREATION);
    TpmAttest.CreationInfo c = (TpmAttest.CreationInfo) a.attested();
    assertThat(c.objectName()).isEqualTo(ak.name());
    assertThat(c.creationHash()).isEqualTo(HashAlg.SHA256.digest(createData));
    TpmSignature sig = TpmSignature.parse(b64.decode(d.at("/AK/CreateSignature").asText()));
    assertThat(sig.scheme()).contains(SignatureScheme.RSA_PKCS1_SHA1);
    // throws SIGNATURE_INVALID unless the creation signature verifies
    Signatures.verify(sig.scheme().orElseThrow(), ak.toPublicKey(), attest, sig.value());
  }

  @Test
  void readsACertifyBody() throws Exception {
    byte[] name = Hex.decode("000b" + "ab".repeat(32));
    byte[] qualified = Hex.decode("000b" + "cd".repeat(32));
    byte[] attest =
        Hex.decode(
            "ff5443478017"
                + "0022"
                + "000b"
                + "00".repeat(32)
                + "0000"
                + "0000000000001000"
                + "00000002"
                + "00000003"
                + "01"
                + "0102030405060708"
                + "0022"
                + Hex.encode(name)
                + "0022"
                + Hex.encode(qualified));

    TpmAttest a = TpmAttest.parse(attest);

    assertThat(a.type()).isEqualTo(TpmAttest.Type.CERTIFY);
    TpmAttest.CertifyInfo c = (TpmAttest.CertifyInfo) a.attested();
    assertThat(c.name()).isEqualTo(name);
    assertThat(c.qualifiedName()).isEqualTo(qualified);
    assertThat(a.clockInfo()).isEqualTo(new TpmAttest.ClockInfo(0x1000, 2, 3, true));
    assertThat(a.firmwareVersion()).isEqualTo(0x0102030405060708L);
  }

  @Test
  void rejectsAWrongMagicAnUnknownTypeABadBooleanAndTrailingBytes() {
    byte[] msg = Vectors.bytes("swtpm/rsa-ak/quote.msg");

    byte[] magic = msg.clone();
    magic[0] = 0x7f;
    assertThat(code(magic)).isEqualTo(Failure.MALFORMED);

    byte[] type = msg.clone();
    type[5] = 0x20;
    assertThat(code(type)).isEqualTo(Failure.MALFORMED);

    // the safe flag follows magic(4) type(2) signer(2+34) extraData(2+32) clock(8) counts(8)
    byte[] safe = msg.clone();
    safe[4 + 2 + 36 + 34 + 16] = 2;
    assertThat(code(safe)).isEqualTo(Failure.MALFORMED);

    assertThat(code(Arrays.copyOf(msg, msg.length + 1))).isEqualTo(Failure.MALFORMED);
    assertThat(code(Arrays.copyOf(msg, msg.length - 1))).isEqualTo(Failure.TRUNCATED);
    assertThat(code(new byte[0])).isEqualTo(Failure.TRUNCATED);
  }

  private static Failure code(byte[] attest) {
    return catchThrowableOfType(VerificationException.class, () -> TpmAttest.parse(attest))
        .failure();
  }
}
