package dev.vouch.server.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Tee;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.json.Jcs;
import java.util.Arrays;
import java.util.Locale;

/**
 * The binding of a KBS handshake to the evidence, computed as Trustee computes it (KBS protocol
 * 0.4.0): the structured runtime data {@code {"additional-evidence", "nonce", "tee-pubkey"}} is
 * canonicalised with RFC 8785 and hashed (SHA-384 unless negotiated); the attester puts that digest
 * into its report-data field, padded with zeros or truncated to the field's size.
 */
public final class RuntimeDataBinding {
  /** The TPM's {@code extraData} carries the first 32 bytes of the digest. */
  public static final int TPM_EXTRA_DATA_BYTES = 32;

  private RuntimeDataBinding() {}

  /** The structured runtime data of the primary evidence. */
  public static ObjectNode structured(
      String nonce, TeePublicKey teeKey, String additionalEvidence) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("additional-evidence", additionalEvidence);
    n.put("nonce", nonce);
    n.set("tee-pubkey", teeKey.json());
    return n;
  }

  /**
   * The digest of structured runtime data.
   *
   * @param hashAlgorithm {@code sha256}, {@code sha384} or {@code sha512}
   * @throws IllegalArgumentException for another algorithm name
   */
  public static byte[] digest(JsonNode structured, String hashAlgorithm) {
    HashAlg alg =
        switch (hashAlgorithm.toLowerCase(Locale.ROOT)) {
          case "sha256" -> HashAlg.SHA256;
          case "sha384" -> HashAlg.SHA384;
          case "sha512" -> HashAlg.SHA512;
          default ->
              throw new IllegalArgumentException(
                  "runtime data hash " + hashAlgorithm + " (sha256, sha384, sha512)");
        };
    return alg.digest(Jcs.canonicalize(structured));
  }

  /**
   * What the evidence of {@code tee} must carry for this digest: the first 32 bytes for a TPM
   * quote's {@code extraData}; the digest itself for the 64-byte report-data fields, which the
   * verifier compares after zero padding.
   */
  public static byte[] reportData(Tee tee, byte[] digest) {
    if (tee == Tee.TPM) {
      return Arrays.copyOf(digest, Math.min(digest.length, TPM_EXTRA_DATA_BYTES));
    }
    return digest.clone();
  }
}
