package dev.vouch.agent.image;

import static dev.vouch.agent.image.OciLayout.b64;
import static dev.vouch.agent.image.OciLayout.blobPath;
import static dev.vouch.agent.image.OciLayout.digestOf;
import static dev.vouch.agent.image.OciLayout.parseJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.image.OciLayout.Digest;
import dev.vouch.agent.kbs.ResourceUri;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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
 * <p>The Confidential Containers key-provider scheme carries the same private options in {@code
 * org.opencontainers.image.enc.keys.provider.attestation-agent}, wrapped with AES-256-GCM under a
 * key-encryption key that a KBS resource holds ({@link KeyProviderPacket}); {@link
 * #withKeks(KekSource)} decrypts those.
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
  static final String CIPHER = "AES_256_CTR_HMAC_SHA256";

  private final List<PrivateKey> keys;
  private final KekSource keks; // null: JWE recipients only

  /** What a successful run wrote. */
  public record Result(String manifestDigest, int decryptedLayers, int copiedLayers) {}

  /**
   * Looks up the key-encryption key that a key-provider annotation's {@code kid} names: a KBS
   * resource released after attestation, or a local key for offline use.
   */
  @FunctionalInterface
  public interface KekSource {
    /** The 32-byte KEK, or empty when this source has none for {@code kid}. */
    Optional<byte[]> kek(ResourceUri kid);
  }

  /**
   * @param keys private keys to try, in order, on each layer's JWE recipients (RSA or EC)
   */
  public ImageDecryptor(List<PrivateKey> keys) {
    this(keys, null);
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("at least one private key is needed");
    }
  }

  private ImageDecryptor(List<PrivateKey> keys, KekSource keks) {
    if (keys == null) {
      throw new IllegalArgumentException("keys must be given");
    }
    for (PrivateKey k : keys) {
      if (!(k instanceof RSAPrivateKey) && !(k instanceof ECPrivateKey)) {
        throw new IllegalArgumentException("unsupported key type " + k.getAlgorithm());
      }
    }
    this.keys = List.copyOf(keys);
    this.keks = keks;
  }

  /** A decryptor for the Confidential Containers key-provider scheme. */
  public static ImageDecryptor withKeks(KekSource keks) {
    if (keks == null) {
      throw new IllegalArgumentException("a KEK source is needed");
    }
    return new ImageDecryptor(List.of(), keks);
  }

  /** A decryptor for both schemes: JWE recipients with {@code keys}, key-provider packets. */
  public static ImageDecryptor withKeys(List<PrivateKey> keys, KekSource keks) {
    if (keks == null) {
      throw new IllegalArgumentException("a KEK source is needed");
    }
    return new ImageDecryptor(keys, keks);
  }

  /**
   * The KEKs the key-provider annotations of {@code src}'s layers name, so that a caller can fetch
   * them (attesting once) before decrypting. Layers wrapped for other schemes contribute nothing.
   *
   * @throws VerificationException the layout or a packet is malformed
   */
  public static Set<ResourceUri> keyProviderKids(OciRef src)
      throws VerificationException, IOException {
    Set<ResourceUri> kids = new LinkedHashSet<>();
    for (ObjectNode layer : OciLayout.layers(src)) {
      String value = layer.path("annotations").path(KeyProviderPacket.ANNOTATION).asText("");
      if (!value.isEmpty()) {
        for (String part : value.split(",", -1)) {
          kids.add(KeyProviderPacket.parse(b64(part, KeyProviderPacket.ANNOTATION)).kid());
        }
      }
    }
    return kids;
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
    OciLayout.Rewritten r =
        OciLayout.rewrite(
            src,
            dst,
            (srcDir, staging, layer, what) ->
                layer.path("mediaType").asText().endsWith(ENCRYPTED_SUFFIX)
                    ? Optional.of(decryptLayer(srcDir, staging, layer, what))
                    : Optional.empty());
    return new Result(r.manifestDigest(), r.changedLayers(), r.copiedLayers());
  }

  private ObjectNode decryptLayer(Path srcDir, Path staging, ObjectNode layer, String what)
      throws VerificationException, IOException {
    JsonNode ann = layer.path("annotations");
    JsonNode priv = parseJson(privateOptions(ann, what), what + " private options");
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
    LayerCipher.Pass pass =
        LayerCipher.run(
            false,
            key,
            nonce,
            blobPath(srcDir, encDigest),
            tmp,
            encDigest.newMessageDigest(),
            plainDigest.newMessageDigest());
    long n = pass.bytes();
    byte[] actualHmac = pass.hmac();
    byte[] encHash = pass.inHash();
    byte[] plainHash = pass.outHash();
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
    OciLayout.storeBlob(staging, plainDigest, tmp);

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

  /**
   * ocicrypt's private layer options, opened through whichever scheme this decryptor holds keys
   * for: JWE recipients with the private keys, the key-provider packet with the KEK its {@code kid}
   * names. The first that opens wins.
   */
  private byte[] privateOptions(JsonNode ann, String what) throws VerificationException {
    String jwe = ann.path(KEYS_JWE).asText("");
    String provider = ann.path(KeyProviderPacket.ANNOTATION).asText("");
    boolean usable = false;
    if (!jwe.isEmpty() && !keys.isEmpty()) {
      usable = true;
      Optional<byte[]> opened = unwrapJwe(jwe, what);
      if (opened.isPresent()) {
        return opened.get();
      }
    }
    if (!provider.isEmpty() && keks != null) {
      usable = true;
      for (String part : provider.split(",", -1)) {
        KeyProviderPacket p =
            KeyProviderPacket.parse(b64(part, what + " " + KeyProviderPacket.ANNOTATION));
        Optional<byte[]> kek = keks.kek(p.kid());
        if (kek.isEmpty()) {
          continue;
        }
        if (kek.get().length != 32) {
          throw new VerificationException(
              Failure.MALFORMED, what + ": " + p.kid() + " is not a 32-byte key-encryption key");
        }
        return p.unwrap(kek.get());
      }
    }
    if (!usable) {
      Iterator<String> names = ann.fieldNames();
      while (names.hasNext()) {
        String n = names.next();
        if (n.startsWith(ENC_PREFIX + "keys.")) {
          throw new VerificationException(
              Failure.UNSUPPORTED,
              what + " is wrapped for " + n + ", and no key of that kind was given");
        }
      }
      throw new VerificationException(Failure.MALFORMED, what + " has no wrapped layer key");
    }
    throw new VerificationException(
        Failure.DECRYPTION_FAILED,
        what + ": no supplied key opens the layer key (wrong key or altered annotation)");
  }

  /** Tries every key on every JWE in the annotation; the first that opens one wins. */
  private Optional<byte[]> unwrapJwe(String annotation, String what) throws VerificationException {
    List<String> jwes = new ArrayList<>();
    for (String part : annotation.split(",", -1)) {
      jwes.add(new String(b64(part, what + " " + KEYS_JWE), StandardCharsets.UTF_8));
    }
    for (String jweText : jwes) {
      for (PrivateKey key : keys) {
        Optional<byte[]> plain = JweJson.open(jweText, key);
        if (plain.isPresent()) {
          return plain;
        }
      }
    }
    return Optional.empty();
  }
}
