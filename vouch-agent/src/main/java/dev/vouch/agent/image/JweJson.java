package dev.vouch.agent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEDecrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Opens a JWE in JSON serialization (RFC 7516 section 7.2, general or flattened) for one of several
 * recipients. Written here rather than taken from nimbus's JWEObjectJSON because go-jose, which
 * ocicrypt uses, puts each recipient's {@code alg} (and {@code epk}) only in that recipient's
 * unprotected header, and nimbus 10 does not merge it when decrypting.
 *
 * <p>Only the key-management algorithms ocicrypt itself accepts are tried (RSA-OAEP, RSA-OAEP-256,
 * ECDH-ES+A128KW/A192KW/A256KW); RSA1_5 and direct modes are refused rather than attempted.
 */
final class JweJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<JWEAlgorithm> ALGORITHMS =
      Set.of(
          JWEAlgorithm.RSA_OAEP_256,
          new JWEAlgorithm("RSA-OAEP"),
          JWEAlgorithm.ECDH_ES_A128KW,
          JWEAlgorithm.ECDH_ES_A192KW,
          JWEAlgorithm.ECDH_ES_A256KW);

  private JweJson() {}

  /**
   * The plaintext, if {@code key} opens the JWE for some recipient; empty when it opens none (wrong
   * key or altered data: authenticated encryption does not tell which).
   *
   * @throws VerificationException MALFORMED when the text is not a JWE in JSON serialization
   */
  static Optional<byte[]> open(String text, PrivateKey key) throws VerificationException {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (IOException e) {
      throw malformed("not JSON", e);
    }
    if (!(root instanceof ObjectNode jwe)) {
      throw malformed("not a JSON object", null);
    }
    String protectedB64 = jwe.path("protected").asText("");
    Map<String, Object> shared = new HashMap<>();
    if (!protectedB64.isEmpty()) {
      merge(shared, headerMap(new Base64URL(protectedB64).decodeToString()));
    }
    if (jwe.has("unprotected")) {
      merge(shared, headerMap(jwe.get("unprotected").toString()));
    }
    List<JsonNode> recipients = new ArrayList<>();
    if (jwe.has("recipients")) {
      jwe.get("recipients").forEach(recipients::add);
    } else {
      recipients.add(jwe); // flattened: header and encrypted_key sit at the top level
    }
    Base64URL iv = part(jwe, "iv");
    Base64URL ciphertext = part(jwe, "ciphertext");
    Base64URL tag = part(jwe, "tag");
    // RFC 7516 5.1 step 14: the AAD is the protected header as sent, then "." and any aad member
    String aadText = protectedB64 + (jwe.has("aad") ? "." + jwe.get("aad").asText() : "");
    byte[] aad = aadText.getBytes(StandardCharsets.US_ASCII);

    for (JsonNode r : recipients) {
      Map<String, Object> merged = new HashMap<>(shared);
      if (r.has("header")) {
        merge(merged, headerMap(r.get("header").toString()));
      }
      JWEHeader header;
      try {
        header = JWEHeader.parse(merged);
      } catch (ParseException e) {
        throw malformed("recipient header: " + e.getMessage(), e);
      }
      if (!ALGORITHMS.contains(header.getAlgorithm())) {
        continue; // a recipient this decryptor does not serve; another one may
      }
      JWEDecrypter d;
      try {
        if (key instanceof RSAPrivateKey rsa
            && header.getAlgorithm().getName().startsWith("RSA-OAEP")) {
          d = new RSADecrypter(rsa);
        } else if (key instanceof ECPrivateKey ec
            && header.getAlgorithm().getName().startsWith("ECDH-ES")) {
          d = new ECDHDecrypter(ec);
        } else {
          continue;
        }
        String ek = r.path("encrypted_key").asText("");
        return Optional.of(
            d.decrypt(header, ek.isEmpty() ? null : new Base64URL(ek), iv, ciphertext, tag, aad));
      } catch (JOSEException | RuntimeException e) {
        // not this recipient's key, or altered: try the next recipient
      }
    }
    return Optional.empty();
  }

  private static Map<String, Object> headerMap(String json) throws VerificationException {
    try {
      return JSONObjectUtils.parse(json);
    } catch (ParseException e) {
      throw malformed("header is not a JSON object", e);
    }
  }

  /** RFC 7516 7.2.1: header parameter names must be disjoint across the three headers. */
  private static void merge(Map<String, Object> into, Map<String, Object> more)
      throws VerificationException {
    Iterator<Map.Entry<String, Object>> it = more.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Object> e = it.next();
      if (into.putIfAbsent(e.getKey(), e.getValue()) != null) {
        throw malformed("header parameter " + e.getKey() + " appears twice", null);
      }
    }
  }

  private static Base64URL part(JsonNode jwe, String name) throws VerificationException {
    String v = jwe.path(name).asText("");
    if (v.isEmpty()) {
      throw malformed("member " + name + " is missing", null);
    }
    return new Base64URL(v);
  }

  private static VerificationException malformed(String what, Throwable cause) {
    return new VerificationException(
        Failure.MALFORMED, ImageDecryptor.KEYS_JWE + " JWE: " + what, cause);
  }
}
