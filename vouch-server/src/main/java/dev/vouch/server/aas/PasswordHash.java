package dev.vouch.server.aas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashes in the PHC string form ({@code $argon2id$v=19$m=..,t=..,p=..$salt$hash})
 * with a fresh 16-byte salt per hash. The parameters travel in the string, so raising them later
 * leaves stored hashes verifiable. Thread-safe.
 */
public final class PasswordHash {
  /** OWASP's minimum for Argon2id: 19 MiB, two passes, one lane. */
  public static final int MEMORY_KIB = 19 * 1024;

  public static final int ITERATIONS = 2;
  public static final int PARALLELISM = 1;

  /** Shorter passwords are refused when set (login with one simply fails). */
  public static final int MIN_PASSWORD_CHARS = 12;

  /** Longer passwords are refused: the hash runs on every attempt. */
  public static final int MAX_PASSWORD_CHARS = 1024;

  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final Pattern PHC =
      Pattern.compile(
          "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,2}),p=(\\d{1,2})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
  private static final SecureRandom RANDOM = new SecureRandom();
  // verified against when an account does not exist, so that its absence costs the same time
  private static final String DUMMY = hash("not-a-password-of-anyone".toCharArray());

  private PasswordHash() {}

  /** A fresh salted hash of {@code password}. */
  public static String hash(char[] password) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] h = derive(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return "$argon2id$v=19$m="
        + MEMORY_KIB
        + ",t="
        + ITERATIONS
        + ",p="
        + PARALLELISM
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(h);
  }

  /**
   * Whether {@code password} matches {@code stored}; a malformed stored hash matches nothing.
   * Compares in constant time.
   */
  public static boolean matches(char[] password, String stored) {
    Matcher m = PHC.matcher(stored == null ? "" : stored);
    if (!m.matches()) {
      return false;
    }
    int mem = Integer.parseInt(m.group(1));
    int t = Integer.parseInt(m.group(2));
    int p = Integer.parseInt(m.group(3));
    if (mem < 8 * p || mem > 1024 * 1024 || t < 1 || p < 1) {
      return false;
    }
    byte[] salt;
    byte[] expected;
    try {
      salt = Base64.getDecoder().decode(m.group(4));
      expected = Base64.getDecoder().decode(m.group(5));
    } catch (IllegalArgumentException e) {
      return false;
    }
    if (salt.length < 8 || expected.length < 16) {
      return false;
    }
    return MessageDigest.isEqual(expected, derive(password, salt, mem, t, p));
  }

  /** Spends the time of one verification, for a login to an account that does not exist. */
  public static void burn(char[] password) {
    matches(password, DUMMY);
  }

  private static byte[] derive(char[] password, byte[] salt, int memKib, int t, int p) {
    Argon2Parameters params =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withSalt(salt)
            .withMemoryAsKB(memKib)
            .withIterations(t)
            .withParallelism(p)
            .build();
    Argon2BytesGenerator g = new Argon2BytesGenerator();
    g.init(params);
    byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[HASH_BYTES];
    try {
      g.generateBytes(pw, out);
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
    return out;
  }
}
