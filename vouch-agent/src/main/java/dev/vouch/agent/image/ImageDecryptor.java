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
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decrypts an OCI image that ocicrypt (skopeo, podman, buildah, containerd's imgcrypt) encrypted to
 * a JWE recipient, and writes the plain image as a new OCI layout.
 *
 * <p>ocicrypt's scheme, as read in its Go sources: each encrypted layer (media type suffix {@code
 * +encrypted}) carries two annotations. {@code org.opencontainers.image.enc.keys.jwe} is a
 * comma-separated list of base64 JWEs (JSON serialization, one per recipient group) whose plaintext
 * is the JSON "private options": {@code symkey} (the 32-byte layer key), {@code digest} (the digest
 * of the plain layer) and {@code cipheroptions.nonce} (the 16-byte AES-CTR initial counter block).
 * {@code org.opencontainers.image.enc.pubopts} is base64 JSON naming the {@code cipher} and
 * carrying {@code hmac}: HMAC-SHA256, keyed with the layer key itself, over the whole ciphertext.
 * The layer blob is the bare AES-256-CTR ciphertext, the same length as the plain layer.
 *
 * <p>Everything is checked before anything appears at the destination: the blob digests the layout
 * records, the HMAC, and the plain-layer digest from the (authenticated) private options. The
 * output is assembled in a hidden sibling directory and moved into place only when every layer
 * passed, so a wrong key or a tampered image leaves the destination absent. Layers stream through a
 * fixed buffer, so memory does not grow with layer size.
 */
public final class ImageDecryptor {
  static final String KEYS_JWE = "org.opencontainers.image.enc.keys.jwe";
  static final String PUBOPTS = "org.opencontainers.image.enc.pubopts";
  static final String ENC_PREFIX = "org.opencontainers.image.enc.";
  static final String ENCRYPTED_SUFFIX = "+encrypted";
  static final String REF_NAME = "org.opencontainers.image.ref.name";
  static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
  static final String CIPHER = "AES_256_CTR_HMAC_SHA256";

  /** index.json, manifests and configs are small; anything larger is not a sane layout. */
  private static final long MAX_JSON_BYTES = 4L << 20;

  private static final int BUFFER = 64 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<PrivateKey> keys;

  /** What a successful run wrote. */
  public record Result(String manifestDigest, int decryptedLayers, int copiedLayers) {}

  /**
   * @param keys private keys to try, in order, on each layer's JWE recipients (RSA or EC)
   */
  public ImageDecryptor(List<PrivateKey> keys) {
    if (keys == null || keys.isEmpty()) {
      throw new IllegalArgumentException("at least one private key is needed");
    }
    for (PrivateKey k : keys) {
      if (!(k instanceof RSAPrivateKey) && !(k instanceof ECPrivateKey)) {
        throw new IllegalArgumentException("unsupported key type " + k.getAlgorithm());
      }
    }
    this.keys = List.copyOf(keys);
  }

  /**
   * Decrypts {@code src} into a new layout at {@code dst}.
   *
   * @throws VerificationException the image is malformed, no key opens a layer, or a layer or blob
   *     does not match what was recorded for it; nothing was written at {@code dst}
   * @throws IllegalArgumentException {@code dst} already holds something, or {@code src} has no
   *     single manifest to pick
   * @throws IOException reading or writing failed; nothing was written at {@code dst}
   */
  public Result decrypt(OciRef src, OciRef dst) throws VerificationException, IOException {
    Path out = dst.dir().toAbsolutePath().normalize();
    if (Files.exists(out) && !isEmptyDirectory(out)) {
      throw new IllegalArgumentException("destination " + out + " exists and is not empty");
    }
    Path parent = out.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new IllegalArgumentException("destination's parent directory does not exist: " + out);
    }
    JsonNode index = parseJson(readSmall(src.dir().resolve("index.json")), "index.json");
    ObjectNode manifestDesc = pickManifest(index, src);
    byte[] manifestBytes = readBlob(src.dir(), manifestDesc, "manifest");
    JsonNode manifestNode = parseJson(manifestBytes, "manifest");
    if (!(manifestNode instanceof ObjectNode manifest)
        || !(manifest.get("layers") instanceof ArrayNode layers)
        || !(manifest.get("config") instanceof ObjectNode config)) {
      throw new VerificationException(
          Failure.MALFORMED, "manifest lacks a config or a layers array");
    }
    String mt = manifest.path("mediaType").asText(manifestDesc.path("mediaType").asText());
    if (!mt.equals(MANIFEST_TYPE)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "manifest media type " + mt + " (only " + MANIFEST_TYPE + ")");
    }

    Path staging = Files.createTempDirectory(parent, "." + out.getFileName() + ".partial-");
    boolean done = false;
    try {
      Files.writeString(
          staging.resolve("oci-layout"),
          "{\"imageLayoutVersion\":\"1.0.0\"}",
          StandardCharsets.UTF_8);
      byte[] configBytes = readBlob(src.dir(), config, "config");
      writeBlob(staging, digestOf(config, "config"), configBytes);
      int decrypted = 0;
      int copied = 0;
      ArrayNode newLayers = JSON.createArrayNode();
      for (int i = 0; i < layers.size(); i++) {
        if (!(layers.get(i) instanceof ObjectNode layer)) {
          throw new VerificationException(Failure.MALFORMED, "layer " + i + " is not an object");
        }
        if (layer.path("mediaType").asText().endsWith(ENCRYPTED_SUFFIX)) {
          newLayers.add(decryptLayer(src.dir(), staging, layer, i));
          decrypted++;
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
      return new Result(newDigest, decrypted, copied);
    } finally {
      if (!done) {
        deleteTree(staging);
      }
    }
  }

  private ObjectNode decryptLayer(Path srcDir, Path staging, ObjectNode layer, int i)
      throws VerificationException, IOException {
    String what = "layer " + i;
    JsonNode ann = layer.path("annotations");
    String wrapped = ann.path(KEYS_JWE).asText("");
    if (wrapped.isEmpty()) {
      Iterator<String> names = ann.fieldNames();
      while (names.hasNext()) {
        String n = names.next();
        if (n.startsWith(ENC_PREFIX + "keys.")) {
          throw new VerificationException(
              Failure.UNSUPPORTED,
              what + " is wrapped only for " + n + ", not for a JWE recipient");
        }
      }
      throw new VerificationException(Failure.MALFORMED, what + " has no " + KEYS_JWE);
    }
    JsonNode priv = parseJson(unwrap(wrapped, what), what + " private options");
    JsonNode pub =
        parseJson(b64(ann.path(PUBOPTS).asText(""), what + " pubopts"), what + " pubopts");
    String cipher = pub.path("cipher").asText("");
    if (!cipher.equals(CIPHER)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, what + " cipher '" + cipher + "' (only " + CIPHER + ")");
    }
    byte[] key = b64(priv.path("symkey").asText(""), what + " symkey");
    byte[] nonce = b64(priv.path("cipheroptions").path("nonce").asText(""), what + " nonce");
    byte[] expectedHmac = b64(pub.path("hmac").asText(""), what + " hmac");
    if (key.length != 32 || nonce.length != 16 || expectedHmac.length != 32) {
      throw new VerificationException(
          Failure.MALFORMED, what + ": key, nonce or HMAC has the wrong length");
    }
    Digest plainDigest = Digest.parse(priv.path("digest").asText(""), what + " recorded digest");
    Digest encDigest = digestOf(layer, what);
    long encSize = layer.path("size").asLong(-1);

    Path tmp = Files.createTempFile(staging, "layer-", ".tmp");
    long n = 0;
    byte[] actualHmac;
    byte[] encHash;
    byte[] plainHash;
    try (InputStream in = Files.newInputStream(blobPath(srcDir, encDigest));
        OutputStream os = Files.newOutputStream(tmp)) {
      Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
      ctr.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(nonce));
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      MessageDigest encMd = encDigest.newMessageDigest();
      MessageDigest plainMd = plainDigest.newMessageDigest();
      byte[] buf = new byte[BUFFER];
      byte[] plain = new byte[BUFFER];
      int r;
      while ((r = in.read(buf)) > 0) {
        n += r;
        mac.update(buf, 0, r);
        encMd.update(buf, 0, r);
        int p = ctr.update(buf, 0, r, plain);
        plainMd.update(plain, 0, p);
        os.write(plain, 0, p);
      }
      actualHmac = mac.doFinal();
      encHash = encMd.digest();
      plainHash = plainMd.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JCE lacks AES-CTR or HMAC-SHA256", e);
    }
    // The HMAC is the scheme's own integrity check, so it is the one a tampered layer reports.
    if (!MessageDigest.isEqual(actualHmac, expectedHmac)) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, what + ": HMAC-SHA256 over the ciphertext does not verify");
    }
    if (!MessageDigest.isEqual(encHash, encDigest.value()) || n != encSize) {
      throw new VerificationException(
          Failure.DIGEST_MISMATCH, what + ": encrypted blob differs from its descriptor");
    }
    if (!MessageDigest.isEqual(plainHash, plainDigest.value())) {
      throw new VerificationException(
          Failure.DIGEST_MISMATCH,
          what + ": decrypted layer differs from the digest ocicrypt recorded");
    }
    Path target = blobPath(staging, plainDigest);
    Files.createDirectories(target.getParent());
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);

    ObjectNode plainDesc = layer.deepCopy();
    String mediaType = layer.path("mediaType").asText();
    plainDesc.put(
        "mediaType", mediaType.substring(0, mediaType.length() - ENCRYPTED_SUFFIX.length()));
    plainDesc.put("digest", plainDigest.text());
    plainDesc.put("size", n);
    if (plainDesc.get("annotations") instanceof ObjectNode a) {
      a.properties().removeIf(e -> e.getKey().startsWith(ENC_PREFIX));
      if (a.isEmpty()) {
        plainDesc.remove("annotations");
      }
    }
    return plainDesc;
  }

  /** Tries every key on every JWE in the annotation; the first that opens one wins. */
  private byte[] unwrap(String annotation, String what) throws VerificationException {
    List<String> jwes = new ArrayList<>();
    for (String part : annotation.split(",", -1)) {
      jwes.add(new String(b64(part, what + " " + KEYS_JWE), StandardCharsets.UTF_8));
    }
    for (String jweText : jwes) {
      for (PrivateKey key : keys) {
        Optional<byte[]> plain = JweJson.open(jweText, key);
        if (plain.isPresent()) {
          return plain.get();
        }
      }
    }
    throw new VerificationException(
        Failure.DECRYPTION_FAILED,
        what + ": no supplied private key opens the layer key (wrong key or altered annotation)");
  }

  private static ObjectNode pickManifest(JsonNode index, OciRef src) throws VerificationException {
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
      return new Digest(alg, java.util.HexFormat.of().parseHex(hex));
    }

    String hexValue() {
      return java.util.HexFormat.of().formatHex(value);
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

  private static Digest digestOf(JsonNode desc, String what) throws VerificationException {
    return Digest.parse(desc.path("digest").asText(""), what + " digest");
  }

  private static Path blobPath(Path layout, Digest d) {
    return layout.resolve("blobs").resolve(d.algorithm()).resolve(d.hexValue());
  }

  /** Reads a small blob (manifest, config) and checks it against its descriptor. */
  private static byte[] readBlob(Path layout, JsonNode desc, String what)
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

  /** Streams an unencrypted layer across, checking its digest and size on the way. */
  private static void copyBlob(Path srcDir, Path staging, JsonNode desc, String what)
      throws VerificationException, IOException {
    Digest d = digestOf(desc, what);
    Path target = blobPath(staging, d);
    Files.createDirectories(target.getParent());
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
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void writeBlob(Path staging, Digest d, byte[] bytes) throws IOException {
    Path target = blobPath(staging, d);
    Files.createDirectories(target.getParent());
    Files.write(target, bytes);
  }

  private static byte[] readSmall(Path file) throws IOException {
    long size = Files.size(file);
    if (size > MAX_JSON_BYTES) {
      throw new IOException(file + " is larger than " + MAX_JSON_BYTES + " bytes");
    }
    return Files.readAllBytes(file);
  }

  private static JsonNode parseJson(byte[] bytes, String what) throws VerificationException {
    try {
      JsonNode n = JSON.readTree(bytes);
      if (n == null || !n.isObject()) {
        throw new VerificationException(Failure.MALFORMED, what + " is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, what + " is not valid JSON", e);
    }
  }

  private static byte[] b64(String text, String what) throws VerificationException {
    if (text.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, what + " is missing");
    }
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, what + " is not base64", e);
    }
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] b) {
    return java.util.HexFormat.of().formatHex(b);
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
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        try {
          Files.deleteIfExists(p);
        } catch (DirectoryNotEmptyException e) {
          // cannot happen walking deepest first; leave it rather than mask the original error
        }
      }
    }
  }
}
