package dev.vouch.evidence.tpm;

import dev.vouch.core.crypto.HashAlg;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Builds a TPM2_Quote the way a TPM would (TPMS_ATTEST per TPM 2.0 Part 2, signed RSASSA-SHA256 by
 * a fresh RSA key), over PCR values a test takes from a vector, so that a real firmware log can be
 * checked against a quote without the TPM that measured it. The encoding is written here from the
 * specification, not with the parser under test.
 */
final class SoftQuote {
  private static final KeyPair KEY;

  static {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      KEY = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private SoftQuote() {}

  /**
   * A bundle whose single quote covers {@code values} (PCR index to value) of one bank, with no
   * nonce, carrying {@code eventLog}.
   */
  static TpmEvidenceBundle bundle(HashAlg bank, Map<Integer, byte[]> values, byte[] eventLog)
      throws Exception {
    TreeMap<Integer, byte[]> sorted = new TreeMap<>(values);
    PcrValues.Builder pcrs = PcrValues.builder();
    ByteArrayOutputStream concatenated = new ByteArrayOutputStream();
    byte[] select = new byte[3];
    for (var e : sorted.entrySet()) {
      pcrs.put(bank, e.getKey(), e.getValue());
      concatenated.write(e.getValue());
      select[e.getKey() / 8] |= (byte) (1 << (e.getKey() % 8));
    }
    byte[] pcrDigest = HashAlg.SHA256.digest(concatenated.toByteArray());
    ByteBuffer b = ByteBuffer.allocate(256);
    b.putInt(0xff544347); // TPM_GENERATED_VALUE
    b.putShort((short) 0x8018); // TPM_ST_ATTEST_QUOTE
    b.putShort((short) 0); // qualifiedSigner: empty TPM2B_NAME
    b.putShort((short) 0); // extraData: no nonce
    b.putLong(1000L).putInt(1).putInt(0).put((byte) 1); // clock, resetCount, restartCount, safe
    b.putLong(0x0001000200030004L); // firmwareVersion
    b.putInt(1).putShort((short) bank.tpmId()).put((byte) 3).put(select); // TPML_PCR_SELECTION
    b.putShort((short) pcrDigest.length).put(pcrDigest);
    byte[] attest = new byte[b.position()];
    b.flip().get(attest);

    Signature rsa = Signature.getInstance("SHA256withRSA");
    rsa.initSign(KEY.getPrivate());
    rsa.update(attest);
    byte[] sig = rsa.sign();
    ByteBuffer s = ByteBuffer.allocate(6 + sig.length);
    s.putShort((short) 0x0014).putShort((short) 0x000b).putShort((short) sig.length).put(sig);

    return new TpmEvidenceBundle(
        AkKeys.parse(KEY.getPublic().getEncoded()),
        Optional.empty(),
        List.of(),
        List.of(new TpmEvidenceBundle.Quote(attest, s.array())),
        pcrs.build(),
        Optional.of(eventLog),
        Optional.empty(),
        Optional.empty());
  }
}
