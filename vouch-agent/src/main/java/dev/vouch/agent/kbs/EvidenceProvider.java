package dev.vouch.agent.kbs;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Produces evidence for the KBS handshake from one TEE. The binding digest (the hash of the
 * canonical runtime data, SHA-384 by default) goes into the TEE's report-data field as that TEE
 * carries it: truncated to 32 bytes for a TPM quote's extraData, zero-padded to 64 bytes for TDX
 * and SEV-SNP report data, as it is for the sample attester.
 */
public interface EvidenceProvider {

  /** The KBS protocol's {@code tee} name, e.g. {@code tpm}, {@code tdx}, {@code snp}. */
  String tee();

  /** The evidence as the KBS's {@code tee-evidence.primary_evidence}. */
  JsonNode evidence(byte[] bindingDigest) throws EvidenceException;
}
