package dev.vouch.evidence.cima;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * A container's evidence: its event log ({@link ContainerEventLog}), the caller's nonce, and a TPM
 * quote of PCR 10 whose qualifying data is {@link #binding}{@code (register, nonce)}, so that the
 * virtual register is bound to hardware-signed evidence as CIMA binds it into a TD report.
 *
 * <pre>
 * {"version":1,"nonce":"hex","eventlog":{...ContainerEventLog...},"tpm":{...TpmEvidenceBundle...}}
 * </pre>
 *
 * @param nonce the caller's nonce (1 to 64 bytes)
 * @param eventLog the subject's event log
 * @param tpm the quote bundle (AK, quote, PCR values; the IMA list travels in {@code eventLog})
 */
public record ContainerEvidence(byte[] nonce, ContainerEventLog eventLog, TpmEvidenceBundle tpm) {
  public static final int MAX_NONCE = 64;

  public ContainerEvidence {
    nonce = nonce.clone();
    if (nonce.length == 0 || nonce.length > MAX_NONCE) {
      throw new IllegalArgumentException("nonce of 1 to " + MAX_NONCE + " bytes");
    }
  }

  @Override
  public byte[] nonce() {
    return nonce.clone();
  }

  /**
   * The quote's qualifying data: {@code SHA-256(register || nonce)}. SHA-256 whatever the
   * register's algorithm, so it fits every TPM's {@code TPM2B_DATA} and the 32 bytes a TPM verifier
   * binds.
   */
  public static byte[] binding(byte[] register, byte[] nonce) {
    byte[] both = new byte[register.length + nonce.length];
    System.arraycopy(register, 0, both, 0, register.length);
    System.arraycopy(nonce, 0, both, register.length, nonce.length);
    return HashAlg.SHA256.digest(both);
  }

  private static final ObjectMapper JSON = ContainerEventLog.JSON;

  public byte[] toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", 1);
    root.put("nonce", Hex.encode(nonce));
    root.set("eventlog", eventLog.toJsonNode());
    root.set("tpm", tpm.toJsonNode());
    return root.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads {@link #toJson} output strictly.
   *
   * @throws VerificationException {@link Failure#MALFORMED} for anything but that document
   */
  public static ContainerEvidence parse(byte[] json) throws VerificationException {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw ContainerEventLog.malformed("container evidence is not JSON: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw ContainerEventLog.malformed("container evidence must be a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!Set.of("version", "nonce", "eventlog", "tpm").contains(f)) {
        throw ContainerEventLog.malformed("container evidence: unknown member '" + f + "'");
      }
    }
    if (!root.path("version").isInt() || root.path("version").intValue() != 1) {
      throw ContainerEventLog.malformed("container evidence version must be 1");
    }
    String n = root.path("nonce").asText("");
    if (!root.path("nonce").isTextual()
        || !Hex.isHex(n)
        || n.isEmpty()
        || n.length() % 2 != 0
        || n.length() > 2 * MAX_NONCE) {
      throw ContainerEventLog.malformed("nonce must be 1 to " + MAX_NONCE + " bytes of hex");
    }
    if (!root.path("tpm").isObject()) {
      throw ContainerEventLog.malformed("container evidence needs a tpm bundle");
    }
    ContainerEventLog log = ContainerEventLog.fromJson(root.path("eventlog"));
    TpmEvidenceBundle tpm;
    try {
      tpm = TpmEvidenceBundle.parse(JSON.writeValueAsBytes(root.path("tpm")));
    } catch (IOException e) {
      throw ContainerEventLog.malformed("tpm bundle: " + e.getMessage());
    }
    return new ContainerEvidence(Hex.decode(n), log, tpm);
  }
}
