package dev.vouch.evidence.runtime;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaKeyring;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A runtime policy: what an IMA list may contain. Imports and exports Keylime's runtime policy
 * JSON, version 1: {@code digests} (path to allowed digests, bare hex or {@code alg:hex}), {@code
 * excludes} (regular expressions matched at the start of a path), {@code keyrings} (keyring name to
 * allowed {@code ima-buf} digests), {@code ima-buf} (other buffer names), {@code verification-keys}
 * (IMA signature keys), {@code ima.ignored_keyrings} and {@code ima.log_hash_alg}. Immutable.
 *
 * @param digests allowed digests per path, lower-case, as written ({@code hex} or {@code alg:hex})
 * @param excludes exclude patterns, in policy order
 * @param keyrings allowed digests per keyring name
 * @param imaBuf allowed digests per {@code ima-buf} name that is not a keyring
 * @param verificationKeys IMA signature keys, PEM
 * @param ignoredKeyrings keyrings whose measurements are not appraised ({@code *} for all)
 * @param logHashAlg the template hash algorithm the policy expects, if it says
 */
public record RuntimePolicy(
    Map<String, Set<String>> digests,
    List<String> excludes,
    Map<String, Set<String>> keyrings,
    Map<String, Set<String>> imaBuf,
    List<String> verificationKeys,
    Set<String> ignoredKeyrings,
    Optional<String> logHashAlg) {

  private static final Set<String> TOP_LEVEL =
      Set.of(
          "meta",
          "release",
          "digests",
          "excludes",
          "keyrings",
          "ima",
          "ima-buf",
          "verification-keys");
  private static final Pattern DIGEST = Pattern.compile("(?:[a-z0-9_]+:)?[0-9a-f]+");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  public RuntimePolicy {
    digests = frozen(digests);
    excludes = List.copyOf(excludes);
    keyrings = frozen(keyrings);
    imaBuf = frozen(imaBuf);
    // one text per key, so that a policy equals its own export re-imported
    verificationKeys = verificationKeys.stream().map(RuntimePolicy::canonicalPem).toList();
    ignoredKeyrings = Set.copyOf(ignoredKeyrings);
    for (String p : excludes) {
      Pattern.compile(p); // a bad pattern is refused when the policy is made, not when used
    }
  }

  private static Map<String, Set<String>> frozen(Map<String, Set<String>> m) {
    Map<String, Set<String>> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, Collections.unmodifiableSet(new LinkedHashSet<>(v))));
    return Collections.unmodifiableMap(out);
  }

  /** A policy that cannot be read; the message names the key. */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String message) {
      super(message);
    }

    Invalid(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * A policy allowing exactly what {@code log} holds: every file's digest under its path, every
   * keyring buffer (a name starting with a dot) under {@code keyrings}, other buffers under {@code
   * ima-buf}. Entries whose template hash did not match are left out.
   */
  public static RuntimePolicy fromLog(ImaLog log) {
    Map<String, Set<String>> digests = new TreeMap<>();
    Map<String, Set<String>> keyrings = new TreeMap<>();
    Map<String, Set<String>> bufs = new TreeMap<>();
    Set<Integer> bad = Set.copyOf(log.templateHashMismatches());
    int n = 0;
    for (ImaEntry e : log.entries()) {
      n++;
      if (bad.contains(n) || e.fileDigest().isEmpty()) {
        continue;
      }
      String hex = Hex.encode(e.fileDigest().get().value());
      Map<String, Set<String>> target =
          RuntimeAppraiser.isBuffer(e) ? (e.fileName().startsWith(".") ? keyrings : bufs) : digests;
      target.computeIfAbsent(e.fileName(), k -> new LinkedHashSet<>()).add(hex);
    }
    return new RuntimePolicy(
        digests,
        List.of(),
        keyrings,
        bufs,
        List.of(),
        Set.of(),
        Optional.of(log.templateHashAlg().shortName()));
  }

  /** The same policy with {@code keys} (PEM) as its verification keys. */
  public RuntimePolicy withVerificationKeys(List<String> keys) {
    return new RuntimePolicy(
        digests, excludes, keyrings, imaBuf, keys, ignoredKeyrings, logHashAlg);
  }

  /** The same policy with {@code path} allowing exactly {@code allowed}, or removed if empty. */
  public RuntimePolicy withDigests(String path, Set<String> allowed) {
    Map<String, Set<String>> d = new TreeMap<>(digests);
    if (allowed.isEmpty()) {
      d.remove(path);
    } else {
      d.put(path, allowed);
    }
    return new RuntimePolicy(
        d, excludes, keyrings, imaBuf, verificationKeys, ignoredKeyrings, logHashAlg);
  }

  /** The verification keys as a keyring for signature checks. */
  public ImaKeyring keyring() throws VerificationException {
    return verificationKeys.isEmpty() ? ImaKeyring.empty() : ImaKeyring.fromPem(verificationKeys);
  }

  /** Imports Keylime's runtime policy JSON (version 1). */
  public static RuntimePolicy fromKeylimeJson(byte[] json) throws Invalid {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      throw new Invalid("runtime policy is not JSON: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new Invalid("runtime policy is not a JSON object");
    }
    for (String k : iterable(root.fieldNames())) {
      if (!TOP_LEVEL.contains(k)) {
        throw new Invalid("unknown key '" + k + "'");
      }
    }
    JsonNode version = root.path("meta").path("version");
    if (!version.isInt() || version.asInt() != 1) {
      throw new Invalid("key 'meta.version' must be 1");
    }
    Map<String, Set<String>> digests = digestMap(root.path("digests"), "digests");
    Map<String, Set<String>> keyrings = digestMap(root.path("keyrings"), "keyrings");
    Map<String, Set<String>> bufs = digestMap(root.path("ima-buf"), "ima-buf");
    List<String> excludes = strings(root.path("excludes"), "excludes");
    for (String p : excludes) {
      try {
        Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        throw new Invalid("key 'excludes': '" + p + "' is not a regular expression", e);
      }
    }
    JsonNode ima = root.path("ima");
    if (!ima.isMissingNode() && !ima.isObject()) {
      throw new Invalid("key 'ima' must be an object");
    }
    Set<String> ignored =
        new LinkedHashSet<>(strings(ima.path("ignored_keyrings"), "ima.ignored_keyrings"));
    JsonNode alg = ima.path("log_hash_alg");
    if (!alg.isMissingNode() && !alg.isNull() && !alg.isTextual()) {
      throw new Invalid("key 'ima.log_hash_alg' must be a string");
    }
    Optional<String> logAlg =
        alg.isTextual() ? Optional.of(alg.asText().toLowerCase(Locale.ROOT)) : Optional.empty();
    List<String> keys = verificationKeys(root.path("verification-keys"));
    return new RuntimePolicy(digests, excludes, keyrings, bufs, keys, ignored, logAlg);
  }

  /**
   * Keylime keeps the keys as a string holding a JSON object that maps each keyring name to a
   * string, itself JSON: {@code {"pubkeys": [base64 DER SubjectPublicKeyInfo], "keyids": [...]}}.
   * Read here: that form, an empty string (no keys), or a plain list of PEM or base64 DER keys. Key
   * ids are always derived from the keys (as the kernel and Keylime do without a certificate).
   */
  private static List<String> verificationKeys(JsonNode node) throws Invalid {
    if (node.isMissingNode() || node.isNull() || (node.isTextual() && node.asText().isBlank())) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    collectKeys(node, out, 0);
    return out;
  }

  private static void collectKeys(JsonNode doc, List<String> out, int depth) throws Invalid {
    if (depth > 6) {
      throw new Invalid("key 'verification-keys' nests too deeply");
    }
    if (doc.isTextual()) {
      try {
        collectKeys(JSON.readTree(doc.asText()), out, depth + 1);
      } catch (IOException e) {
        throw new Invalid("key 'verification-keys' does not hold JSON", e);
      }
      return;
    }
    if (doc.isArray()) {
      for (JsonNode k : doc) {
        if (!k.isTextual()) {
          throw new Invalid("key 'verification-keys' lists a key that is not a string");
        }
        out.add(pem(k.asText()));
      }
      return;
    }
    if (!doc.isObject()) {
      throw new Invalid("key 'verification-keys' is neither a list nor an object");
    }
    if (doc.has("pubkeys")) {
      collectKeys(doc.get("pubkeys"), out, depth + 1);
      return;
    }
    for (JsonNode ring : doc) {
      collectKeys(ring, out, depth + 1);
    }
  }

  private static String pem(String key) throws Invalid {
    if (key.contains("-----BEGIN")) {
      return key;
    }
    try {
      Base64.getMimeDecoder().decode(key);
    } catch (IllegalArgumentException e) {
      throw new Invalid("key 'verification-keys' holds a key that is neither PEM nor base64", e);
    }
    return "-----BEGIN PUBLIC KEY-----\n" + key.strip() + "\n-----END PUBLIC KEY-----\n";
  }

  private static Map<String, Set<String>> digestMap(JsonNode node, String key) throws Invalid {
    Map<String, Set<String>> out = new TreeMap<>();
    if (node.isMissingNode() || node.isNull()) {
      return out;
    }
    if (!node.isObject()) {
      throw new Invalid("key '" + key + "' must be an object of digest lists");
    }
    for (Map.Entry<String, JsonNode> e : iterable(node.fields())) {
      Set<String> allowed = new LinkedHashSet<>();
      for (String d : strings(e.getValue(), key + "." + e.getKey())) {
        String v = d.toLowerCase(Locale.ROOT);
        if (!DIGEST.matcher(v).matches()) {
          throw new Invalid("key '" + key + "." + e.getKey() + "': '" + d + "' is not a digest");
        }
        allowed.add(v);
      }
      out.put(e.getKey(), allowed);
    }
    return out;
  }

  private static List<String> strings(JsonNode node, String key) throws Invalid {
    List<String> out = new ArrayList<>();
    if (node.isMissingNode() || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      throw new Invalid("key '" + key + "' must be a list");
    }
    for (JsonNode n : node) {
      if (!n.isTextual()) {
        throw new Invalid("key '" + key + "' lists a value that is not a string");
      }
      out.add(n.asText());
    }
    return out;
  }

  private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
    return () -> it;
  }

  /** Exports the policy in Keylime's runtime policy JSON, version 1 (Keylime can import it). */
  public byte[] toKeylimeJson() {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode meta = root.putObject("meta");
    meta.put("version", 1);
    meta.put("generator", "vouch");
    root.put("release", 0);
    root.set("digests", mapNode(digests));
    ArrayNode ex = root.putArray("excludes");
    excludes.forEach(ex::add);
    root.set("keyrings", mapNode(keyrings));
    ObjectNode ima = root.putObject("ima");
    ArrayNode ig = ima.putArray("ignored_keyrings");
    ignoredKeyrings.stream().sorted().forEach(ig::add);
    logHashAlg.ifPresentOrElse(a -> ima.put("log_hash_alg", a), () -> ima.putNull("log_hash_alg"));
    ima.putNull("dm_policy");
    root.set("ima-buf", mapNode(imaBuf));
    if (verificationKeys.isEmpty()) {
      root.put("verification-keys", "");
    } else {
      // Keylime's form: {"<keyring>": "{\"pubkeys\": [base64 DER], \"keyids\": []}"}
      ObjectNode ring = JSON.createObjectNode();
      ArrayNode pub = ring.putArray("pubkeys");
      verificationKeys.forEach(k -> pub.add(der(k)));
      ring.putArray("keyids");
      ObjectNode rings = JSON.createObjectNode();
      rings.put("vouch", ring.toString());
      root.put("verification-keys", rings.toString());
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter()
          .writeValueAsString(root)
          .getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String canonicalPem(String pem) {
    if (!pem.contains("-----BEGIN PUBLIC KEY-----")) {
      return pem;
    }
    return "-----BEGIN PUBLIC KEY-----\n" + der(pem) + "\n-----END PUBLIC KEY-----\n";
  }

  /** The base64 body of a PEM public key, which is its DER SubjectPublicKeyInfo. */
  private static String der(String pem) {
    return pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
  }

  private static ObjectNode mapNode(Map<String, Set<String>> m) {
    ObjectNode o = JSON.createObjectNode();
    m.forEach(
        (k, v) -> {
          ArrayNode a = o.putArray(k);
          v.forEach(a::add);
        });
    return o;
  }
}
