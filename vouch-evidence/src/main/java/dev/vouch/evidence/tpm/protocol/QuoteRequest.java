package dev.vouch.evidence.tpm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What a verifier asks a trust agent for. JSON:
 *
 * <pre>{@code
 * {"nonce": "<hex, 1..64 bytes>", "pcrs": {"sha256": [0, 1, 7]}, "event_log": true,
 *  "ima_offset": 0, "software": true}
 * }</pre>
 *
 * {@code event_log} defaults to false; without {@code ima_offset} no IMA list is sent, with it the
 * agent sends the entries from that index on (0 for the whole list). {@code software} (default
 * false, and then left out of the JSON) asks for the software measurements of PCR 15.
 *
 * @param nonce the verifier's fresh nonce, echoed in the quote's extraData
 * @param pcrs the registers to quote, per bank; at least one bank, registers 0..23
 * @param includeEventLog whether to send the TCG firmware event log
 * @param imaOffset the first IMA entry to send, or empty for none
 * @param includeSoftware whether to send the software measurements ({@link SoftwareMeasurement})
 */
public record QuoteRequest(
    byte[] nonce,
    Map<HashAlg, SortedSet<Integer>> pcrs,
    boolean includeEventLog,
    OptionalLong imaOffset,
    boolean includeSoftware) {

  /** TPM2_Quote takes at most 64 bytes of qualifying data (TPM2B_DATA of a SHA-512 digest). */
  public static final int MAX_NONCE = 64;

  /** PC Client TPMs have 24 PCRs. */
  public static final int PCR_COUNT = 24;

  private static final Set<String> MEMBERS =
      Set.of("nonce", "pcrs", "event_log", "ima_offset", "software");

  public QuoteRequest {
    Objects.requireNonNull(imaOffset, "imaOffset");
    if (nonce.length == 0 || nonce.length > MAX_NONCE) {
      throw new IllegalArgumentException("nonce of " + nonce.length + " bytes; 1..64 allowed");
    }
    nonce = nonce.clone();
    if (pcrs.isEmpty()) {
      throw new IllegalArgumentException("no PCR bank selected");
    }
    EnumMap<HashAlg, SortedSet<Integer>> copy = new EnumMap<>(HashAlg.class);
    for (Map.Entry<HashAlg, SortedSet<Integer>> e : pcrs.entrySet()) {
      TreeSet<Integer> regs = new TreeSet<>(e.getValue());
      if (regs.isEmpty() || regs.first() < 0 || regs.last() >= PCR_COUNT) {
        throw new IllegalArgumentException("bad register selection " + regs);
      }
      copy.put(e.getKey(), Collections.unmodifiableSortedSet(regs));
    }
    pcrs = Collections.unmodifiableMap(copy);
    if (imaOffset.isPresent() && imaOffset.getAsLong() < 0) {
      throw new IllegalArgumentException("negative IMA offset");
    }
  }

  /** A request without software measurements. */
  public QuoteRequest(
      byte[] nonce,
      Map<HashAlg, SortedSet<Integer>> pcrs,
      boolean includeEventLog,
      OptionalLong imaOffset) {
    this(nonce, pcrs, includeEventLog, imaOffset, false);
  }

  @Override
  public byte[] nonce() {
    return nonce.clone();
  }

  /** The JSON form. */
  public byte[] toJson() {
    ObjectNode root = Json.MAPPER.createObjectNode();
    root.put("nonce", Hex.encode(nonce));
    ObjectNode banks = root.putObject("pcrs");
    for (Map.Entry<HashAlg, SortedSet<Integer>> e : pcrs.entrySet()) {
      ArrayNode a = banks.putArray(e.getKey().shortName());
      e.getValue().forEach(a::add);
    }
    root.put("event_log", includeEventLog);
    imaOffset.ifPresent(o -> root.put("ima_offset", o));
    if (includeSoftware) {
      root.put("software", true);
    }
    return Json.write(root);
  }

  /**
   * Reads a request.
   *
   * @throws VerificationException MALFORMED for bad JSON, members or values; UNSUPPORTED for an
   *     unknown bank
   */
  public static QuoteRequest parse(byte[] json) throws VerificationException {
    ObjectNode root = Json.object(json, "quote request");
    Json.onlyMembers(root, MEMBERS, "quote request");
    byte[] nonce = Json.hex(root, "nonce");
    if (nonce.length > MAX_NONCE) {
      throw new VerificationException(
          Failure.MALFORMED, "nonce of " + nonce.length + " bytes; at most 64 allowed");
    }
    JsonNode banks = Json.required(root, "pcrs");
    if (!banks.isObject() || banks.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, "\"pcrs\" must name at least one bank");
    }
    EnumMap<HashAlg, SortedSet<Integer>> pcrs = new EnumMap<>(HashAlg.class);
    for (Iterator<Map.Entry<String, JsonNode>> it = banks.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      HashAlg bank =
          HashAlg.fromName(e.getKey())
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.UNSUPPORTED, "PCR bank \"" + e.getKey() + "\""));
      if (!e.getValue().isArray() || e.getValue().isEmpty()) {
        throw new VerificationException(
            Failure.MALFORMED, "bank " + e.getKey() + " must list registers");
      }
      TreeSet<Integer> regs = new TreeSet<>();
      for (JsonNode r : e.getValue()) {
        if (!r.isInt() || r.asInt() < 0 || r.asInt() >= PCR_COUNT) {
          throw new VerificationException(
              Failure.MALFORMED, "PCR index " + r + " outside 0.." + (PCR_COUNT - 1));
        }
        regs.add(r.asInt());
      }
      pcrs.put(bank, regs);
    }
    boolean eventLog = Json.bool(root, "event_log", false);
    JsonNode ima = root.get("ima_offset");
    OptionalLong imaOffset =
        ima == null ? OptionalLong.empty() : OptionalLong.of(Json.count(ima, "ima_offset"));
    return new QuoteRequest(nonce, pcrs, eventLog, imaOffset, Json.bool(root, "software", false));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof QuoteRequest q
        && Arrays.equals(nonce, q.nonce)
        && pcrs.equals(q.pcrs)
        && includeEventLog == q.includeEventLog
        && imaOffset.equals(q.imaOffset)
        && includeSoftware == q.includeSoftware;
  }

  @Override
  public int hashCode() {
    return Objects.hash(Arrays.hashCode(nonce), pcrs, includeEventLog, imaOffset, includeSoftware);
  }

  @Override
  public String toString() {
    return "QuoteRequest[pcrs="
        + pcrs
        + ", eventLog="
        + includeEventLog
        + ", ima="
        + imaOffset
        + ", software="
        + includeSoftware
        + "]";
  }
}
