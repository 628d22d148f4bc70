package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuoteTest extends SwtpmTest {
  private static final List<PcrSelection> SELECTION =
      List.of(PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 4, 5, 6, 7, 10));

  @TempDir Path dir;

  @Test
  void rsaAkUnderTheEkQuotesAndTpm2CheckquoteAcceptsIt() throws Exception {
    try (TransientKey ek = tpm.createEk(EkTemplate.RSA_2048);
        TransientKey ak = tpm.createAndLoad(ek, KeyTemplate.akRsa2048())) {
      quoteAndCheck(ak);
    }
  }

  @Test
  void eccAkUnderTheSrkQuotesAndTpm2CheckquoteAcceptsIt() throws Exception {
    try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256());
        TransientKey ak = tpm.createAndLoad(srk, KeyTemplate.akEccP256())) {
      quoteAndCheck(ak);
    }
  }

  @Test
  void eccAkUnderTheEkQuotesAndTpm2CheckquoteAcceptsIt() throws Exception {
    try (TransientKey ek = tpm.createEk(EkTemplate.RSA_2048);
        TransientKey ak = tpm.createAndLoad(ek, KeyTemplate.akEccP256())) {
      assertThat(ak.parsedPublic().objectAttributes())
          .isEqualTo(0x00050472); // fixedTPM fixedParent sensitiveDataOrigin userWithAuth
      // noDA restricted sign (TPM 2.0 Part 2, TPMA_OBJECT);
      quoteAndCheck(ak);
    }
  }

  private void quoteAndCheck(TransientKey ak) throws Exception {
    byte[] measurement = HashAlg.SHA256.digest("agent-binary-v1".getBytes(StandardCharsets.UTF_8));
    tpm.pcrExtend(10, Map.of(HashAlg.SHA256, measurement));
    byte[] nonce = tpm.getRandom(32);

    Attestation quote = tpm.quote(ak, nonce, SELECTION);
    PcrValues pcrs = tpm.pcrRead(SELECTION);

    // the attest structure is a quote that echoes the nonce
    ByteReader r = ByteReader.bigEndian(quote.attest());
    assertThat(r.u32()).isEqualTo(0xff544347L);
    assertThat(r.u16()).isEqualTo(0x8018);
    r.sized16(); // qualifiedSigner
    assertThat(r.sized16()).isEqualTo(nonce);

    // the JDK verifies the signature over the attest bytes with the AK's public key
    PublicKey akKey = ak.parsedPublic().toPublicKey();
    assertThat(Tools.verify(akKey, quote.attest(), quote.signature())).isTrue();
    byte[] tampered = quote.attest();
    tampered[tampered.length - 1] ^= 1;
    assertThat(Tools.verify(akKey, tampered, quote.signature())).isFalse();

    // and so does tpm2_checkquote, including nonce and PCR digest
    Files.writeString(dir.resolve("ak.pem"), Tools.pem(akKey));
    Files.write(dir.resolve("quote.msg"), quote.attest());
    Files.write(dir.resolve("quote.sig"), quote.signature());
    List<byte[]> values = new ArrayList<>();
    for (int i : SELECTION.getFirst().pcrs()) {
      values.add(pcrs.get(HashAlg.SHA256, i).orElseThrow());
    }
    Files.write(dir.resolve("pcrs.bin"), Tools.serializedPcrs(SELECTION.getFirst(), values));
    Tools.Result ok = checkquote(Hex.encode(nonce));
    assertThat(ok.exitCode()).as(ok.output()).isZero();

    values.set(values.size() - 1, new byte[32]);
    Files.write(dir.resolve("pcrs.bin"), Tools.serializedPcrs(SELECTION.getFirst(), values));
    Tools.Result wrongPcrs = checkquote(Hex.encode(nonce));
    assertThat(wrongPcrs.exitCode()).as("PCR 10 differs").isNotZero();

    byte[] otherNonce = nonce.clone();
    otherNonce[0] ^= 1;
    Tools.Result wrongNonce = checkquote(Hex.encode(otherNonce));
    assertThat(wrongNonce.exitCode()).as(wrongNonce.output()).isNotZero();
  }

  private Tools.Result checkquote(String nonceHex) throws Exception {
    return Tools.run(
        dir,
        "tpm2_checkquote",
        "-u",
        "ak.pem",
        "-m",
        "quote.msg",
        "-s",
        "quote.sig",
        "-f",
        "pcrs.bin",
        "-g",
        "sha256",
        "-q",
        nonceHex);
  }

  @Test
  void akCertifiesAnotherLoadedKeyAndTheCertificationNamesIt() throws Exception {
    try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256());
        TransientKey ak = tpm.createAndLoad(srk, KeyTemplate.akEccP256())) {
      CreatedKey other = tpm.create(srk, KeyTemplate.akEccP256());
      try (TransientKey key = tpm.load(srk, other)) {
        byte[] nonce = tpm.getRandom(16);
        Attestation cert = tpm.certify(key, ak, nonce);
        ByteReader r = ByteReader.bigEndian(cert.attest());
        assertThat(r.u32()).isEqualTo(0xff544347L);
        assertThat(r.u16()).isEqualTo(0x8017); // TPM_ST_ATTEST_CERTIFY
        r.sized16(); // qualifiedSigner
        assertThat(r.sized16()).isEqualTo(nonce);
        r.skip(17 + 8); // clockInfo, firmwareVersion
        assertThat(r.sized16()).isEqualTo(key.name());
        assertThat(Tools.verify(ak.parsedPublic().toPublicKey(), cert.attest(), cert.signature()))
            .isTrue();
      }
    }
  }

  @Test
  void akMadePersistentQuotesUntilEvicted() throws Exception {
    int handle = 0x81010002;
    PersistentKey persistent;
    try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256());
        TransientKey ak = tpm.createAndLoad(srk, KeyTemplate.akEccP256())) {
      persistent = tpm.persist(ak, handle);
    }
    try {
      assertThat(tpm.persistentKey(handle).name()).isEqualTo(persistent.name());
      Attestation q = tpm.quote(persistent, new byte[] {1, 2, 3}, SELECTION);
      assertThat(Tools.verify(persistent.parsedPublic().toPublicKey(), q.attest(), q.signature()))
          .isTrue();
    } finally {
      tpm.evict(handle);
    }
    assertThatThrownBy(() -> tpm.readPublic(handle))
        .isInstanceOf(TpmException.class)
        .satisfies(e -> assertThat(((TpmException) e).is(ResponseCode.TPM_RC_HANDLE)).isTrue());
  }
}
