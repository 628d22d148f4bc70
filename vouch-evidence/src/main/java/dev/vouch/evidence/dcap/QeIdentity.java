package dev.vouch.evidence.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Intel QE identity (enclave identity version 2) for the SGX quoting enclave ({@code QE}) or the TD
 * quoting enclave ({@code TD_QE}): what a genuine QE report must show, and its TCB levels.
 */
public record QeIdentity(
    String id,
    int version,
    Instant issueDate,
    Instant nextUpdate,
    int tcbEvaluationDataNumber,
    byte[] miscSelect,
    byte[] miscSelectMask,
    byte[] attributes,
    byte[] attributesMask,
    byte[] mrSigner,
    int isvProdId,
    List<TcbInfo.ModuleLevel> tcbLevels,
    byte[] signedBytes,
    byte[] signature) {

  /**
   * Parses the signed {@code enclaveIdentity} object.
   *
   * @param signedBytes the exact bytes of the {@code enclaveIdentity} value
   * @param signature the 64-byte {@code r || s} signature
   */
  public static QeIdentity parse(byte[] signedBytes, byte[] signature)
      throws VerificationException {
    JsonNode n = Json.tree(signedBytes, "QE identity");
    String id = Json.text(n, "id");
    int version = Json.integer(n, "version");
    if (version != 2 || !(id.equals("QE") || id.equals("TD_QE"))) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "enclave identity " + id + " version " + version + " (v2 QE only)");
    }
    List<TcbInfo.ModuleLevel> levels = new ArrayList<>();
    for (JsonNode l : Json.array(n, "tcbLevels")) {
      levels.add(
          new TcbInfo.ModuleLevel(
              Json.integer(Json.field(l, "tcb"), "isvsvn"),
              Json.time(l, "tcbDate"),
              Json.status(l),
              Json.strings(l, "advisoryIDs")));
    }
    return new QeIdentity(
        id,
        version,
        Json.time(n, "issueDate"),
        Json.time(n, "nextUpdate"),
        Json.integer(n, "tcbEvaluationDataNumber"),
        Json.hex(n, "miscselect", 4),
        Json.hex(n, "miscselectMask", 4),
        Json.hex(n, "attributes", 16),
        Json.hex(n, "attributesMask", 16),
        Json.hex(n, "mrsigner", 32),
        Json.integer(n, "isvprodid"),
        List.copyOf(levels),
        signedBytes.clone(),
        signature.clone());
  }

  /** True for the TD quoting enclave's identity. */
  public boolean isTdQe() {
    return id.equals("TD_QE");
  }
}
