package dev.vouch.agent.cdh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import dev.vouch.agent.kbs.EvidenceException;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.agent.kbs.ResourceUri;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.AesGcm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * Confidential Containers sealed secrets, as guest-components' data hub reads them: {@code sealed.}
 * followed by a compact JWS (ES256, {@code kid} naming the signer's public JWK) whose payload is
 * the secret's JSON, {@code version} 0.1.0 and {@code type} {@code envelope} or {@code vault}. Both
 * name their keys as KBS resources ({@code kbs:///repo/type/tag}) that the KBS releases only after
 * attestation, so a secret unseals inside an attested guest and nowhere else.
 *
 * <ul>
 *   <li>{@code vault}, {@code provider: kbs}: {@code name} is the resource that holds the value.
 *   <li>{@code envelope}, {@code provider: kbs}: {@code key_id} names a 32-byte key-encryption key;
 *       {@code encrypted_key} is the data key wrapped under it with AES-256-GCM (12-byte nonce,
 *       then ciphertext and tag, no associated data: guest-components has no KBS "decryptor", so
 *       this is Vouch's reading of the envelope for a KBS-held KEK); {@code encrypted_data} is the
 *       value under the data key with {@code wrap_type} A256GCM and {@code iv}.
 * </ul>
 *
 * <p>The signature is checked before anything else is fetched; only ES256 is accepted, as in
 * guest-components.
 */
public final class SealedSecret {
  public static final String PREFIX = "sealed.";
  static final String VERSION = "0.1.0";

  /** Far more than any secret a workload passes; bounds the work done before the signature. */
  static final int MAX_LENGTH = 256 * 1024;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  private SealedSecret() {}

  /** Where keys and values named by a sealed secret come from: the KBS, after attestation. */
  @FunctionalInterface
  public interface Resources {
    byte[] get(ResourceUri uri) throws KbsException, EvidenceException;
  }

  /**
   * Seals {@code secret} as an envelope: a fresh data key encrypts it, {@code kek} (the resource
   * {@code keyId}) wraps the data key, and {@code signer} signs the whole as {@code signingKid}.
   */
  public static String sealEnvelope(
      byte[] secret,
      ResourceUri keyId,
      byte[] kek,
      ECPrivateKey signer,
      ResourceUri signingKid,
      SecureRandom random) {
    if (kek.length != 32) {
      throw new IllegalArgumentException("a key-encryption key is 32 bytes (AES-256)");
    }
    byte[] dek = new byte[32];
    byte[] iv = new byte[12];
    byte[] wrapIv = new byte[12];
    random.nextBytes(dek);
    random.nextBytes(iv);
    random.nextBytes(wrapIv);
    try {
      byte[] data = AesGcm.seal(dek, iv, secret);
      byte[] wrapped = AesGcm.seal(kek, wrapIv, dek);
      ObjectNode p = JSON.createObjectNode();
      p.put("version", VERSION);
      p.put("type", "envelope");
      p.put("provider", "kbs");
      p.put("key_id", keyId.toString());
      p.put("encrypted_key", Base64.getEncoder().encodeToString(concat(wrapIv, wrapped)));
      p.put("encrypted_data", Base64.getEncoder().encodeToString(data));
      p.put("wrap_type", "A256GCM");
      p.put("iv", Base64.getEncoder().encodeToString(iv));
      p.putObject("provider_settings");
      p.putObject("annotations");
      return sign(JSON.writeValueAsBytes(p), signer, signingKid);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("JCE lacks AES-GCM or ECDSA", e);
    } finally {
      Arrays.fill(dek, (byte) 0);
    }
  }

  /** {@code sealed.} + compact JWS of {@code payload}, ES256 with P-256 {@code signer}. */
  static String sign(byte[] payload, ECPrivateKey signer, ResourceUri signingKid)
      throws GeneralSecurityException, IOException {
    if (signer.getParams().getOrder().bitLength() != 256) {
      throw new IllegalArgumentException("the signing key must be EC P-256 (ES256)");
    }
    ObjectNode h = JSON.createObjectNode();
    h.put("alg", "ES256");
    h.put("kid", signingKid.toString());
    String input =
        B64URL.encodeToString(JSON.writeValueAsBytes(h)) + "." + B64URL.encodeToString(payload);
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(signer);
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return PREFIX + input + "." + B64URL.encodeToString(s.sign());
  }

  /**
   * Unseals: checks the signature with the public JWK the header's {@code kid} names, then opens
   * the secret with the keys or value it names, all fetched through {@code resources}.
   *
   * @throws VerificationException MALFORMED (not a sealed secret), UNSUPPORTED (another algorithm,
   *     version, type or provider), SIGNATURE_INVALID (the signature does not verify with the named
   *     key), DECRYPTION_FAILED (the key does not open the data, or it was altered)
   * @throws KbsException the KBS refused a key: attestation failed or the policy denied it
   */
  public static byte[] unseal(String sealed, Resources resources)
      throws VerificationException, KbsException, EvidenceException {
    if (sealed == null || sealed.length() > MAX_LENGTH || !sealed.startsWith(PREFIX)) {
      throw new VerificationException(
          Failure.MALFORMED, "a sealed secret starts with 'sealed.' and is at most 256 KiB");
    }
    String[] parts = sealed.substring(PREFIX.length()).strip().split("\\.", -1);
    if (parts.length != 3) {
      throw new VerificationException(
          Failure.MALFORMED, "a sealed secret is sealed.HEADER.PAYLOAD.SIGNATURE");
    }
    JsonNode header = object(b64url(parts[0], "header"), "header");
    if (!"ES256".equals(header.path("alg").asText())) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "sealed secret alg '" + header.path("alg").asText() + "' (only ES256)");
    }
    ResourceUri kid = uri(header.path("kid").asText(""), "header kid");
    byte[] sig = b64url(parts[2], "signature");
    ECPublicKey signer = jwk(resources.get(kid), kid);
    try {
      Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
      v.initVerify(signer);
      v.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
      if (sig.length != 64 || !v.verify(sig)) {
        throw new VerificationException(
            Failure.SIGNATURE_INVALID, "the sealed secret's signature does not verify with " + kid);
      }
    } catch (GeneralSecurityException e) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID,
          "the sealed secret's signature does not verify with " + kid,
          e);
    }
    JsonNode p = object(b64url(parts[1], "payload"), "payload");
    if (!VERSION.equals(p.path("version").asText())) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "sealed secret version '" + p.path("version").asText() + "'");
    }
    if (!"kbs".equals(p.path("provider").asText())) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "sealed secret provider '" + p.path("provider").asText() + "' (only kbs)");
    }
    return switch (p.path("type").asText()) {
      case "vault" -> resources.get(uri(p.path("name").asText(""), "name"));
      case "envelope" -> openEnvelope(p, resources);
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, "sealed secret type '" + p.path("type").asText() + "'");
    };
  }

  private static byte[] openEnvelope(JsonNode p, Resources resources)
      throws VerificationException, KbsException, EvidenceException {
    if (!"A256GCM".equals(p.path("wrap_type").asText())) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "sealed secret wrap_type '" + p.path("wrap_type").asText() + "' (only A256GCM)");
    }
    ResourceUri keyId = uri(p.path("key_id").asText(""), "key_id");
    byte[] encKey = b64(p.path("encrypted_key").asText(""), "encrypted_key");
    byte[] data = b64(p.path("encrypted_data").asText(""), "encrypted_data");
    byte[] iv = b64(p.path("iv").asText(""), "iv");
    if (encKey.length != 12 + 32 + 16 || iv.length != 12 || data.length < 16) {
      throw new VerificationException(
          Failure.MALFORMED, "sealed secret key, iv or data has the wrong length");
    }
    byte[] kek = resources.get(keyId);
    if (kek.length != 32) {
      throw new VerificationException(
          Failure.MALFORMED, keyId + " is not a 32-byte key-encryption key");
    }
    try {
      Optional<byte[]> dek = AesGcm.open(kek, Arrays.copyOf(encKey, 12), encKey, 12);
      Optional<byte[]> plain = dek.flatMap(k -> AesGcm.open(k, iv, data, 0));
      dek.ifPresent(k -> Arrays.fill(k, (byte) 0));
      return plain.orElseThrow(
          () ->
              new VerificationException(
                  Failure.DECRYPTION_FAILED,
                  "the key-encryption key "
                      + keyId
                      + " does not open the secret (wrong key or altered)"));
    } finally {
      Arrays.fill(kek, (byte) 0);
    }
  }

  private static ECPublicKey jwk(byte[] json, ResourceUri kid) throws VerificationException {
    try {
      ECKey k = ECKey.parse(new String(json, StandardCharsets.UTF_8));
      if (!Curve.P_256.equals(k.getCurve())) {
        throw new VerificationException(
            Failure.UNSUPPORTED, kid + " is not a P-256 key (ES256 only)");
      }
      return k.toECPublicKey();
    } catch (ParseException | com.nimbusds.jose.JOSEException e) {
      throw new VerificationException(Failure.MALFORMED, kid + " is not an EC public JWK", e);
    }
  }

  private static ResourceUri uri(String text, String what) throws VerificationException {
    try {
      return ResourceUri.parse(text);
    } catch (IllegalArgumentException e) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "sealed secret " + what + ": " + e.getMessage(), e);
    }
  }

  private static JsonNode object(byte[] json, String what) throws VerificationException {
    try {
      JsonNode n = JSON.readTree(json);
      if (n == null || !n.isObject()) {
        throw new VerificationException(
            Failure.MALFORMED, "sealed secret " + what + " is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new VerificationException(
          Failure.MALFORMED, "sealed secret " + what + " is not JSON", e);
    }
  }

  private static byte[] b64url(String text, String what) throws VerificationException {
    try {
      return Base64.getUrlDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new VerificationException(
          Failure.MALFORMED, "sealed secret " + what + " is not base64url", e);
    }
  }

  private static byte[] b64(String text, String what) throws VerificationException {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new VerificationException(
          Failure.MALFORMED, "sealed secret " + what + " is not base64", e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
