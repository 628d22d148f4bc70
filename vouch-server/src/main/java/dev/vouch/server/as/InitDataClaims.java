package dev.vouch.server.as;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The {@code init_data_claims} of a token, as Trustee's attestation service derives them from an
 * init data document (TOML: {@code version}, {@code algorithm}, a {@code [data]} table): the {@code
 * data} table as JSON, with the embedded {@code cdh.toml} and {@code aa.toml} documents parsed into
 * objects when they are TOML (kept as text otherwise, as Trustee keeps them). Only documents whose
 * digest the evidence bound are read, so the claims are as trustworthy as the binding.
 *
 * <p>Deliberate difference: Trustee replaces a {@code policy.rego} entry by claims it extracts from
 * the Rego source; Vouch keeps the text (it evaluates no Rego).
 */
public final class InitDataClaims {
  private static final TomlMapper TOML = new TomlMapper();
  private static final List<String> EMBEDDED_TOML = List.of("cdh.toml", "aa.toml");

  private InitDataClaims() {}

  /**
   * The claims of {@code document}: its {@code data} table, or JSON null when it has none.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when the document is not TOML
   */
  public static Object of(byte[] document) throws VerificationException {
    JsonNode root;
    try {
      root = TOML.readTree(document);
    } catch (IOException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "init data is not a TOML document");
    }
    JsonNode data = root == null ? null : root.get("data");
    if (data == null || !data.isObject()) {
      return null;
    }
    ObjectNode out = ((ObjectNode) data).deepCopy();
    for (String name : EMBEDDED_TOML) {
      JsonNode v = out.get(name);
      if (v != null && v.isTextual()) {
        try {
          out.set(name, TOML.readTree(v.textValue()));
        } catch (IOException | RuntimeException e) {
          // not TOML after all: Trustee keeps such an entry as text, and so do we
        }
      }
    }
    return TOML.convertValue(out, Map.class);
  }
}
