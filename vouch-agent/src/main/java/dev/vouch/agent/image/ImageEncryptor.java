package dev.vouch.agent.image;

import static dev.vouch.agent.image.OciLayout.b64;
import static dev.vouch.agent.image.OciLayout.blobPath;
import static dev.vouch.agent.image.OciLayout.digestOf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.image.OciLayout.Digest;
import dev.vouch.agent.kbs.ResourceUri;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

/**
 * Encrypts every plain layer of an OCI image for the Confidential Containers key-provider scheme,
 * as guest-components' coco keyprovider does when skopeo calls it: ocicrypt's layer cipher
 * (AES-256-CTR with a fresh 32-byte key and 16-byte counter block per layer, HMAC-SHA256 keyed with
 * the layer key over the ciphertext in {@code pubopts}), and the private options (key, nonce,
 * plain-layer digest) wrapped with AES-256-GCM under a key-encryption key that the KBS will hold as
 * the resource {@code kid}. Layers stream through a fixed buffer; the destination appears only when
 * every layer is written.
 */
public final class ImageEncryptor {
  private final ResourceUri kid;
  private final byte[] kek;
  private final SecureRandom random;

  /** What a successful run wrote. */
  public record Result(String manifestDigest, int encryptedLayers) {}

  /**
   * @param kid the KBS resource that will hold {@code kek}
   * @param kek the 32-byte AES-256 key-encryption key
   */
  public ImageEncryptor(ResourceUri kid, byte[] kek, SecureRandom random) {
    KeyProviderPacket.checkKek(kek);
    this.kid = kid;
    this.kek = kek.clone();
    this.random = random;
  }

  /**
   * Encrypts {@code src} into a new layout at {@code dst}.
   *
   * @throws VerificationException the source layout is malformed, its blobs differ from their
   *     descriptors, or a layer is encrypted already; nothing was written at {@code dst}
   * @throws IllegalArgumentException {@code dst} already holds something, or {@code src} has no
   *     single manifest to pick
   */
  public Result encrypt(OciRef src, OciRef dst) throws VerificationException, IOException {
    OciLayout.Rewritten r = OciLayout.rewrite(src, dst, this::encryptLayer);
    return new Result(r.manifestDigest(), r.changedLayers());
  }

  private Optional<ObjectNode> encryptLayer(
      Path srcDir, Path staging, ObjectNode layer, String what)
      throws VerificationException, IOException {
    String mediaType = layer.path("mediaType").asText("");
    if (mediaType.endsWith(ImageDecryptor.ENCRYPTED_SUFFIX)) {
      throw new VerificationException(Failure.UNSUPPORTED, what + " is encrypted already");
    }
    Digest plainDigest = digestOf(layer, what);
    byte[] key = new byte[32];
    byte[] nonce = new byte[16];
    random.nextBytes(key);
    random.nextBytes(nonce);
    Path tmp = Files.createTempFile(staging, "layer-", ".tmp");
    LayerCipher.Pass pass;
    try {
      pass =
          LayerCipher.run(
              true,
              key,
              nonce,
              blobPath(srcDir, plainDigest),
              tmp,
              plainDigest.newMessageDigest(),
              MessageDigest.getInstance("SHA-256"));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long n = pass.bytes();
    byte[] hmac = pass.hmac();
    byte[] plainHash = pass.inHash();
    byte[] encHash = pass.outHash();
    // The source is checked like any input: encrypting a corrupted layer would seal the damage.
    if (!MessageDigest.isEqual(plainHash, plainDigest.value())
        || n != layer.path("size").asLong(-1)) {
      throw new VerificationException(
          Failure.DIGEST_MISMATCH, what + " blob differs from its descriptor");
    }
    Digest encDigest = Digest.sha256Of(encHash);
    OciLayout.storeBlob(staging, encDigest, tmp);

    ObjectNode priv = OciLayout.JSON.createObjectNode();
    priv.put("symkey", b64(key));
    priv.put("digest", plainDigest.text());
    priv.putObject("cipheroptions").put("nonce", b64(nonce));
    byte[] privJson = OciLayout.JSON.writeValueAsBytes(priv);
    KeyProviderPacket packet = KeyProviderPacket.wrap(kid, kek, privJson, random);
    Arrays.fill(key, (byte) 0);
    Arrays.fill(privJson, (byte) 0);

    ObjectNode pub = OciLayout.JSON.createObjectNode();
    pub.put("cipher", ImageDecryptor.CIPHER);
    pub.put("hmac", b64(hmac));
    pub.putObject("cipheroptions");

    ObjectNode desc = layer.deepCopy();
    desc.put("mediaType", mediaType + ImageDecryptor.ENCRYPTED_SUFFIX);
    desc.put("digest", encDigest.text());
    desc.put("size", n);
    ObjectNode ann =
        desc.get("annotations") instanceof ObjectNode a ? a : desc.putObject("annotations");
    ann.put(KeyProviderPacket.ANNOTATION, b64(packet.toJson()));
    ann.put(ImageDecryptor.PUBOPTS, b64(OciLayout.JSON.writeValueAsBytes(pub)));
    return Optional.of(desc);
  }
}
