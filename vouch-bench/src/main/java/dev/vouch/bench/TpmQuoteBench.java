package dev.vouch.bench;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.crypto.Signatures;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.AkKey;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmQuoteVerifier;
import dev.vouch.evidence.tpm.TpmSignature;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * TPM quote verification against raw signature verification of the same bytes with the same key, in
 * one run. {@code verifyQuote} parses the TPMS_ATTEST and TPMT_SIGNATURE, checks the signature, the
 * nonce and the PCR digest over nine supplied PCRs; {@code rawSignature} is the one signature check
 * alone, on a reused {@link Signature} (the ceiling). Report {@code verifyQuote / rawSignature} per
 * key type.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TpmQuoteBench {
  @Param({"rsa-ak", "ecc-ak"})
  public String key;

  private byte[] attest;
  private byte[] sig;
  private AkKey ak;
  private PcrValues pcrs;
  private Expectations expected;
  private Signature raw;
  private byte[] rawSig;

  @Setup
  public void setup() throws Exception {
    attest = resource(key + "/quote.msg");
    sig = resource(key + "/quote.sig");
    ak = AkKeys.parse(resource(key + "/ak.tpm2b_public"));
    byte[] nonce =
        Hex.decode(new String(resource(key + "/nonce.hex"), StandardCharsets.US_ASCII).strip());
    expected = Expectations.withNonce(nonce);
    PcrValues.Builder b = PcrValues.builder();
    for (int i = 0; i < 8; i++) {
      b.put(HashAlg.SHA256, i, new byte[32]);
    }
    b.put(
        HashAlg.SHA256,
        10,
        Hex.decode("66aac22ab9b490519f1dd074f679e3b486243f6408fa00d264e62aa30568a73d"));
    pcrs = b.build();
    // fail fast if the sample does not verify
    TpmQuoteVerifier.verify(attest, sig, ak, pcrs, expected);

    TpmSignature parsed = TpmSignature.parse(sig);
    boolean ec = ak.isEc();
    raw =
        ec
            ? Signature.getInstance("SHA256withECDSA", Crypto.bouncyCastle())
            : Signature.getInstance("SHA256withRSA");
    raw.initVerify(ak.publicKey());
    rawSig = parsed.value();
    raw.update(attest);
    if (!raw.verify(rawSig)) {
      throw new IllegalStateException("raw baseline does not verify");
    }
  }

  @Benchmark
  public Object verifyQuote() throws Exception {
    return TpmQuoteVerifier.verify(attest, sig, ak, pcrs, expected);
  }

  @Benchmark
  public boolean rawSignature() throws Exception {
    raw.update(attest);
    return raw.verify(rawSig);
  }

  /** The pooled facade alone, to separate facade cost from parsing and PCR checks. */
  @Benchmark
  public boolean facadeSignature() throws Exception {
    return Signatures.isValid(
        ak.isEc()
            ? dev.vouch.core.crypto.SignatureScheme.ECDSA_SHA256
            : dev.vouch.core.crypto.SignatureScheme.RSA_PKCS1_SHA256,
        ak.publicKey(),
        attest,
        rawSig);
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = TpmQuoteBench.class.getResourceAsStream("/bench/tpm/" + name)) {
      if (in == null) {
        throw new IOException("missing bench resource " + name);
      }
      return in.readAllBytes();
    }
  }
}
