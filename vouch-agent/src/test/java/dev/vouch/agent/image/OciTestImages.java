package dev.vouch.agent.image;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Builds small OCI image layouts with plain Java (a USTAR tar layer, gzip-compressed so that skopeo
 * keeps the blob as it is when it encrypts), and edits encrypted layouts the way an attacker with
 * write access to the registry or disk would: changing bytes and re-hashing so the layout's own
 * digests stay consistent, leaving only the encryption's checks to notice.
 */
public final class OciTestImages {
  public static final ObjectMapper JSON = new ObjectMapper();

  private OciTestImages() {}

  /** The original image's blobs, for comparison after the round trip. */
  public record Built(byte[] layer, byte[] config, String layerDigest) {}

  public static Built build(Path dir, String tag, int payloadBytes) throws IOException {
    byte[] content = new byte[payloadBytes];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) ("vouch image test\n".charAt(i % 17));
    }
    byte[] tar = tar("etc/vouch/hello.txt", content);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
      z.write(tar);
    }
    byte[] layer = gz.toByteArray();
    Files.createDirectories(dir.resolve("blobs/sha256"));
    Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    String layerDigest = blob(dir, layer);
    ObjectNode config = JSON.createObjectNode();
    config.put("architecture", "amd64").put("os", "linux");
    config.putObject("rootfs").put("type", "layers").putArray("diff_ids").add(digest(tar));
    byte[] configBytes = JSON.writeValueAsBytes(config);
    ObjectNode manifest = JSON.createObjectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    manifest
        .putObject("config")
        .put("mediaType", "application/vnd.oci.image.config.v1+json")
        .put("digest", blob(dir, configBytes))
        .put("size", configBytes.length);
    manifest
        .putArray("layers")
        .addObject()
        .put("mediaType", "application/vnd.oci.image.layer.v1.tar+gzip")
        .put("digest", layerDigest)
        .put("size", layer.length);
    writeManifest(dir, manifest, tag);
    return new Built(layer, configBytes, layerDigest);
  }

  /** One regular file in a POSIX ustar archive, then the two zero blocks that end it. */
  public static byte[] tar(String name, byte[] content) {
    byte[] header = new byte[512];
    put(header, 0, name);
    put(header, 100, "0000644\0");
    put(header, 108, "0000000\0");
    put(header, 116, "0000000\0");
    put(header, 124, String.format("%011o\0", content.length));
    put(header, 136, "00000000000\0");
    header[156] = '0';
    put(header, 257, "ustar\0");
    put(header, 263, "00");
    for (int i = 148; i < 156; i++) {
      header[i] = ' ';
    }
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, String.format("%06o\0 ", sum));
    int padded = (content.length + 511) / 512 * 512;
    byte[] out = new byte[512 + padded + 1024];
    System.arraycopy(header, 0, out, 0, 512);
    System.arraycopy(content, 0, out, 512, content.length);
    return out;
  }

  private static void put(byte[] dst, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, dst, off, b.length);
  }

  public static String blob(Path dir, byte[] bytes) throws IOException {
    String d = digest(bytes);
    Files.write(dir.resolve("blobs/sha256").resolve(d.substring(7)), bytes);
    return d;
  }

  public static String digest(byte[] bytes) {
    try {
      return "sha256:"
          + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public static byte[] readBlob(Path dir, String digest) throws IOException {
    return Files.readAllBytes(dir.resolve("blobs").resolve(digest.replace(':', '/')));
  }

  /** The single manifest of a layout, parsed. */
  public static ObjectNode manifest(Path dir) throws IOException {
    var index = JSON.readTree(dir.resolve("index.json").toFile());
    String d = index.get("manifests").get(0).get("digest").asText();
    return (ObjectNode) JSON.readTree(readBlob(dir, d));
  }

  /** Stores a manifest and points index.json (one entry, tagged) at it, digests consistent. */
  public static void writeManifest(Path dir, ObjectNode manifest, String tag) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(manifest);
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    ObjectNode desc = index.putArray("manifests").addObject();
    desc.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    desc.put("digest", blob(dir, bytes));
    desc.put("size", bytes.length);
    desc.putObject("annotations").put("org.opencontainers.image.ref.name", tag);
    Files.write(dir.resolve("index.json"), JSON.writeValueAsBytes(index));
  }

  public static KeyPair rsaKey() throws NoSuchAlgorithmException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  public static void writePem(Path file, String type, byte[] der) throws IOException {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    Files.writeString(
        file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
  }

  /** Copies a layout, so that a tampering test does not disturb the others. */
  public static Path copyLayout(Path from, Path to) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }

  /** Runs a tool and fails with its output when it exits non-zero. */
  public static void run(Path cwd, List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
    }
  }
}
