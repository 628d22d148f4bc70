package dev.vouch.agent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.kbs.ResourceUri;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.AesGcm;
import java.security.SecureRandom;
import java.util.Iterator;
import java.util.Set;

/**
 * The Confidential Containers key-provider annotation ({@code
 * org.opencontainers.image.enc.keys.provider.attestation-agent}), as guest-components' coco
 * keyprovider writes it and its data hub reads it: JSON with {@code kid} (a KBS resource URI naming
 * the key-encryption key), {@code wrapped_data} (ocicrypt's private layer options, AES-256-GCM
 * under the KEK with the 16-byte tag appended, no associated data), {@code iv} (12 bytes) and
 * {@code wrap_type}. The data hub's later form adds {@code version} (0.1.0), {@code provider}
 * ({@code kbs} here), {@code provider_settings} and {@code annotations}; both forms are read.
 *
 * <p>Only {@code A256GCM} is accepted: coco keyprovider can also write {@code A256CTR}, which
 * leaves the layer key unauthenticated, so it is refused rather than trusted.
 */
public record KeyProviderPacket(ResourceUri kid, byte[] wrappedData, byte[] iv, String wrapType) {
  /** The annotation ocicrypt stores the packet under (base64, comma-separated when several). */
  public static final String ANNOTATION =
      "org.opencontainers.image.enc.keys.provider.attestation-agent";

  public static final String A256GCM = "A256GCM";
  private static final String VERSION = "0.1.0";
  private static final Set<String> FIELDS =
      Set.of(
          "kid",
          "wrapped_data",
          "iv",
          "wrap_type",
          "version",
          "provider",
          "provider_settings",
          "annotations");

  public KeyProviderPacket {
    wrappedData = wrappedData.clone();
    iv = iv.clone();
  }

  @Override
  public byte[] wrappedData() {
    return wrappedData.clone();
  }

  @Override
  public byte[] iv() {
    return iv.clone();
  }

  /**
   * Parses a packet's JSON.
   *
   * @throws VerificationException MALFORMED for a packet that is not one; UNSUPPORTED for another
   *     version, provider or wrap type
   */
  public static KeyProviderPacket parse(byte[] json) throws VerificationException {
    JsonNode n = OciLayout.parseJson(json, "key-provider packet");
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new VerificationException(
            Failure.MALFORMED, "key-provider packet has an unknown field " + f);
      }
    }
    if (!n.path("version").asText(VERSION).equals(VERSION)
        || !n.path("provider").asText("kbs").equals("kbs")) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "key-provider packet version or provider (only " + VERSION + " and kbs)");
    }
    String wrap = n.path("wrap_type").asText("");
    if (!wrap.equals(A256GCM)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "key-provider wrap_type '" + wrap + "' (only " + A256GCM + ")");
    }
    ResourceUri kid;
    try {
      kid = ResourceUri.parse(n.path("kid").asText(""));
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "key-provider kid: " + e.getMessage(), e);
    }
    byte[] iv = OciLayout.b64(n.path("iv").asText(""), "key-provider iv");
    byte[] wrapped = OciLayout.b64(n.path("wrapped_data").asText(""), "key-provider wrapped_data");
    if (iv.length != 12 || wrapped.length < 16) {
      throw new VerificationException(
          Failure.MALFORMED, "key-provider iv is not 12 bytes or wrapped_data lacks its tag");
    }
    return new KeyProviderPacket(kid, wrapped, iv, wrap);
  }

  /** The packet as coco keyprovider writes it (the first form, which every reader accepts). */
  public byte[] toJson() {
    ObjectNode o = OciLayout.JSON.createObjectNode();
    o.put("kid", kid.toString());
    o.put("wrapped_data", OciLayout.b64(wrappedData));
    o.put("iv", OciLayout.b64(iv));
    o.put("wrap_type", wrapType);
    try {
      return OciLayout.JSON.writeValueAsBytes(o);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Wraps {@code plain} under the 32-byte {@code kek} with a fresh random IV. */
  public static KeyProviderPacket wrap(
      ResourceUri kid, byte[] kek, byte[] plain, SecureRandom random) {
    checkKek(kek);
    byte[] iv = new byte[12];
    random.nextBytes(iv);
    return new KeyProviderPacket(kid, AesGcm.seal(kek, iv, plain), iv, A256GCM);
  }

  /**
   * The wrapped bytes, opened with {@code kek}.
   *
   * @throws VerificationException DECRYPTION_FAILED for a wrong KEK or altered data
   */
  public byte[] unwrap(byte[] kek) throws VerificationException {
    checkKek(kek);
    return AesGcm.open(kek, iv, wrappedData, 0)
        .orElseThrow(
            () ->
                new VerificationException(
                    Failure.DECRYPTION_FAILED,
                    "the key-encryption key "
                        + kid
                        + " does not open the layer key (wrong key or altered)"));
  }

  static void checkKek(byte[] kek) {
    if (kek == null || kek.length != 32) {
      throw new IllegalArgumentException("a key-encryption key is 32 bytes (AES-256)");
    }
  }

  @Override
  public String toString() {
    return "KeyProviderPacket[kid=" + kid + ", wrap_type=" + wrapType + "]";
  }
}
