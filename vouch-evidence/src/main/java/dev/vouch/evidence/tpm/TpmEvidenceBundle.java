package dev.vouch.evidence.tpm;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The TPM evidence file of {@code vouch verify --tee tpm --evidence FILE}: everything a verifier
 * needs from one TPM host in one JSON document. Version 1:
 *
 * <pre>{@code
 * {
 *   "version": 1,
 *   "ak": {"tpm2b_public": "<base64>"},
 *   "ak_cert": "<base64 DER>",
 *   "ak_chain": ["<base64 DER>", ...],
 *   "quotes": [{"attest": "<base64>", "signature": "<base64>"}, ...],
 *   "pcrs": {"sha256": {"0": "<hex>", "10": "<hex>"}, "sha1": {...}},
 *   "event_log": "<base64>",
 *   "ima_log": "<base64>",
 *   "ima_log_ascii": "<text>"
 * }
 * }</pre>
 *
 * <ul>
 *   <li>{@code version} (required): the number 1. Other versions are {@link Failure#UNSUPPORTED}.
 *   <li>{@code ak} (required): the attestation key, an object with exactly one member: {@code
 *       tpm2b_public} (base64 TPM2B_PUBLIC, as {@code tpm2_readpublic -o} writes it; preferred,
 *       because the key's attributes and name can then be checked), {@code tpmt_public} (base64
 *       bare TPMT_PUBLIC, as go-tpm-tools stores it), {@code spki} (base64 DER
 *       SubjectPublicKeyInfo) or {@code pem} (PEM text of a public key).
 *   <li>{@code ak_cert} (optional): base64 DER X.509 certificate of the AK (e.g. Google's vTPM AK
 *       certificate), checked by {@link AkCertificateVerifier}.
 *   <li>{@code ak_chain} (optional): base64 DER intermediate certificates from the AK certificate
 *       towards a root, in any order; a root in this list is never trusted for being here.
 *   <li>{@code quotes} (required, at least one): TPM2_Quote results, each with {@code attest}
 *       (base64 TPMS_ATTEST, {@code tpm2_quote -m}) and {@code signature} (base64 TPMT_SIGNATURE,
 *       {@code tpm2_quote -s}). Hosts that quote each bank separately (Google's vTPM) send one
 *       quote per bank.
 *   <li>{@code pcrs} (required): register values per bank: bank names {@code sha1}, {@code sha256},
 *       {@code sha384}, {@code sha512}, {@code sm3_256}; register indexes as decimal strings
 *       0..1023; values as hex of the bank's digest size. Must cover every register the quotes
 *       select.
 *   <li>{@code event_log} (optional): base64 of the TCG PC Client firmware event log ({@code
 *       /sys/kernel/security/tpm0/binary_bios_measurements}).
 *   <li>{@code ima_log} (optional): base64 of the IMA binary measurement list ({@code
 *       binary_runtime_measurements}).
 *   <li>{@code ima_log_ascii} (optional): the IMA ASCII measurement list ({@code
 *       ascii_runtime_measurements}) as text; at most one of {@code ima_log} and {@code
 *       ima_log_ascii}.
 * </ul>
 *
 * Unknown members, duplicate members, bad base64 or hex, and trailing content are {@link
 * Failure#MALFORMED}: the file is evidence, so it is read strictly. Base64 is standard (RFC 4648
 * section 4) with padding; whitespace inside it is ignored.
 *
 * @param ak the attestation key
 * @param akCert the AK certificate, DER
 * @param akChain intermediate certificates, DER
 * @param quotes the quotes, at least one
 * @param pcrs the register values
 * @param eventLog the raw TCG event log
 * @param imaLog the raw binary IMA log
 * @param imaLogAscii the ASCII IMA log
 */
public record TpmEvidenceBundle(
    AkKey ak,
    Optional<byte[]> akCert,
    List<byte[]> akChain,
    List<Quote> quotes,
    PcrValues pcrs,
    Optional<byte[]> eventLog,
    Optional<byte[]> imaLog,
    Optional<String> imaLogAscii) {

  /** The current format version. */
  public static final int VERSION = 1;

  /** The largest register index accepted in {@code pcrs}. */
  static final int MAX_PCR_INDEX = 1023;

  private static final Set<String> MEMBERS =
      Set.of(
          "version",
          "ak",
          "ak_cert",
          "ak_chain",
          "quotes",
          "pcrs",
          "event_log",
          "ima_log",
          "ima_log_ascii");

  private static final ObjectMapper JSON =
      new ObjectMapper(
              JsonFactory.builder()
                  .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                  // event and IMA logs of busy hosts exceed Jackson's default 20 MB string limit
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxStringLength(512 * 1024 * 1024)
                          .maxNestingDepth(16)
                          .build())
                  .build())
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** One quote: the TPMS_ATTEST and TPMT_SIGNATURE bytes. */
  public record Quote(byte[] attest, byte[] signature) {
    public Quote {
      attest = attest.clone();
      signature = signature.clone();
    }

    @Override
    public byte[] attest() {
      return attest.clone();
    }

    @Override
    public byte[] signature() {
      return signature.clone();
    }
  }

  public TpmEvidenceBundle {
    Objects.requireNonNull(ak, "ak");
    Objects.requireNonNull(pcrs, "pcrs");
    akCert = akCert.map(byte[]::clone);
    akChain = akChain.stream().map(byte[]::clone).toList();
    quotes = List.copyOf(quotes);
    if (quotes.isEmpty()) {
      throw new IllegalArgumentException("a bundle needs at least one quote");
    }
    eventLog = eventLog.map(byte[]::clone);
    imaLog = imaLog.map(byte[]::clone);
    Objects.requireNonNull(imaLogAscii, "imaLogAscii");
  }

  @Override
  public Optional<byte[]> akCert() {
    return akCert.map(byte[]::clone);
  }

  @Override
  public List<byte[]> akChain() {
    return akChain.stream().map(byte[]::clone).toList();
  }

  @Override
  public Optional<byte[]> eventLog() {
    return eventLog.map(byte[]::clone);
  }

  @Override
  public Optional<byte[]> imaLog() {
    return imaLog.map(byte[]::clone);
  }

  /**
   * Parses a bundle. The AK is decoded too, so a bundle that parses has a usable key.
   *
   * @throws VerificationException {@link Failure#MALFORMED} for bad JSON or a field that breaks the
   *     rules above, {@link Failure#UNSUPPORTED} for another version or an unknown bank
   */
  public static TpmEvidenceBundle parse(byte[] json) throws VerificationException {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new VerificationException(
          Failure.MALFORMED, "evidence JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, "evidence JSON: " + e.getMessage(), e);
    }
    return parse(root);
  }

  /**
   * Reads the bundle from a JSON tree already read with the same strictness (duplicate members
   * refused, the same limits): a quote response carries it as a member and is read once.
   *
   * @throws VerificationException as {@link #parse(byte[])}
   */
  public static TpmEvidenceBundle parse(JsonNode root) throws VerificationException {
    if (root == null || !root.isObject()) {
      throw malformed("evidence must be a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!MEMBERS.contains(name)) {
        throw malformed("unknown member \"" + name + "\"");
      }
    }
    JsonNode version = required(root, "version");
    if (!version.isIntegralNumber()) {
      throw malformed("version must be a number");
    }
    if (!version.canConvertToInt() || version.intValue() != VERSION) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "evidence version " + version.asText() + ", expected " + VERSION);
    }
    AkKey ak = parseAk(required(root, "ak"));
    Optional<byte[]> akCert = optionalBase64(root, "ak_cert");
    List<byte[]> akChain = new ArrayList<>();
    JsonNode chain = root.get("ak_chain");
    if (chain != null) {
      if (!chain.isArray()) {
        throw malformed("ak_chain must be an array");
      }
      for (JsonNode c : chain) {
        akChain.add(base64(c, "ak_chain[]"));
      }
    }
    JsonNode quotesNode = required(root, "quotes");
    if (!quotesNode.isArray() || quotesNode.isEmpty()) {
      throw malformed("quotes must be a non-empty array");
    }
    List<Quote> quotes = new ArrayList<>();
    for (JsonNode q : quotesNode) {
      if (!q.isObject() || q.size() != 2) {
        throw malformed("each quote must be an object with attest and signature only");
      }
      quotes.add(
          new Quote(
              base64(required(q, "attest"), "attest"),
              base64(required(q, "signature"), "signature")));
    }
    PcrValues pcrs = parsePcrs(required(root, "pcrs"));
    Optional<byte[]> eventLog = optionalBase64(root, "event_log");
    Optional<byte[]> imaLog = optionalBase64(root, "ima_log");
    Optional<String> imaAscii = Optional.empty();
    JsonNode ascii = root.get("ima_log_ascii");
    if (ascii != null) {
      if (!ascii.isTextual()) {
        throw malformed("ima_log_ascii must be a string");
      }
      if (imaLog.isPresent()) {
        throw malformed("give ima_log or ima_log_ascii, not both");
      }
      imaAscii = Optional.of(ascii.textValue());
    }
    return new TpmEvidenceBundle(ak, akCert, akChain, quotes, pcrs, eventLog, imaLog, imaAscii);
  }

  private static AkKey parseAk(JsonNode node) throws VerificationException {
    if (!node.isObject() || node.size() != 1) {
      throw malformed(
          "ak must be an object with exactly one of tpm2b_public, tpmt_public, spki, pem");
    }
    String form = node.fieldNames().next();
    JsonNode value = node.get(form);
    return switch (form) {
      case "tpm2b_public" -> AkKeys.of(TpmPublic.fromTpm2b(base64(value, "ak.tpm2b_public")));
      case "tpmt_public" -> AkKeys.of(TpmPublic.fromTpmt(base64(value, "ak.tpmt_public")));
      case "spki" -> {
        byte[] der = base64(value, "ak.spki");
        if (der.length == 0 || der[0] != 0x30) {
          throw malformed("ak.spki is not DER");
        }
        yield AkKeys.parse(der);
      }
      case "pem" -> {
        if (!value.isTextual() || !value.textValue().strip().startsWith("-----BEGIN")) {
          throw malformed("ak.pem must be PEM text");
        }
        yield AkKeys.parse(value.textValue().getBytes(StandardCharsets.US_ASCII));
      }
      default -> throw malformed("unknown AK form \"" + form + "\"");
    };
  }

  private static PcrValues parsePcrs(JsonNode node) throws VerificationException {
    if (!node.isObject()) {
      throw malformed("pcrs must be an object of banks");
    }
    PcrValues.Builder out = PcrValues.builder();
    for (Map.Entry<String, JsonNode> bank : node.properties()) {
      HashAlg alg =
          HashAlg.fromName(bank.getKey())
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.UNSUPPORTED, "pcrs: unknown bank \"" + bank.getKey() + "\""));
      if (!bank.getValue().isObject()) {
        throw malformed("pcrs." + bank.getKey() + " must be an object of registers");
      }
      for (Map.Entry<String, JsonNode> reg : bank.getValue().properties()) {
        int index = pcrIndex(reg.getKey());
        String where = "pcrs." + bank.getKey() + "." + reg.getKey();
        byte[] value = hex(reg.getValue(), where);
        if (value.length != alg.size()) {
          throw malformed(where + " has " + value.length + " bytes, expected " + alg.size());
        }
        out.put(alg, index, value);
      }
    }
    return out.build();
  }

  private static int pcrIndex(String s) throws VerificationException {
    if (s.isEmpty() || s.length() > 4 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw malformed("pcr index \"" + s + "\" is not a decimal number");
    }
    int i = Integer.parseInt(s);
    if (i > MAX_PCR_INDEX || (s.length() > 1 && s.charAt(0) == '0')) {
      throw malformed("pcr index \"" + s + "\" is out of range or not canonical");
    }
    return i;
  }

  private static JsonNode required(JsonNode node, String name) throws VerificationException {
    JsonNode v = node.get(name);
    if (v == null || v.isNull()) {
      throw malformed("missing member \"" + name + "\"");
    }
    return v;
  }

  private static Optional<byte[]> optionalBase64(JsonNode root, String name)
      throws VerificationException {
    JsonNode v = root.get(name);
    return v == null ? Optional.empty() : Optional.of(base64(v, name));
  }

  private static byte[] base64(JsonNode node, String what) throws VerificationException {
    if (!node.isTextual()) {
      throw malformed(what + " must be a base64 string");
    }
    String s = node.textValue();
    StringBuilder compact = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
        compact.append(c);
      }
    }
    try {
      return Base64.getDecoder().decode(compact.toString());
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, what + ": bad base64", e);
    }
  }

  private static byte[] hex(JsonNode node, String what) throws VerificationException {
    if (!node.isTextual() || !Hex.isHex(node.textValue())) {
      throw malformed(what + " must be a hex string");
    }
    return Hex.decode(node.textValue());
  }

  private static VerificationException malformed(String message) {
    return new VerificationException(Failure.MALFORMED, "evidence: " + message);
  }

  /** This bundle as a version 1 JSON document (the AK as TPM2B_PUBLIC when known, else SPKI). */
  public byte[] toJson() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJsonNode());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot happen for a tree of strings", e);
    }
  }

  /** {@link #toJson()} as a tree, for documents that embed the bundle (agent answers). */
  public ObjectNode toJsonNode() {
    Base64.Encoder b64 = Base64.getEncoder();
    ObjectNode root = JSON.createObjectNode();
    root.put("version", VERSION);
    ObjectNode akNode = root.putObject("ak");
    if (ak.tpmPublic().isPresent()) {
      akNode.put("tpm2b_public", b64.encodeToString(ak.tpmPublic().get().toTpm2b()));
    } else {
      akNode.put("spki", b64.encodeToString(ak.publicKey().getEncoded()));
    }
    akCert.ifPresent(c -> root.put("ak_cert", b64.encodeToString(c)));
    if (!akChain.isEmpty()) {
      ArrayNode chain = root.putArray("ak_chain");
      akChain.forEach(c -> chain.add(b64.encodeToString(c)));
    }
    ArrayNode qs = root.putArray("quotes");
    for (Quote q : quotes) {
      ObjectNode n = qs.addObject();
      n.put("attest", b64.encodeToString(q.attest));
      n.put("signature", b64.encodeToString(q.signature));
    }
    ObjectNode banks = root.putObject("pcrs");
    pcrs.toHexMap()
        .forEach(
            (bank, regs) -> {
              ObjectNode b = banks.putObject(bank);
              regs.forEach(b::put);
            });
    eventLog.ifPresent(l -> root.put("event_log", b64.encodeToString(l)));
    imaLog.ifPresent(l -> root.put("ima_log", b64.encodeToString(l)));
    imaLogAscii.ifPresent(l -> root.put("ima_log_ascii", l));
    return root;
  }
}
