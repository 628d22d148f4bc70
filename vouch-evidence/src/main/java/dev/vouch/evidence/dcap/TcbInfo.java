package dev.vouch.evidence.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Intel TCB info for SGX or TDX platforms of one FMSPC: the TCB levels in Intel's order (highest
 * first) and, for TDX, the TDX module identities. Version 3 (PCS API v4) and version 2 (PCS API v3,
 * SGX only: no {@code id}, components as {@code sgxtcbcomp01svn..16}) are read into the same shape.
 * Holds the exact signed bytes and the signature; {@link DcapCollateral} checks the signature
 * before any level is used.
 *
 * @param id {@code "SGX"} or {@code "TDX"} ({@code "SGX"} for version 2, which predates TDX)
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
    int version = Json.integer(n, "version");
    if (version == 2) {
      return parseV2(n, signedBytes, signature);
    }
    String id = Json.text(n, "id");
    if (version != 3 || !(id.equals("SGX") || id.equals("TDX"))) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "TCB info " + id + " version " + version + " (v2 SGX, v3 SGX/TDX only)");
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
    return of(id, version, n, module, identities, levels, signedBytes, signature);
  }

  /**
   * Version 2 (Intel PCS API v3): SGX only, so no {@code id}; each level's components are the
   * members {@code sgxtcbcomp01svn..sgxtcbcomp16svn}. An {@code id} or TDX members are refused, as
   * no version 2 TCB info carries them.
   */
  private static TcbInfo parseV2(JsonNode n, byte[] signedBytes, byte[] signature)
      throws VerificationException {
    if (n.has("id") || n.has("tdxModule")) {
      throw new VerificationException(
          Failure.MALFORMED, "TCB info version 2 has no \"id\" or \"tdxModule\"");
    }
    List<Level> levels = new ArrayList<>();
    for (JsonNode l : Json.array(n, "tcbLevels")) {
      JsonNode tcb = Json.field(l, "tcb");
      int[] sgx = new int[16];
      for (int i = 0; i < 16; i++) {
        sgx[i] = Json.integer(tcb, String.format(Locale.ROOT, "sgxtcbcomp%02dsvn", i + 1));
      }
      levels.add(
          new Level(
              sgx,
              Json.integer(tcb, "pcesvn"),
              Optional.empty(),
              Json.time(l, "tcbDate"),
              Json.status(l),
              Json.strings(l, "advisoryIDs")));
    }
    return of("SGX", 2, n, Optional.empty(), List.of(), levels, signedBytes, signature);
  }

  private static TcbInfo of(
      String id,
      int version,
      JsonNode n,
      Optional<TdxModule> module,
      List<TdxModuleIdentity> identities,
      List<Level> levels,
      byte[] signedBytes,
      byte[] signature)
      throws VerificationException {
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
