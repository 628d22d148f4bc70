package dev.vouch.agent.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An image signature policy in the containers-policy.json format: a {@code default} list of
 * requirements and per-scope lists under {@code transports.docker}, looked up from the most
 * specific scope (the full reference) through the repository, its parent namespaces, the host and
 * {@code *.domain} wildcards, then the transport's {@code ""} scope and the default. Every
 * requirement of the chosen list must hold.
 *
 * <p>Requirement types: {@code insecureAcceptAnything}, {@code reject}, {@code sigstoreSigned} with
 * {@code keyPath}, {@code keyPaths}, {@code keyData} or {@code keyDatas} (public keys; a {@code
 * keyPath} of {@code kbs:///REPO/TYPE/TAG} names a KBS resource, as Confidential Containers' image
 * policy does). {@code signedBy} (GPG) and sigstore's Fulcio/Rekor/PKI forms parse but refuse every
 * image with {@link Failure#UNSUPPORTED}: an unsupported rule never passes. Unknown types or fields
 * are {@link Failure#MALFORMED}, as containers/image treats them.
 */
public final class SignaturePolicy {
  private static final int MAX_BYTES = 1 << 20;

  /** One requirement of a scope's list. */
  public sealed interface Requirement permits AcceptAnything, Reject, SigstoreSigned, Unsupported {}

  /** Accepts any image, signed or not. */
  public record AcceptAnything() implements Requirement {}

  /** Refuses every image. */
  public record Reject() implements Requirement {}

  /** A requirement this implementation does not check; it refuses every image. */
  public record Unsupported(String what) implements Requirement {}

  /** At least one sigstore signature by one of {@code keys} for the image's identity. */
  public record SigstoreSigned(List<Key> keys, Identity identity) implements Requirement {
    public SigstoreSigned {
      keys = List.copyOf(keys);
    }
  }

  /** Where a public key comes from. */
  public sealed interface Key permits KeyPath, KeyData {}

  /** A key file, or a KBS resource ({@code kbs:///...}). */
  public record KeyPath(String path) implements Key {}

  /** An inline key (PEM bytes). */
  public record KeyData(byte[] pem) implements Key {
    public KeyData {
      pem = pem.clone();
    }

    @Override
    public byte[] pem() {
      return pem.clone();
    }
  }

  /** How the signed reference must relate to the image's (the {@code signedIdentity} rule). */
  public sealed interface Identity
      permits MatchExact, MatchRepoDigestOrExact, MatchRepository, ExactReference, ExactRepository {
    /** Whether a signature naming {@code signed} vouches for the image known as {@code image}. */
    boolean accepts(DockerReference image, DockerReference signed);
  }

  /** The signed reference is the image's, tag or digest included. */
  public record MatchExact() implements Identity {
    @Override
    public boolean accepts(DockerReference image, DockerReference signed) {
      return (image.tag().isPresent() || image.digest().isPresent())
          && image.toString().equals(signed.toString());
    }
  }

  /** For a digest reference the repository must match, for a tag the whole reference. */
  public record MatchRepoDigestOrExact() implements Identity {
    @Override
    public boolean accepts(DockerReference image, DockerReference signed) {
      if (image.digest().isPresent()) {
        return image.repository().equals(signed.repository());
      }
      return new MatchExact().accepts(image, signed);
    }
  }

  /** Any reference in the image's repository. */
  public record MatchRepository() implements Identity {
    @Override
    public boolean accepts(DockerReference image, DockerReference signed) {
      return image.repository().equals(signed.repository());
    }
  }

  /** Exactly the configured reference, whatever the image is called. */
  public record ExactReference(DockerReference reference) implements Identity {
    @Override
    public boolean accepts(DockerReference image, DockerReference signed) {
      return reference.toString().equals(signed.toString());
    }
  }

  /** Any reference in the configured repository. */
  public record ExactRepository(String repository) implements Identity {
    @Override
    public boolean accepts(DockerReference image, DockerReference signed) {
      return repository.equals(signed.repository());
    }
  }

  private final List<Requirement> defaults;
  private final Map<String, List<Requirement>> dockerScopes;

  private SignaturePolicy(List<Requirement> defaults, Map<String, List<Requirement>> dockerScopes) {
    this.defaults = defaults;
    this.dockerScopes = dockerScopes;
  }

  /**
   * Parses a policy.
   *
   * @throws VerificationException {@link Failure#MALFORMED} naming the field that is wrong
   */
  public static SignaturePolicy parse(byte[] json) throws VerificationException {
    if (json.length > MAX_BYTES) {
      throw new VerificationException(Failure.MALFORMED, "policy is larger than 1 MiB");
    }
    JsonNode root = OciLayout.parseJson(json, "policy");
    fieldsOnly(root, "policy", "default", "transports");
    List<Requirement> defaults = requirements(root.get("default"), "default");
    Map<String, List<Requirement>> docker = new LinkedHashMap<>();
    JsonNode transports = root.path("transports");
    if (!transports.isMissingNode()) {
      if (!transports.isObject()) {
        throw malformed("transports is not an object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = transports.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> t = it.next();
        if (!t.getValue().isObject()) {
          throw malformed("transports." + t.getKey() + " is not an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> s = t.getValue().fields(); s.hasNext(); ) {
          Map.Entry<String, JsonNode> scope = s.next();
          String where = "transports." + t.getKey() + "[\"" + scope.getKey() + "\"]";
          List<Requirement> reqs = requirements(scope.getValue(), where);
          // only images by docker reference are judged here; other transports' scopes are parsed
          // (so a typo anywhere fails) but never consulted
          if (t.getKey().equals("docker")) {
            docker.put(scope.getKey(), reqs);
          }
        }
      }
    }
    return new SignaturePolicy(defaults, Map.copyOf(docker));
  }

  /** The requirements for an image known as {@code ref}: the most specific scope that is set. */
  public List<Requirement> requirementsFor(DockerReference ref) {
    for (String scope : scopes(ref)) {
      List<Requirement> r = dockerScopes.get(scope);
      if (r != null) {
        return r;
      }
    }
    return defaults;
  }

  /** Every key path any requirement names, so that a caller can fetch them in one session. */
  public Set<String> keyPaths() {
    Set<String> out = new LinkedHashSet<>();
    List<List<Requirement>> all = new ArrayList<>(dockerScopes.values());
    all.add(defaults);
    for (List<Requirement> list : all) {
      for (Requirement r : list) {
        if (r instanceof SigstoreSigned s) {
          for (Key k : s.keys()) {
            if (k instanceof KeyPath p) {
              out.add(p.path());
            }
          }
        }
      }
    }
    return out;
  }

  /** Scope names from the most to the least specific, as containers/image's docker transport. */
  static List<String> scopes(DockerReference ref) {
    List<String> out = new ArrayList<>();
    if (ref.tag().isPresent() || ref.digest().isPresent()) {
      out.add(ref.toString());
    }
    String ns = ref.repository();
    while (true) {
      out.add(ns);
      int slash = ns.lastIndexOf('/');
      if (slash < 0) {
        break;
      }
      ns = ns.substring(0, slash);
    }
    String host = ref.host();
    int colon = host.indexOf(':');
    String domain = colon < 0 ? host : host.substring(0, colon);
    for (int dot = domain.indexOf('.'); dot >= 0; dot = domain.indexOf('.', dot + 1)) {
      out.add("*" + domain.substring(dot));
    }
    out.add("");
    return out;
  }

  private static List<Requirement> requirements(JsonNode list, String where)
      throws VerificationException {
    if (list == null || !list.isArray() || list.isEmpty()) {
      throw malformed(where + " must be a non-empty array of requirements");
    }
    List<Requirement> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(requirement(list.get(i), where + "[" + i + "]"));
    }
    return List.copyOf(out);
  }

  private static Requirement requirement(JsonNode r, String where) throws VerificationException {
    if (!r.isObject()) {
      throw malformed(where + " is not an object");
    }
    String type = text(r, "type", where);
    switch (type) {
      case "insecureAcceptAnything" -> {
        fieldsOnly(r, where, "type");
        return new AcceptAnything();
      }
      case "reject" -> {
        fieldsOnly(r, where, "type");
        return new Reject();
      }
      case "signedBy" -> {
        fieldsOnly(r, where, "type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity");
        return new Unsupported("signedBy (GPG signatures)");
      }
      case "sigstoreSigned" -> {
        return sigstore(r, where);
      }
      default -> throw malformed(where + ": unknown requirement type '" + type + "'");
    }
  }

  private static Requirement sigstore(JsonNode r, String where) throws VerificationException {
    fieldsOnly(
        r,
        where,
        "type",
        "keyPath",
        "keyPaths",
        "keyData",
        "keyDatas",
        "fulcio",
        "pki",
        "rekorPublicKeyPath",
        "rekorPublicKeyPaths",
        "rekorPublicKeyData",
        "rekorPublicKeyDatas",
        "signedIdentity");
    List<Key> keys = new ArrayList<>();
    int sources = 0;
    if (r.has("keyPath")) {
      sources++;
      keys.add(new KeyPath(text(r, "keyPath", where)));
    }
    if (r.has("keyPaths")) {
      sources++;
      for (JsonNode p : array(r, "keyPaths", where)) {
        keys.add(new KeyPath(p.asText("")));
      }
    }
    if (r.has("keyData")) {
      sources++;
      keys.add(new KeyData(OciLayout.b64(text(r, "keyData", where), where + ".keyData")));
    }
    if (r.has("keyDatas")) {
      sources++;
      for (JsonNode d : array(r, "keyDatas", where)) {
        keys.add(new KeyData(OciLayout.b64(d.asText(""), where + ".keyDatas")));
      }
    }
    boolean keyless = r.has("fulcio") || r.has("pki");
    if (sources + (keyless ? 1 : 0) != 1) {
      throw malformed(where + ": exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki");
    }
    for (Key k : keys) {
      if (k instanceof KeyPath p && p.path().isEmpty()) {
        throw malformed(where + ": an empty key path");
      }
    }
    Identity identity = identity(r.get("signedIdentity"), where + ".signedIdentity");
    if (keyless || hasRekor(r)) {
      return new Unsupported("sigstoreSigned with Fulcio, PKI or Rekor");
    }
    return identity == null
        ? new Unsupported("signedIdentity remapIdentity")
        : new SigstoreSigned(keys, identity);
  }

  private static boolean hasRekor(JsonNode r) {
    return r.has("rekorPublicKeyPath")
        || r.has("rekorPublicKeyPaths")
        || r.has("rekorPublicKeyData")
        || r.has("rekorPublicKeyDatas");
  }

  /** The identity rule; null for remapIdentity, which is parsed but not supported. */
  private static Identity identity(JsonNode n, String where) throws VerificationException {
    if (n == null) {
      return new MatchRepoDigestOrExact();
    }
    if (!n.isObject()) {
      throw malformed(where + " is not an object");
    }
    String type = text(n, "type", where);
    try {
      switch (type) {
        case "matchExact" -> {
          fieldsOnly(n, where, "type");
          return new MatchExact();
        }
        case "matchRepoDigestOrExact" -> {
          fieldsOnly(n, where, "type");
          return new MatchRepoDigestOrExact();
        }
        case "matchRepository" -> {
          fieldsOnly(n, where, "type");
          return new MatchRepository();
        }
        case "exactReference" -> {
          fieldsOnly(n, where, "type", "dockerReference");
          DockerReference ref = DockerReference.parse(text(n, "dockerReference", where));
          if (ref.tag().isEmpty() && ref.digest().isEmpty()) {
            throw malformed(where + ".dockerReference needs a tag or digest");
          }
          return new ExactReference(ref);
        }
        case "exactRepository" -> {
          fieldsOnly(n, where, "type", "dockerRepository");
          DockerReference ref = DockerReference.parse(text(n, "dockerRepository", where));
          if (ref.tag().isPresent() || ref.digest().isPresent()) {
            throw malformed(where + ".dockerRepository is a repository, without tag or digest");
          }
          return new ExactRepository(ref.repository());
        }
        case "remapIdentity" -> {
          fieldsOnly(n, where, "type", "prefix", "signedPrefix");
          return null;
        }
        default -> throw malformed(where + ": unknown identity type '" + type + "'");
      }
    } catch (IllegalArgumentException e) {
      throw malformed(where + ": " + e.getMessage());
    }
  }

  private static String text(JsonNode n, String field, String where) throws VerificationException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw malformed(where + "." + field + " must be a string");
    }
    return v.asText();
  }

  private static JsonNode array(JsonNode n, String field, String where)
      throws VerificationException {
    JsonNode v = n.get(field);
    if (!v.isArray() || v.isEmpty()) {
      throw malformed(where + "." + field + " must be a non-empty array");
    }
    for (JsonNode e : v) {
      if (!e.isTextual()) {
        throw malformed(where + "." + field + " holds a non-string");
      }
    }
    return v;
  }

  private static void fieldsOnly(JsonNode n, String where, String... allowed)
      throws VerificationException {
    OciLayout.onlyFields(n, "policy " + where, allowed);
  }

  private static VerificationException malformed(String msg) {
    return new VerificationException(Failure.MALFORMED, "policy " + msg);
  }

  /** For messages: a policy names no secrets, only the requirement kinds. */
  @Override
  public String toString() {
    return "SignaturePolicy[" + dockerScopes.keySet() + "]";
  }
}
