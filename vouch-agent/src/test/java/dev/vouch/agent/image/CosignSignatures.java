package dev.vouch.agent.image;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import java.util.List;

/**
 * Makes sigstore signatures the way cosign (and skopeo's {@code --sign-by-sigstore-private-key})
 * lays them out, with JCA keys: a simple-signing payload, an ECDSA P-256/SHA-256 (DER) or RSA
 * PKCS#1 v1.5/SHA-256 signature over its bytes in the {@code dev.cosignproject.cosign/signature}
 * annotation, in a signature image tagged {@code sha256-<manifest hex>.sig} beside the image in the
 * same OCI layout. The Debian skopeo here cannot sign with sigstore keys ("sigstore disabled"), so
 * the format is produced from its documentation.
 */
public final class CosignSignatures {
  private CosignSignatures() {}

  /** One signature layer: the payload bytes and the raw signature over them. */
  public record Layer(byte[] payload, byte[] signature) {}

  /** A fresh P-256 key pair, cosign's default key type. */
  public static java.security.KeyPair p256() throws GeneralSecurityException {
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
    g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** The public key as cosign writes {@code cosign.pub}: PEM SubjectPublicKeyInfo. */
  public static String publicPem(java.security.KeyPair k) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(k.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** The simple-signing payload for a manifest digest and a docker reference, as cosign writes. */
  public static byte[] payload(String manifestDigest, String dockerReference) {
    ObjectNode p = OciTestImages.JSON.createObjectNode();
    ObjectNode c = p.putObject("critical");
    c.putObject("identity").put("docker-reference", dockerReference);
    c.putObject("image").put("docker-manifest-digest", manifestDigest);
    c.put("type", "cosign container image signature");
    p.putNull("optional");
    try {
      return OciTestImages.JSON.writeValueAsBytes(p);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Signs {@code payload} with SHA-256 (ECDSA gives DER, as Go's crypto/ecdsa). */
  public static byte[] sign(byte[] payload, PrivateKey key) throws GeneralSecurityException {
    Signature s =
        Signature.getInstance(
            key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA");
    s.initSign(key);
    s.update(payload);
    return s.sign();
  }

  /** A signature layer for the image with {@code manifestDigest}, signed by {@code key}. */
  public static Layer signed(String manifestDigest, String dockerReference, PrivateKey key)
      throws GeneralSecurityException {
    byte[] p = payload(manifestDigest, dockerReference);
    return new Layer(p, sign(p, key));
  }

  /** The digest of the manifest that index.json tags {@code tag}. */
  public static String manifestDigest(Path layout, String tag) throws IOException {
    for (var m :
        OciTestImages.JSON.readTree(layout.resolve("index.json").toFile()).get("manifests")) {
      if (tag.equals(m.path("annotations").path(OciLayout.REF_NAME).asText())) {
        return m.get("digest").asText();
      }
    }
    throw new IOException("no manifest tagged " + tag);
  }

  /**
   * Adds (or replaces) the signature image of {@code manifestDigest} in the layout: its config,
   * payload blobs and manifest, and an index.json entry tagged {@code sha256-<hex>.sig}.
   */
  public static void attach(Path layout, String manifestDigest, List<Layer> layers)
      throws IOException {
    byte[] config =
        "{\"architecture\":\"\",\"os\":\"\",\"rootfs\":{\"type\":\"layers\"}}"
            .getBytes(StandardCharsets.UTF_8);
    ObjectNode manifest = OciTestImages.JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", OciLayout.MANIFEST_TYPE);
    manifest
        .putObject("config")
        .put("mediaType", "application/vnd.oci.image.config.v1+json")
        .put("digest", OciTestImages.blob(layout, config))
        .put("size", config.length);
    ArrayNode ls = manifest.putArray("layers");
    for (Layer l : layers) {
      ObjectNode d = ls.addObject();
      d.put("mediaType", ImageSignatureVerifier.SIMPLE_SIGNING);
      d.put("digest", OciTestImages.blob(layout, l.payload()));
      d.put("size", l.payload().length);
      d.putObject("annotations")
          .put(
              ImageSignatureVerifier.SIGNATURE_ANNOTATION,
              Base64.getEncoder().encodeToString(l.signature()));
    }
    byte[] bytes = OciTestImages.JSON.writeValueAsBytes(manifest);
    String tag = manifestDigest.replace(':', '-') + ".sig";
    ObjectNode index =
        (ObjectNode) OciTestImages.JSON.readTree(layout.resolve("index.json").toFile());
    ArrayNode entries = (ArrayNode) index.get("manifests");
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (tag.equals(entries.get(i).path("annotations").path(OciLayout.REF_NAME).asText())) {
        entries.remove(i);
      }
    }
    ObjectNode desc = entries.addObject();
    desc.put("mediaType", OciLayout.MANIFEST_TYPE);
    desc.put("digest", OciTestImages.blob(layout, bytes));
    desc.put("size", bytes.length);
    desc.putObject("annotations").put(OciLayout.REF_NAME, tag);
    Files.write(layout.resolve("index.json"), OciTestImages.JSON.writeValueAsBytes(index));
  }
}
