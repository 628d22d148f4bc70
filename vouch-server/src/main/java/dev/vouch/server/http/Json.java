package dev.vouch.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.Base64;
import java.util.Iterator;
import java.util.Set;

/** Strict JSON for request bodies and plain JSON for responses. */
public final class Json {
  /** Duplicate members and trailing content are refused: a request is read one way only. */
  public static final ObjectMapper MAPPER =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(64).build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(DeserializationFeature.USE_LONG_FOR_INTS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private Json() {}

  /** The request body as a JSON object, or a 400 {@code malformed-json} problem. */
  public static JsonNode object(Context ctx) {
    byte[] body = ctx.bodyAsBytes();
    JsonNode n;
    try {
      n = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      throw Problem.badRequest(
          "malformed-json", "the body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw Problem.badRequest("malformed-json", "the body cannot be read: " + e.getMessage());
    }
    if (n == null || !n.isObject()) {
      throw Problem.badRequest("malformed-json", "the body must be a JSON object");
    }
    return n;
  }

  /** Refuses members outside {@code allowed}. */
  public static void onlyFields(JsonNode n, Set<String> allowed, String what) {
    Iterator<String> it = n.fieldNames();
    while (it.hasNext()) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw Problem.badRequest(
            "bad-request", "unknown member '" + f + "' in " + what + " (allowed: " + allowed + ")");
      }
    }
  }

  /** A required text member. */
  public static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw Problem.badRequest("bad-request", "'" + field + "' is required and must be text");
    }
    return v.textValue();
  }

  /** Base64 in either alphabet, padded or not (Trustee sends base64url without padding). */
  public static byte[] base64(String text, String field) {
    String s = text.strip().replace('+', '-').replace('/', '_');
    int pad = s.indexOf('=');
    if (pad >= 0) {
      s = s.substring(0, pad);
    }
    try {
      return Base64.getUrlDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("bad-request", "'" + field + "' is not base64: " + e.getMessage());
    }
  }

  /** Writes {@code value} as JSON with the given status. */
  public static void write(Context ctx, int status, Object value) {
    try {
      ctx.status(status).contentType("application/json").result(MAPPER.writeValueAsBytes(value));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response is not serialisable", e);
    }
  }

  /** Writes a problem document. */
  public static void problem(Context ctx, Problem p) {
    try {
      ctx.status(p.status())
          .contentType("application/problem+json")
          .result(MAPPER.writeValueAsBytes(p.toJson()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("problem is not serialisable", e);
    }
  }
}
