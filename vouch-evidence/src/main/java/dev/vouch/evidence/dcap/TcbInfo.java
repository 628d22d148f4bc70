package dev.vouch.evidence.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Intel TCB info, version 3, for SGX or TDX platforms of one FMSPC: the TCB levels in Intel's order
 * (highest first) and, for TDX, the TDX module identities. Holds the exact signed bytes and the
 * signature; {@link DcapCollateral} checks the signature before any level is used.
 *
 * @param id {@code "SGX"} or {@code "TDX"}
 */
public record TcbInfo(
    String id,
    int version,
    Instant issueDate,
    Instant nextUpdate,
    byte[] fmspc,
    byte[] pceId,
    int tcbEvaluationDataNumber,
    Optional<TdxModule> tdxModule,
    List<TdxModuleIdentity> tdxModuleIdentities,
    List<Level> tcbLevels,
    byte[] signedBytes,
    byte[] signature) {

  /** A platform TCB level. {@code tdxComponents} is empty for SGX TCB info. */
  public record Level(
      int[] sgxComponents,
      int pceSvn,
      Optional<int[]> tdxComponents,
      Instant tcbDate,
      TcbStatus status,
      List<String> advisoryIds) {}

  /** The default TDX module signer and attributes. */
  public record TdxModule(byte[] mrSigner, byte[] attributes, byte[] attributesMask) {}

  /** A TDX module identity ({@code TDX_01}, {@code TDX_03}, ...) with its own TCB levels. */
  public record TdxModuleIdentity(
      String id,
      byte[] mrSigner,
      byte[] attributes,
      byte[] attributesMask,
      List<ModuleLevel> tcbLevels) {}

  /** A TDX module TCB level: module SVN threshold and status. */
  public record ModuleLevel(
      int isvSvn, Instant tcbDate, TcbStatus status, List<String> advisoryIds) {}

  /**
   * Parses the signed {@code tcbInfo} object.
   *
   * @param signedBytes the exact bytes of the {@code tcbInfo} value
   * @param signature the 64-byte {@code r || s} signature
   */
  public static TcbInfo parse(byte[] signedBytes, byte[] signature) throws VerificationException {
    JsonNode n = Json.tree(signedBytes, "TCB info");
    String id = Json.text(n, "id");
    int version = Json.integer(n, "version");
    if (version != 3 || !(id.equals("SGX") || id.equals("TDX"))) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "TCB info " + id + " version " + version + " (v3 SGX/TDX only)");
    }
    boolean tdx = id.equals("TDX");
    Optional<TdxModule> module = Optional.empty();
    List<TdxModuleIdentity> identities = new ArrayList<>();
    if (tdx) {
      JsonNode m = Json.field(n, "tdxModule");
      module =
          Optional.of(
              new TdxModule(
                  Json.hex(m, "mrsigner", 48),
                  Json.hex(m, "attributes", 8),
                  Json.hex(m, "attributesMask", 8)));
      if (n.has("tdxModuleIdentities")) {
        for (JsonNode i : Json.array(n, "tdxModuleIdentities")) {
          List<ModuleLevel> levels = new ArrayList<>();
          for (JsonNode l : Json.array(i, "tcbLevels")) {
            levels.add(
                new ModuleLevel(
                    Json.integer(Json.field(l, "tcb"), "isvsvn"),
                    Json.time(l, "tcbDate"),
                    Json.status(l),
                    Json.strings(l, "advisoryIDs")));
          }
          identities.add(
              new TdxModuleIdentity(
                  Json.text(i, "id"),
                  Json.hex(i, "mrsigner", 48),
                  Json.hex(i, "attributes", 8),
                  Json.hex(i, "attributesMask", 8),
                  List.copyOf(levels)));
        }
      }
    }
    List<Level> levels = new ArrayList<>();
    for (JsonNode l : Json.array(n, "tcbLevels")) {
      JsonNode tcb = Json.field(l, "tcb");
      int[] sgx = components(tcb, "sgxtcbcomponents");
      Optional<int[]> tdxComps =
          tdx ? Optional.of(components(tcb, "tdxtcbcomponents")) : Optional.empty();
      levels.add(
          new Level(
              sgx,
              Json.integer(tcb, "pcesvn"),
              tdxComps,
              Json.time(l, "tcbDate"),
              Json.status(l),
              Json.strings(l, "advisoryIDs")));
    }
    if (levels.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, "TCB info has no TCB levels");
    }
    return new TcbInfo(
        id,
        version,
        Json.time(n, "issueDate"),
        Json.time(n, "nextUpdate"),
        Json.hex(n, "fmspc", 6),
        Json.hex(n, "pceId", 2),
        Json.integer(n, "tcbEvaluationDataNumber"),
        module,
        List.copyOf(identities),
        List.copyOf(levels),
        signedBytes.clone(),
        signature.clone());
  }

  private static int[] components(JsonNode tcb, String name) throws VerificationException {
    List<JsonNode> list = Json.array(tcb, name);
    if (list.size() != 16) {
      throw new VerificationException(Failure.MALFORMED, name + " must list 16 components");
    }
    int[] out = new int[16];
    for (int i = 0; i < 16; i++) {
      out[i] = Json.integer(list.get(i), "svn");
    }
    return out;
  }

  /** True for TDX TCB info. */
  public boolean isTdx() {
    return id.equals("TDX");
  }
}
