package dev.vouch.evidence.snp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * SEV-SNP evidence as it arrives: an attestation report and the certificates sent with it.
 *
 * <p>Accepted forms, told apart by content:
 *
 * <ul>
 *   <li>the binary report (exactly 1184 bytes), as {@code /dev/sev-guest} or configfs-tsm return
 *       it;
 *   <li>the report as hex text (whitespace allowed), as virtee's {@code snpguest} test data holds
 *       it;
 *   <li>Trustee's {@code snp} evidence JSON {@code {"attestation_report": ..., "cert_chain":
 *       [{"cert_type": "VCEK"|"VLEK"|"ASK"|"ARK"|"CRL", "data": [bytes]}] | null}}, where the
 *       report is the {@code sev} crate's JSON object (see {@link SevReportJson}) or a base64 or
 *       hex string of the binary report, and {@code data} is an array of byte values or a base64 or
 *       PEM string.
 * </ul>
 *
 * @param report the parsed report
 * @param certificates the certificate (and CRL) files the evidence carried, in order
 */
public record SnpEvidence(SnpReport report, List<Carried> certificates) {
  private static final ObjectMapper JSON = jsonMapper();

  /** The largest evidence accepted: a report and a handful of certificates, with room to spare. */
  private static final int MAX_EVIDENCE = 1 << 20;

  /** One entry of {@code cert_chain}: what the sender says it is, and its bytes. */
  public record Carried(String declaredType, byte[] data) {
    public Carried {
      data = data.clone();
    }

    @Override
    public byte[] data() {
      return data.clone();
    }
  }

  public SnpEvidence {
    certificates = List.copyOf(certificates);
  }

  private static ObjectMapper jsonMapper() {
    ObjectMapper m = new ObjectMapper();
    m.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(40).build());
    return m;
  }

  /**
   * Parses evidence in any accepted form.
   *
   * @throws VerificationException {@link Failure#TRUNCATED}, {@link Failure#MALFORMED} or {@link
   *     Failure#UNSUPPORTED}
   */
  public static SnpEvidence parse(byte[] evidence) throws VerificationException {
    if (evidence.length > MAX_EVIDENCE) {
      throw new VerificationException(
          Failure.MALFORMED, "SNP evidence of " + evidence.length + " bytes is implausibly large");
    }
    int first = firstNonSpace(evidence);
    if (first >= 0 && evidence[first] == '{') {
      return fromJson(evidence);
    }
    if (evidence.length != SnpReport.LENGTH && isHexText(evidence)) {
      String hex = new String(evidence, StandardCharsets.US_ASCII).replaceAll("[ \\t\\r\\n]", "");
      if ((hex.length() & 1) != 0) {
        throw new VerificationException(
            Failure.MALFORMED, "SNP report hex text has an odd number of digits");
      }
      return new SnpEvidence(SnpReport.parse(Hex.decode(hex)), List.of());
    }
    return new SnpEvidence(SnpReport.parse(evidence), List.of());
  }

  private static SnpEvidence fromJson(byte[] evidence) throws VerificationException {
    JsonNode root;
    try {
      root = JSON.readTree(evidence);
    } catch (JsonProcessingException e) {
      throw new VerificationException(
          Failure.MALFORMED, "SNP evidence is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, "SNP evidence cannot be read", e);
    }
    if (root == null || !root.isObject()) {
      throw new VerificationException(Failure.MALFORMED, "SNP evidence JSON is not an object");
    }
    JsonNode report = root.path("attestation_report");
    byte[] reportBytes;
    if (report.isTextual()) {
      reportBytes = decodeText(report.asText(), "attestation_report");
    } else if (report.isObject()) {
      reportBytes = SevReportJson.toBytes(report);
    } else {
      throw new VerificationException(
          Failure.MALFORMED, "SNP evidence JSON has no attestation_report");
    }
    List<Carried> carried = new ArrayList<>();
    JsonNode chain = root.path("cert_chain");
    if (!chain.isMissingNode() && !chain.isNull()) {
      if (!chain.isArray()) {
        throw new VerificationException(Failure.MALFORMED, "cert_chain is not an array");
      }
      for (int i = 0; i < chain.size(); i++) {
        carried.add(entry(chain.get(i), i));
      }
    }
    return new SnpEvidence(SnpReport.parse(reportBytes), carried);
  }

  private static Carried entry(JsonNode e, int i) throws VerificationException {
    String where = "cert_chain[" + i + "]";
    if (!e.isObject()) {
      throw new VerificationException(Failure.MALFORMED, where + " is not an object");
    }
    JsonNode type = e.path("cert_type");
    // the sev crate writes unit variants as strings and OTHER(guid) as {"OTHER": "guid"}
    String declared =
        type.isTextual() ? type.asText().toUpperCase(Locale.ROOT) : type.isObject() ? "OTHER" : "";
    if (declared.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, where + ".cert_type is missing");
    }
    JsonNode data = e.path("data");
    byte[] bytes;
    if (data.isArray()) {
      bytes = new byte[data.size()];
      for (int k = 0; k < data.size(); k++) {
        JsonNode b = data.get(k);
        if (!b.isIntegralNumber() || !b.canConvertToInt() || b.asInt() < 0 || b.asInt() > 255) {
          throw new VerificationException(
              Failure.MALFORMED, where + ".data[" + k + "] is not a byte");
        }
        bytes[k] = (byte) b.asInt();
      }
    } else if (data.isTextual()) {
      String s = data.asText();
      bytes =
          s.contains("-----BEGIN ")
              ? s.getBytes(StandardCharsets.US_ASCII)
              : decodeText(s, where + ".data");
    } else {
      throw new VerificationException(Failure.MALFORMED, where + ".data is missing");
    }
    return new Carried(declared, bytes);
  }

  /** A report or certificate given as text: hex when it is hex, else base64 (either alphabet). */
  private static byte[] decodeText(String s, String what) throws VerificationException {
    String t = s.strip();
    if (Hex.isHex(t) && t.length() == 2 * SnpReport.LENGTH) {
      return Hex.decode(t);
    }
    try {
      String std = t.replace('-', '+').replace('_', '/');
      return Base64.getMimeDecoder().decode(std);
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, what + " is neither hex nor base64", e);
    }
  }

  private static int firstNonSpace(byte[] b) {
    for (int i = 0; i < b.length; i++) {
      if (!Character.isWhitespace(b[i])) {
        return i;
      }
    }
    return -1;
  }

  /** ASCII hex digits and blanks only (as files and terminals wrap hex dumps). */
  private static boolean isHexText(byte[] b) {
    int digits = 0;
    for (byte c : b) {
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
        digits++;
      } else if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
        return false;
      }
    }
    return digits > 0;
  }
}
