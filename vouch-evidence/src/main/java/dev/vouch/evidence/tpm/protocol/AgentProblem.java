package dev.vouch.evidence.tpm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.VerificationException;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * An agent's refusal or failure, as an RFC 9457 problem document. The same JSON is the body of an
 * HTTPS error response ({@code application/problem+json}) and the reply to a NATS request that
 * failed, so both transports report failures alike.
 *
 * <pre>{@code {"type": "urn:vouch:agent:malformed", "title": "...", "status": 400, "detail":
 * "...", "code": "MALFORMED"}}</pre>
 *
 * @param code a stable code: a {@link dev.vouch.core.Failure} name for bad requests, {@code
 *     TPM_ERROR} when the TPM failed, {@code IO_ERROR} when a log could not be read
 * @param status the HTTP status that fits
 * @param detail a human explanation
 */
public record AgentProblem(String code, int status, String detail) {
  /** The TPM refused or failed a command. */
  public static final String TPM_ERROR = "TPM_ERROR";

  /**
   * The agent cannot reach its TPM now (the connection dropped; it is reconnecting). Status 503: a
   * later request may succeed.
   */
  public static final String TPM_UNAVAILABLE = "TPM_UNAVAILABLE";

  /** A log file could not be read. */
  public static final String IO_ERROR = "IO_ERROR";

  private static final Set<String> MEMBERS = Set.of("type", "title", "status", "detail", "code");

  public AgentProblem {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(detail, "detail");
  }

  /** The problem type URI, derived from the code. */
  public String type() {
    return "urn:vouch:agent:" + code.toLowerCase(Locale.ROOT);
  }

  public byte[] toJson() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("type", type());
    o.put("title", code.replace('_', ' ').toLowerCase(Locale.ROOT));
    o.put("status", status);
    o.put("detail", detail);
    o.put("code", code);
    return Json.write(o);
  }

  /** True when {@code json} is a problem document rather than a quote response. */
  public static boolean isProblem(byte[] json) {
    try {
      return isProblem(Json.object(json, "reply"));
    } catch (VerificationException e) {
      return false;
    }
  }

  /** The same for a reply already read as a JSON tree. */
  public static boolean isProblem(JsonNode o) {
    return o.isObject() && o.has("code") && o.has("type") && !o.has("host_id");
  }

  /**
   * Reads a problem document.
   *
   * @throws VerificationException MALFORMED for anything else
   */
  public static AgentProblem parse(byte[] json) throws VerificationException {
    return parse(Json.object(json, "problem"));
  }

  /** The same for a reply already read as a JSON tree. */
  public static AgentProblem parse(JsonNode o) throws VerificationException {
    if (!o.isObject()) {
      throw new VerificationException(
          dev.vouch.core.Failure.MALFORMED, "problem must be a JSON object");
    }
    Json.onlyMembers(o, MEMBERS, "problem");
    JsonNode status = Json.required(o, "status");
    return new AgentProblem(
        Json.text(o, "code"),
        (int) Math.min(999, Json.count(status, "status")),
        Json.optionalText(o, "detail").orElse(""));
  }
}
