package dev.vouch.agent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Rewrites one image of an OCI layout into a new layout, layer by layer, for the decryptor and the
 * encryptor alike. Every blob read is checked against its descriptor; the output is assembled in a
 * hidden sibling directory and moved into place only when every layer passed, so a failure leaves
 * the destination absent.
 */
final class OciLayout {
  static final String REF_NAME = "org.opencontainers.image.ref.name";
  static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

  /** index.json, manifests and configs are small; anything larger is not a sane layout. */
  private static final long MAX_JSON_BYTES = 4L << 20;

  static final int BUFFER = 64 * 1024;
  static final ObjectMapper JSON = new ObjectMapper();
  private static final com.fasterxml.jackson.databind.ObjectReader STRICT =
      JSON.reader().with(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private OciLayout() {}

  /** What one layer becomes: a new descriptor (its blob already in staging), or empty to copy. */
  @FunctionalInterface
  interface LayerRewrite {
    Optional<ObjectNode> apply(Path srcDir, Path staging, ObjectNode layer, String what)
        throws VerificationException, IOException;
  }

  /** What a rewrite wrote. */
  record Rewritten(String manifestDigest, int changedLayers, int copiedLayers) {}

  static Rewritten rewrite(OciRef src, OciRef dst, LayerRewrite rewrite)
      throws VerificationException, IOException {
    Path out = dst.dir().toAbsolutePath().normalize();
    if (Files.exists(out) && !isEmptyDirectory(out)) {
      throw new IllegalArgumentException("destination " + out + " exists and is not empty");
    }
    Path parent = out.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new IllegalArgumentException("destination's parent directory does not exist: " + out);
    }
    ObjectNode manifest = readManifest(src);
    ArrayNode layers = (ArrayNode) manifest.get("layers");
    ObjectNode config = (ObjectNode) manifest.get("config");

    Path staging = Files.createTempDirectory(parent, "." + out.getFileName() + ".partial-");
    boolean done = false;
    try {
      Files.writeString(
          staging.resolve("oci-layout"),
          "{\"imageLayoutVersion\":\"1.0.0\"}",
          StandardCharsets.UTF_8);
      byte[] configBytes = readBlob(src.dir(), config, "config");
      writeBlob(staging, digestOf(config, "config"), configBytes);
      int changed = 0;
      int copied = 0;
      ArrayNode newLayers = JSON.createArrayNode();
      for (int i = 0; i < layers.size(); i++) {
        if (!(layers.get(i) instanceof ObjectNode layer)) {
          throw new VerificationException(Failure.MALFORMED, "layer " + i + " is not an object");
        }
        Optional<ObjectNode> next = rewrite.apply(src.dir(), staging, layer, "layer " + i);
        if (next.isPresent()) {
          newLayers.add(next.get());
          changed++;
        } else {
          copyBlob(src.dir(), staging, layer, "layer " + i);
          newLayers.add(layer);
          copied++;
        }
      }
      manifest.set("layers", newLayers);
      byte[] newManifest = JSON.writeValueAsBytes(manifest);
      String newDigest = "sha256:" + hex(sha256(newManifest));
      writeBlob(staging, Digest.parse(newDigest), newManifest);

      ObjectNode desc = JSON.createObjectNode();
      desc.put("mediaType", MANIFEST_TYPE);
      desc.put("digest", newDigest);
      desc.put("size", newManifest.length);
      String tag = dst.tag().or(src::tag).orElse(null);
      if (tag != null) {
        desc.putObject("annotations").put(REF_NAME, tag);
      }
      ObjectNode newIndex = JSON.createObjectNode();
      newIndex.put("schemaVersion", 2);
      newIndex.put("mediaType", "application/vnd.oci.image.index.v1+json");
      newIndex.putArray("manifests").add(desc);
      Files.write(staging.resolve("index.json"), JSON.writeValueAsBytes(newIndex));

      if (Files.exists(out)) {
        Files.delete(out); // an empty directory, checked above
      }
      Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
      done = true;
      return new Rewritten(newDigest, changed, copied);
    } finally {
      if (!done) {
        deleteTree(staging);
      }
    }
  }

  /** The layer descriptors of {@code src}'s image, its index and manifest checked. */
  static List<ObjectNode> layers(OciRef src) throws VerificationException, IOException {
    List<ObjectNode> out = new ArrayList<>();
    int i = 0;
    for (JsonNode l : readManifest(src).get("layers")) {
      if (!(l instanceof ObjectNode o)) {
        throw new VerificationException(Failure.MALFORMED, "layer " + i + " is not an object");
      }
      out.add(o);
      i++;
    }
    return out;
  }

  /** The picked image manifest, checked against its descriptor and its shape. */
  private static ObjectNode readManifest(OciRef src) throws VerificationException, IOException {
    JsonNode index = parseJson(readSmall(src.dir().resolve("index.json")), "index.json");
    ObjectNode manifestDesc = pickManifest(index, src);
    byte[] manifestBytes = readBlob(src.dir(), manifestDesc, "manifest");
    JsonNode manifestNode = parseJson(manifestBytes, "manifest");
    if (!(manifestNode instanceof ObjectNode manifest)
        || !(manifest.get("layers") instanceof ArrayNode)
        || !(manifest.get("config") instanceof ObjectNode)) {
      throw new VerificationException(
          Failure.MALFORMED, "manifest lacks a config or a layers array");
    }
    String mt = manifest.path("mediaType").asText(manifestDesc.path("mediaType").asText());
    if (!mt.equals(MANIFEST_TYPE)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "manifest media type " + mt + " (only " + MANIFEST_TYPE + ")");
    }
    return manifest;
  }

  static ObjectNode pickManifest(JsonNode index, OciRef src) throws VerificationException {
    if (!(index.get("manifests") instanceof ArrayNode manifests)) {
      throw new VerificationException(Failure.MALFORMED, "index.json has no manifests array");
    }
    List<ObjectNode> matches = new ArrayList<>();
    for (JsonNode m : manifests) {
      if (m instanceof ObjectNode o
          && (src.tag().isEmpty()
              || src.tag().get().equals(o.path("annotations").path(REF_NAME).asText(null)))) {
        matches.add(o);
      }
    }
    if (matches.size() != 1) {
      throw new IllegalArgumentException(
          src
              + ": "
              + (matches.isEmpty() ? "no manifest" : matches.size() + " manifests")
              + " match; name one with oci:PATH:TAG");
    }
    return matches.get(0);
  }

  /** A content digest as OCI writes it, {@code ALG:HEX}; only the algorithms OCI registers. */
  record Digest(String algorithm, byte[] value) {
    static Digest parse(String text) throws VerificationException {
      return parse(text, "digest");
    }

    static Digest parse(String text, String what) throws VerificationException {
      int c = text.indexOf(':');
      String alg = c < 0 ? "" : text.substring(0, c);
      String hex = c < 0 ? "" : text.substring(c + 1);
      int len =
          switch (alg) {
            case "sha256" -> 64;
            case "sha512" -> 128;
            default -> -1;
          };
      // The hex names a file under blobs/, so it must be exactly lower-case hex of the right
      // length.
      if (len < 0 || hex.length() != len || !hex.matches("[0-9a-f]+")) {
        throw new VerificationException(Failure.MALFORMED, what + " '" + text + "' is not valid");
      }
      return new Digest(alg, HexFormat.of().parseHex(hex));
    }

    static Digest sha256Of(byte[] hash) {
      return new Digest("sha256", hash.clone());
    }

    String hexValue() {
      return HexFormat.of().formatHex(value);
    }

    String text() {
      return algorithm + ":" + hexValue();
    }

    MessageDigest newMessageDigest() {
      try {
        return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  static Digest digestOf(JsonNode desc, String what) throws VerificationException {
    return Digest.parse(desc.path("digest").asText(""), what + " digest");
  }

  static Path blobPath(Path layout, Digest d) {
    return layout.resolve("blobs").resolve(d.algorithm()).resolve(d.hexValue());
  }

  /** Moves a finished temporary file to its blob path. */
  static void storeBlob(Path staging, Digest d, Path tmp) throws IOException {
    Path target = blobPath(staging, d);
    Files.createDirectories(target.getParent());
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
  }

  /** Reads a small blob (manifest, config) and checks it against its descriptor. */
  static byte[] readBlob(Path layout, JsonNode desc, String what)
      throws VerificationException, IOException {
    Digest d = digestOf(desc, what);
    byte[] bytes = readSmall(blobPath(layout, d));
    MessageDigest md = d.newMessageDigest();
    if (!MessageDigest.isEqual(md.digest(bytes), d.value())
        || bytes.length != desc.path("size").asLong(-1)) {
      throw new VerificationException(
          Failure.DIGEST_MISMATCH, what + " blob differs from its descriptor");
    }
    return bytes;
  }

  /** Streams an unchanged layer across, checking its digest and size on the way. */
  private static void copyBlob(Path srcDir, Path staging, JsonNode desc, String what)
      throws VerificationException, IOException {
    Digest d = digestOf(desc, what);
    Path tmp = Files.createTempFile(staging, "blob-", ".tmp");
    MessageDigest md = d.newMessageDigest();
    long n = 0;
    try (InputStream in = Files.newInputStream(blobPath(srcDir, d));
        OutputStream os = Files.newOutputStream(tmp)) {
      byte[] buf = new byte[BUFFER];
      int r;
      while ((r = in.read(buf)) > 0) {
        md.update(buf, 0, r);
        os.write(buf, 0, r);
        n += r;
      }
    }
    if (!MessageDigest.isEqual(md.digest(), d.value()) || n != desc.path("size").asLong(-1)) {
      throw new VerificationException(
          Failure.DIGEST_MISMATCH, what + " blob differs from its descriptor");
    }
    storeBlob(staging, d, tmp);
  }

  private static void writeBlob(Path staging, Digest d, byte[] bytes) throws IOException {
    Path target = blobPath(staging, d);
    Files.createDirectories(target.getParent());
    Files.write(target, bytes);
  }

  static byte[] readSmall(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_JSON_BYTES) {
      throw new IOException(file + " is larger than " + MAX_JSON_BYTES + " bytes");
    }
    return Files.readAllBytes(file);
  }

  /**
   * Parses a JSON object, refusing duplicate keys: a document (a policy, a signed payload) must not
   * mean one thing to this reader and another to one that keeps the first value.
   */
  static JsonNode parseJson(byte[] bytes, String what) throws VerificationException {
    try {
      JsonNode n = STRICT.readTree(bytes);
      if (n == null || !n.isObject()) {
        throw new VerificationException(Failure.MALFORMED, what + " is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, what + " is not valid JSON", e);
    }
  }

  /** Refuses a JSON value that is not an object or has a field outside {@code allowed}. */
  static void onlyFields(JsonNode n, String what, String... allowed) throws VerificationException {
    if (!n.isObject()) {
      throw new VerificationException(Failure.MALFORMED, what + " is not an object");
    }
    Set<String> ok = Set.of(allowed);
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!ok.contains(f)) {
        throw new VerificationException(Failure.MALFORMED, what + ": unknown field '" + f + "'");
      }
    }
  }

  static byte[] b64(String text, String what) throws VerificationException {
    if (text.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, what + " is missing");
    }
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, what + " is not base64", e);
    }
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static boolean isEmptyDirectory(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return false;
    }
    try (Stream<Path> s = Files.list(p)) {
      return s.findAny().isEmpty();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        try {
          Files.deleteIfExists(p);
        } catch (DirectoryNotEmptyException e) {
          // cannot happen walking deepest first; leave it rather than mask the original error
        }
      }
    }
  }
}
