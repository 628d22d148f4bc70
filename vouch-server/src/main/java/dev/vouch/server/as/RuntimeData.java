package dev.vouch.server.as;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Runtime data the evidence must be bound to, as Trustee's attestation service receives it: raw
 * bytes used as they are, or a JSON value that is canonicalised (RFC 8785) and hashed.
 */
public sealed interface RuntimeData permits RuntimeData.Raw, RuntimeData.Structured {

  /** Bytes compared with the report data as they are (no hashing). */
  record Raw(byte[] bytes) implements RuntimeData {
    public Raw {
      bytes = bytes.clone();
    }

    @Override
    public byte[] bytes() {
      return bytes.clone();
    }
  }

  /** A JSON value, e.g. the KBS {@code {"nonce": ..., "tee-pubkey": ...}}, hashed after JCS. */
  record Structured(JsonNode json) implements RuntimeData {}
}
