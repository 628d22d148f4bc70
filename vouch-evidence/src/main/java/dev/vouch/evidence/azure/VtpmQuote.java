package dev.vouch.evidence.azure;

import java.util.List;

/**
 * A vTPM quote as Azure guests send it: the TPMS_ATTEST, its raw RSA signature (not a
 * TPMT_SIGNATURE) and the SHA-256 PCR values in the quote's selection order. Immutable.
 *
 * @param message the TPMS_ATTEST the signature covers
 * @param signature the RSASSA-PKCS1-v1_5 SHA-256 signature block
 * @param pcrs the quoted PCR values, in selection order
 */
public record VtpmQuote(byte[] message, byte[] signature, List<byte[]> pcrs) {
  public VtpmQuote {
    message = message.clone();
    signature = signature.clone();
    pcrs = pcrs.stream().map(byte[]::clone).toList();
  }

  @Override
  public byte[] message() {
    return message.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public List<byte[]> pcrs() {
    return pcrs.stream().map(byte[]::clone).toList();
  }
}
