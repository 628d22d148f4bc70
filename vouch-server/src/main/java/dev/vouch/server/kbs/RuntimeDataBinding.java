package dev.vouch.server.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.json.Jcs;
import java.util.Locale;

/**
 * The binding of a KBS handshake to the evidence, computed as Trustee computes it (KBS protocol
 * 0.4.0): the structured runtime data {@code {"additional-evidence", "nonce", "tee-pubkey"}} is
 * canonicalised with RFC 8785 and hashed (SHA-384 unless negotiated); the attester puts that digest
 * into its report-data field, padded with zeros or truncated to the field's size, which the
 * evidence kind's verifier states ({@link dev.vouch.evidence.EvidenceVerifier#reportDataLength()}).
 */
public final class RuntimeDataBinding {
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
}
