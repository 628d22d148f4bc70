package dev.vouch.evidence.tpm;

import dev.vouch.core.crypto.HashAlg;

/**
 * A quote that passed every check of {@link TpmQuoteVerifier}: its signature verifies with the AK,
 * its nonce is the expected one (when one was expected), and the supplied PCR values reproduce its
 * PCR digest.
 *
 * @param attest the parsed TPMS_ATTEST
 * @param signature the verified signature
 * @param selection the quoted PCR selection
 * @param pcrs the supplied PCR values restricted to {@code selection}: the values the TPM vouched
 *     for
 * @param clockInfo the TPM clock, reset and restart counters at quote time
 * @param firmwareVersion the TPM firmware version
 */
public record VerifiedQuote(
    TpmAttest attest,
    TpmSignature signature,
    PcrSelection selection,
    PcrValues pcrs,
    TpmAttest.ClockInfo clockInfo,
    long firmwareVersion) {

  /** The qualified name of the key that signed, as the TPM reported it. */
  public byte[] signerName() {
    return attest.qualifiedSigner();
  }

  /** The hash of the signature, which is also the hash of the quoted PCR digest. */
  public HashAlg digestAlg() {
    return signature.hash().orElseThrow();
  }
}
