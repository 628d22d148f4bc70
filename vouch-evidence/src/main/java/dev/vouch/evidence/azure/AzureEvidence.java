package dev.vouch.evidence.azure;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Trustee's Azure vTPM evidence JSON, for {@code az-snp-vtpm} and {@code az-tdx-vtpm} alike, in
 * each of its three versions:
 *
 * <ul>
 *   <li>v0 (no {@code version}): the quote as byte arrays, the HCL report as a byte array, and the
 *       hardware part (SNP: {@code quote}, {@code report}, {@code vcek} as PEM; TDX: {@code
 *       tpm_quote}, {@code hcl_report}, {@code td_quote} as a byte array);
 *   <li>v1 and v2: {@code {"version", "tpm_quote": {"signature", "message" hex, "pcrs": [hex]},
 *       "hcl_report", "vcek" | "td_quote"}} with base64url parts. v2 promises that the HCL variable
 *       data's {@code user-data} holds the runtime data.
 * </ul>
 *
 * Unknown members are refused. Immutable; arrays are copied.
 *
 * @param version 0, 1 or 2
 * @param quote the vTPM quote
 * @param hclReport the HCL report bytes
 * @param hardware the VCEK (DER, or PEM in v0) for SNP; the TD quote for TDX
 */
public record AzureEvidence(int version, VtpmQuote quote, byte[] hclReport, byte[] hardware) {

  /** Trustee's evidence stays far below this (a TD quote with its PCK chain is about 5 KiB). */
  private static final int MAX_EVIDENCE = 1 << 20;

  private static final ObjectMapper JSON = mapper();

  /** The name of the hardware part: {@code vcek} for SNP, {@code td_quote} for TDX. */
  public enum Kind {
    SNP("vcek", "quote", "report"),
    TDX("td_quote", "tpm_quote", "hcl_report");

    final String hardware;
    final String v0Quote;
    final String v0Report;

    Kind(String hardware, String v0Quote, String v0Report) {
      this.hardware = hardware;
      this.v0Quote = v0Quote;
      this.v0Report = v0Report;
    }
  }

  public AzureEvidence {
    hclReport = hclReport.clone();
    hardware = hardware.clone();
  }

  private static ObjectMapper mapper() {
    ObjectMapper m = new ObjectMapper();
    m.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(8).maxNumberLength(12).build());
    return m;
  }

  @Override
  public byte[] hclReport() {
    return hclReport.clone();
  }

  @Override
  public byte[] hardware() {
    return hardware.clone();
  }

  /**
   * Parses evidence of {@code kind}.
   *
   * @throws VerificationException {@link Failure#MALFORMED} for anything that is not one of the
   *     three versions (bad JSON, missing or unknown members, bad encodings); {@link
   *     Failure#UNSUPPORTED} for another version number
   */
  public static AzureEvidence parse(byte[] evidence, Kind kind) throws VerificationException {
    if (evidence.length > MAX_EVIDENCE) {
      throw new VerificationException(
          Failure.MALFORMED, "evidence of " + evidence.length + " bytes exceeds " + MAX_EVIDENCE);
    }
    JsonNode root;
    try {
      root = JSON.readTree(evidence);
    } catch (IOException e) {
      throw new VerificationException(
          Failure.MALFORMED, "evidence is not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new VerificationException(Failure.MALFORMED, "evidence is not a JSON object");
    }
    if (!root.has("version")) {
      only(root, "evidence", kind.v0Quote, kind.v0Report, kind.hardware);
      JsonNode q = need(root, kind.v0Quote);
      only(q, kind.v0Quote, "signature", "message", "pcrs");
      List<byte[]> pcrs = new ArrayList<>();
      for (JsonNode p : array(need(q, "pcrs"), "pcrs")) {
        pcrs.add(byteArray(p, "pcrs[]"));
      }
      VtpmQuote quote =
          new VtpmQuote(
              byteArray(need(q, "message"), "message"),
              byteArray(need(q, "signature"), "signature"),
              pcrs);
      byte[] report = byteArray(need(root, kind.v0Report), kind.v0Report);
      JsonNode hw = need(root, kind.hardware);
      byte[] hardware =
          kind == Kind.SNP
              ? text(hw, kind.hardware).getBytes(java.nio.charset.StandardCharsets.UTF_8)
              : byteArray(hw, kind.hardware);
      return new AzureEvidence(0, quote, report, hardware);
    }
    only(root, "evidence", "version", "tpm_quote", "hcl_report", kind.hardware);
    JsonNode v = root.get("version");
    if (!v.isInt() || (v.intValue() != 1 && v.intValue() != 2)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "evidence version " + v + " (Trustee knows 0, 1 and 2)");
    }
    JsonNode q = need(root, "tpm_quote");
    only(q, "tpm_quote", "signature", "message", "pcrs");
    List<byte[]> pcrs = new ArrayList<>();
    for (JsonNode p : array(need(q, "pcrs"), "pcrs")) {
      pcrs.add(hex(p, "pcrs[]"));
    }
    VtpmQuote quote =
        new VtpmQuote(
            hex(need(q, "message"), "message"), hex(need(q, "signature"), "signature"), pcrs);
    return new AzureEvidence(
        v.intValue(),
        quote,
        base64url(need(root, "hcl_report"), "hcl_report"),
        base64url(need(root, kind.hardware), kind.hardware));
  }

  private static void only(JsonNode n, String where, String... allowed)
      throws VerificationException {
    if (!n.isObject()) {
      throw new VerificationException(Failure.MALFORMED, where + " is not a JSON object");
    }
    Set<String> ok = Set.of(allowed);
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!ok.contains(f)) {
        throw new VerificationException(Failure.MALFORMED, where + " has unknown member " + f);
      }
    }
  }

  private static JsonNode need(JsonNode n, String name) throws VerificationException {
    JsonNode v = n.get(name);
    if (v == null || v.isNull()) {
      throw new VerificationException(Failure.MALFORMED, "evidence lacks " + name);
    }
    return v;
  }

  private static JsonNode array(JsonNode n, String what) throws VerificationException {
    if (!n.isArray()) {
      throw new VerificationException(Failure.MALFORMED, what + " is not an array");
    }
    return n;
  }

  private static String text(JsonNode n, String what) throws VerificationException {
    if (!n.isTextual()) {
      throw new VerificationException(Failure.MALFORMED, what + " is not a string");
    }
    return n.asText();
  }

  private static byte[] byteArray(JsonNode n, String what) throws VerificationException {
    array(n, what);
    byte[] out = new byte[n.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode b = n.get(i);
      if (!b.isInt() || b.intValue() < 0 || b.intValue() > 255) {
        throw new VerificationException(Failure.MALFORMED, what + "[" + i + "] is not a byte");
      }
      out[i] = (byte) b.intValue();
    }
    return out;
  }

  private static byte[] hex(JsonNode n, String what) throws VerificationException {
    String s = text(n, what);
    if (!s.isEmpty() && !Hex.isHex(s)) {
      throw new VerificationException(Failure.MALFORMED, what + " is not hex");
    }
    return s.isEmpty() ? new byte[0] : Hex.decode(s);
  }

  private static byte[] base64url(JsonNode n, String what) throws VerificationException {
    try {
      return Base64.getUrlDecoder().decode(text(n, what));
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, what + " is not base64url", e);
    }
  }
}
