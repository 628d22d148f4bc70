package dev.vouch.evidence.tpm.protocol;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.util.regex.Pattern;

/**
 * Host identifiers: 1 to 128 characters of {@code A-Z a-z 0-9 _ -}. The restriction keeps a host id
 * usable as one NATS subject token ({@code vouch.agent.<hostId>.quote}), a URL path segment and a
 * file name without escaping.
 */
public final class HostIds {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_-]{1,128}");

  private HostIds() {}

  public static boolean isValid(String hostId) {
    return hostId != null && VALID.matcher(hostId).matches();
  }

  /**
   * Returns {@code hostId} when it is valid.
   *
   * @throws VerificationException MALFORMED otherwise
   */
  public static String require(String hostId) throws VerificationException {
    if (!isValid(hostId)) {
      throw new VerificationException(
          Failure.MALFORMED, "host id must be 1-128 characters of A-Z a-z 0-9 _ -");
    }
    return hostId;
  }
}
