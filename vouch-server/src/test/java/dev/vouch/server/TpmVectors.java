package dev.vouch.server;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrFiles;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The real swtpm RSA-AK quote (tpm2_quote over PCRs sha256:0-7,10 with a 32-byte nonce), as a Vouch
 * TPM evidence bundle.
 */
public final class TpmVectors {
  private static final String DIR = "/vectors/swtpm/rsa-ak/";

  private TpmVectors() {}

  public static byte[] resource(String name) {
    try (InputStream in = TpmVectors.class.getResourceAsStream(DIR + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test vector " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The quote's nonce (its extraData). */
  public static byte[] nonce() {
    return Hex.decode(new String(resource("plain-nonce.hex"), StandardCharsets.US_ASCII).strip());
  }

  /** The bundle as the quote was made. */
  public static byte[] bundle() {
    return bundle(null);
  }

  /** The bundle with PCR {@code tamperedPcr} replaced by another value (or as made when null). */
  public static byte[] bundle(Integer tamperedPcr) {
    try {
      byte[] attest = resource("plain-quote.msg");
      PcrValues pcrs =
          PcrFiles.fromConcatenated(
              TpmAttest.parse(attest).quote().orElseThrow().selection(),
              resource("plain-pcrs.values"));
      if (tamperedPcr != null) {
        PcrValues.Builder b = PcrValues.builder();
        for (int i : pcrs.indexes(HashAlg.SHA256)) {
          byte[] v = pcrs.get(HashAlg.SHA256, i).orElseThrow();
          b.put(HashAlg.SHA256, i, i == tamperedPcr ? HashAlg.SHA256.digest(v) : v);
        }
        pcrs = b.build();
      }
      return new TpmEvidenceBundle(
              AkKeys.parse(resource("ak.pem")),
              Optional.empty(),
              List.of(),
              List.of(new TpmEvidenceBundle.Quote(attest, resource("plain-quote.sig"))),
              pcrs,
              Optional.empty(),
              Optional.empty(),
              Optional.empty())
          .toJson();
    } catch (dev.vouch.core.VerificationException e) {
      throw new IllegalStateException(e);
    }
  }
}
