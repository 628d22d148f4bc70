package dev.vouch.cli;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;

/**
 * A short-lived KBS admin JWT, signed here with the admin's private key as Trustee's kbs-client
 * signs one: Ed25519 keys sign {@code EdDSA}, P-256 {@code ES256}, P-384 {@code ES384}. It carries
 * only {@code iat} and {@code exp} (five minutes), well inside the KBS's one-hour ceiling, so a
 * token that leaks from a shell history or a proxy log is soon worthless.
 */
public final class KbsAdminToken {
  static final Duration LIFETIME = Duration.ofMinutes(5);

  private KbsAdminToken() {}

  /**
   * @throws IllegalArgumentException for a key that is neither Ed25519 nor EC P-256/P-384
   */
  public static String mint(PrivateKey key, Clock clock) {
    String alg;
    String jca;
    if (key instanceof ECPrivateKey ec) {
      int bits = ec.getParams().getOrder().bitLength();
      alg = bits == 256 ? "ES256" : bits == 384 ? "ES384" : null;
      jca = bits == 256 ? "SHA256withECDSAinP1363Format" : "SHA384withECDSAinP1363Format";
    } else if ("Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm())) {
      alg = "EdDSA";
      jca = "Ed25519";
    } else {
      alg = null;
      jca = null;
    }
    if (alg == null) {
      throw new IllegalArgumentException("the admin key must be Ed25519 or EC P-256/P-384");
    }
    long now = clock.instant().getEpochSecond();
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    String input =
        b.encodeToString(
                ("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}").getBytes(StandardCharsets.UTF_8))
            + "."
            + b.encodeToString(
                ("{\"iat\":" + now + ",\"exp\":" + (now + LIFETIME.toSeconds()) + "}")
                    .getBytes(StandardCharsets.UTF_8));
    try {
      Signature s = Signature.getInstance(jca);
      s.initSign(key);
      s.update(input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + b.encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with the admin key: " + e.getMessage(), e);
    }
  }
}
