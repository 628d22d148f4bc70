package dev.vouch.evidence.dcap;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;

/**
 * Finds the exact bytes of one top-level member's value in a JSON document. Intel signs the bytes
 * of the {@code tcbInfo} / {@code enclaveIdentity} object as PCS served them, so the signature must
 * be checked over those bytes, never over a re-serialisation.
 */
final class SignedJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  private SignedJson() {}

  /** The raw bytes of the value of top-level member {@code name}, if the document has one. */
  static Optional<byte[]> member(byte[] json, String name) throws VerificationException {
    try (JsonParser p = FACTORY.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return Optional.empty();
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        if (field.equals(name) && t == JsonToken.START_OBJECT) {
          long start = p.currentTokenLocation().getByteOffset();
          p.skipChildren();
          long end = p.currentLocation().getByteOffset();
          if (start < 0 || end > json.length || end <= start) {
            throw new VerificationException(Failure.MALFORMED, name + " cannot be located");
          }
          return Optional.of(Arrays.copyOfRange(json, (int) start, (int) end));
        }
        p.skipChildren();
      }
      return Optional.empty();
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, "JSON does not parse: " + e.getMessage());
    }
  }
}
