package dev.vouch.evidence.tdx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.util.Base64;
import java.util.Optional;

/**
 * TDX evidence as it arrives: a raw quote, or Trustee's JSON {@code {"quote": base64,
 * "cc_eventlog": base64 | null}}; an empty {@code cc_eventlog} string means no log, as in Trustee.
 */
public record TdxEvidence(byte[] quote, Optional<byte[]> ccEventLog) {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * Reads either form; JSON is recognised by its first non-blank byte {@code '{'}.
   *
   * @throws VerificationException {@link Failure#MALFORMED} for JSON without a base64 quote
   */
  public static TdxEvidence parse(byte[] evidence) throws VerificationException {
    int i = 0;
    while (i < evidence.length && Character.isWhitespace(evidence[i])) {
      i++;
    }
    if (i == evidence.length || evidence[i] != '{') {
      return new TdxEvidence(evidence, Optional.empty());
    }
    JsonNode n;
    try {
      n = MAPPER.readTree(evidence);
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, "TDX evidence JSON does not parse");
    }
    JsonNode q = n.get("quote");
    if (q == null || !q.isTextual()) {
      throw new VerificationException(Failure.MALFORMED, "TDX evidence JSON lacks \"quote\"");
    }
    JsonNode log = n.get("cc_eventlog");
    Optional<byte[]> ccel = Optional.empty();
    if (log != null && !log.isNull()) {
      if (!log.isTextual()) {
        throw new VerificationException(Failure.MALFORMED, "\"cc_eventlog\" is not a string");
      }
      // Trustee's attester sends "" when the guest has no CCEL, and its verifier reads that as
      // no log; an empty log would otherwise fail as TRUNCATED
      if (!log.textValue().isEmpty()) {
        ccel = Optional.of(base64(log.textValue(), "cc_eventlog"));
      }
    }
    return new TdxEvidence(base64(q.textValue(), "quote"), ccel);
  }

  private static byte[] base64(String s, String what) throws VerificationException {
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      try {
        return Base64.getUrlDecoder().decode(s);
      } catch (IllegalArgumentException e2) {
        throw new VerificationException(Failure.MALFORMED, "\"" + what + "\" is not base64");
      }
    }
  }
}
