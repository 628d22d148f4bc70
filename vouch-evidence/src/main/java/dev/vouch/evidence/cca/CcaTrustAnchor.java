package dev.vouch.evidence.cca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A CCA platform attestation key (IAK, called CPAK by Veraison) trusted to sign platform tokens,
 * optionally bound to one platform's implementation and instance IDs.
 *
 * <p>CCA platforms publish no certificate chain for the IAK in these deployments: the raw public
 * key is the trust anchor, supplied by configuration or as collateral. {@link #recognise} reads the
 * forms in use, by content: a PEM or DER {@code PUBLIC KEY}, a JWK object ({@code
 * {"kty":"EC","crv":"P-384","x":..,"y":..}}), or a Veraison/Trustee trust-anchor store (a JSON
 * array of {@code {"pkey": JWK, "implementation-id": hex, "instance-id": hex}}).
 *
 * @param key the platform key
 * @param implementationId when present, the key signs only tokens with this implementation ID
 * @param instanceId when present, the key signs only tokens with this instance ID
 */
public record CcaTrustAnchor(
    EcKey key, Optional<byte[]> implementationId, Optional<byte[]> instanceId) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public CcaTrustAnchor {
    implementationId = implementationId.map(byte[]::clone);
    instanceId = instanceId.map(byte[]::clone);
  }

  /** A key trusted for any platform. */
  public static CcaTrustAnchor of(EcKey key) {
    return new CcaTrustAnchor(key, Optional.empty(), Optional.empty());
  }

  @Override
  public Optional<byte[]> implementationId() {
    return implementationId.map(byte[]::clone);
  }

  @Override
  public Optional<byte[]> instanceId() {
    return instanceId.map(byte[]::clone);
  }

  /** Whether this anchor may sign for a platform with these IDs. */
  public boolean covers(byte[] platformImplementationId, byte[] platformInstanceId) {
    return implementationId.map(id -> Arrays.equals(id, platformImplementationId)).orElse(true)
        && instanceId.map(id -> Arrays.equals(id, platformInstanceId)).orElse(true);
  }

  /**
   * The anchors a file holds, or an empty list when the file is none of the recognised forms (a
   * certificate, a CRL or another evidence kind's collateral).
   *
   * @throws VerificationException MALFORMED or UNSUPPORTED when the file is recognisably a key or
   *     store but cannot be used
   */
  public static List<CcaTrustAnchor> recognise(byte[] file) throws VerificationException {
    String text = new String(file, StandardCharsets.UTF_8).strip();
    if (text.startsWith("-----BEGIN PUBLIC KEY-----")) {
      return List.of(of(EcKey.fromSpki(pemBody(text))));
    }
    if (text.startsWith("{") || text.startsWith("[")) {
      return fromJson(file);
    }
    if (file.length > 0 && file[0] == 0x30 && looksLikeEcSpki(file)) {
      return List.of(of(EcKey.fromSpki(file)));
    }
    return List.of();
  }

  private static List<CcaTrustAnchor> fromJson(byte[] file) throws VerificationException {
    JsonNode root;
    try {
      root = JSON.readTree(file);
    } catch (IOException e) {
      return List.of();
    }
    if (root == null) {
      return List.of();
    }
    if (root.isObject() && root.has("kty")) {
      return List.of(of(jwk(root)));
    }
    if (root.isArray() && !root.isEmpty() && root.get(0).has("pkey")) {
      List<CcaTrustAnchor> out = new ArrayList<>();
      for (JsonNode entry : root) {
        JsonNode pkey = entry.path("pkey");
        if (!pkey.isObject()) {
          throw new VerificationException(
              Failure.MALFORMED, "trust-anchor store entry lacks a pkey JWK");
        }
        out.add(
            new CcaTrustAnchor(
                jwk(pkey), hexMember(entry, "implementation-id"), hexMember(entry, "instance-id")));
      }
      return out;
    }
    return List.of();
  }

  private static EcKey jwk(JsonNode n) throws VerificationException {
    return EcKey.fromJwk(
        n.path("kty").asText(null),
        n.path("crv").asText(null),
        n.path("x").asText(null),
        n.path("y").asText(null));
  }

  private static Optional<byte[]> hexMember(JsonNode entry, String name)
      throws VerificationException {
    JsonNode v = entry.get(name);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual() || !Hex.isHex(v.asText()) || v.asText().length() % 2 != 0) {
      throw new VerificationException(
          Failure.MALFORMED, "trust-anchor store " + name + " is not hex");
    }
    return Optional.of(Hex.decode(v.asText()));
  }

  private static byte[] pemBody(String text) throws VerificationException {
    int end = text.indexOf("-----END PUBLIC KEY-----");
    if (end < 0) {
      throw new VerificationException(Failure.TRUNCATED, "PEM public key lacks its END line");
    }
    String body = text.substring("-----BEGIN PUBLIC KEY-----".length(), end);
    try {
      return Base64.getMimeDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "PEM public key is not base64", e);
    }
  }

  /** DER SPKI of an EC key starts with SEQUENCE { SEQUENCE { OID id-ecPublicKey ... */
  private static boolean looksLikeEcSpki(byte[] der) {
    byte[] ecOid = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    for (int i = 2; i < Math.min(der.length - ecOid.length, 8); i++) {
      if (Arrays.equals(der, i, i + ecOid.length, ecOid, 0, ecOid.length)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CcaTrustAnchor a
        && key.equals(a.key)
        && sameOptional(implementationId, a.implementationId)
        && sameOptional(instanceId, a.instanceId);
  }

  private static boolean sameOptional(Optional<byte[]> a, Optional<byte[]> b) {
    return a.isPresent() == b.isPresent() && (a.isEmpty() || Arrays.equals(a.get(), b.get()));
  }

  @Override
  public int hashCode() {
    return key.hashCode();
  }

  @Override
  public String toString() {
    return "CcaTrustAnchor["
        + key
        + implementationId.map(id -> ", implementation " + Hex.encode(id)).orElse("")
        + instanceId.map(id -> ", instance " + Hex.encode(id)).orElse("")
        + "]";
  }
}
