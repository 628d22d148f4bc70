package dev.vouch.policy.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.json.Jcs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One record of the hash-chained audit log. {@code hash} is SHA-256 over the RFC 8785 canonical
 * JSON of every other member, {@code prev} included, so that changing, removing, inserting or
 * moving a record breaks the chain at a point a verifier can name. The first record's {@code prev}
 * is 64 zeros.
 */
public record AuditRecord(long seq, Instant at, AuditEntry entry, String prev, String hash) {
  /** The {@code prev} of the first record. */
  public static final String GENESIS = "0".repeat(64);

  private static final ObjectMapper JSON = new ObjectMapper();

  public AuditRecord {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(entry, "entry");
    Objects.requireNonNull(prev, "prev");
    Objects.requireNonNull(hash, "hash");
  }

  /**
   * The record that follows {@code previous} (or starts the chain when it is {@code null}), its
   * time cut to milliseconds so that it survives every database's timestamp column unchanged.
   */
  public static AuditRecord next(AuditRecord previous, Instant at, AuditEntry entry) {
    return previous == null
        ? after(0, GENESIS, at, entry)
        : after(previous.seq(), previous.hash(), at, entry);
  }

  /**
   * The record after the one numbered {@code prevSeq} with hash {@code prevHash} (0 and {@link
   * #GENESIS} for the first).
   */
  public static AuditRecord after(long prevSeq, String prevHash, Instant at, AuditEntry entry) {
    long seq = prevSeq + 1;
    Instant t = at.truncatedTo(ChronoUnit.MILLIS);
    return new AuditRecord(seq, t, entry, prevHash, hashOf(seq, t, entry, prevHash));
  }

  /** Whether {@code hash} is the hash of the other members. */
  public boolean intact() {
    return hash.equals(hashOf(seq, at, entry, prev));
  }

  /** The record as one canonical JSON line (no newline). */
  public String toJsonLine() {
    ObjectNode o = body(seq, at, entry, prev);
    o.put("hash", hash);
    return new String(Jcs.canonicalize(o), StandardCharsets.UTF_8);
  }

  /** The record as a JSON object, for the HTTP API. */
  public ObjectNode toJson() {
    ObjectNode o = body(seq, at, entry, prev);
    o.put("hash", hash);
    return o;
  }

  /**
   * Reads a record written by {@link #toJsonLine}; it is not checked here ({@link #intact}).
   *
   * @throws VerificationException MALFORMED for a line that is not such a record
   */
  public static AuditRecord fromJson(JsonNode o) throws VerificationException {
    if (!o.isObject()) {
      throw new VerificationException(Failure.MALFORMED, "an audit record is a JSON object");
    }
    try {
      return new AuditRecord(
          requiredLong(o, "seq"),
          Instant.parse(required(o, "at")),
          new AuditEntry(
              required(o, "actor"),
              required(o, "action"),
              optional(o, "target"),
              required(o, "outcome"),
              optional(o, "request_id"),
              optional(o, "source"),
              optional(o, "detail")),
          required(o, "prev"),
          required(o, "hash"));
    } catch (DateTimeParseException e) {
      throw new VerificationException(Failure.MALFORMED, "\"at\" is not an ISO-8601 instant");
    }
  }

  private static String hashOf(long seq, Instant at, AuditEntry e, String prev) {
    try {
      return Hex.encode(
          MessageDigest.getInstance("SHA-256").digest(Jcs.canonicalize(body(seq, at, e, prev))));
    } catch (NoSuchAlgorithmException x) {
      throw new IllegalStateException(x);
    }
  }

  private static ObjectNode body(long seq, Instant at, AuditEntry e, String prev) {
    ObjectNode o = JSON.createObjectNode();
    o.put("seq", seq);
    o.put("at", at.toString());
    o.put("actor", e.actor());
    o.put("action", e.action());
    o.put("target", e.target());
    o.put("outcome", e.outcome());
    o.put("request_id", e.requestId());
    o.put("source", e.source());
    o.put("detail", e.detail());
    o.put("prev", prev);
    return o;
  }

  private static String required(JsonNode o, String name) throws VerificationException {
    JsonNode v = o.get(name);
    if (v == null || !v.isTextual()) {
      throw new VerificationException(
          Failure.MALFORMED, "an audit record needs \"" + name + "\" as a string");
    }
    return v.textValue();
  }

  private static String optional(JsonNode o, String name) throws VerificationException {
    JsonNode v = o.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new VerificationException(Failure.MALFORMED, "\"" + name + "\" must be a string");
    }
    return v.textValue();
  }

  private static long requiredLong(JsonNode o, String name) throws VerificationException {
    JsonNode v = o.get(name);
    if (v == null || !v.canConvertToExactIntegral() || !v.canConvertToLong() || v.longValue() < 1) {
      throw new VerificationException(
          Failure.MALFORMED, "an audit record needs \"" + name + "\" as a positive integer");
    }
    return v.longValue();
  }
}
