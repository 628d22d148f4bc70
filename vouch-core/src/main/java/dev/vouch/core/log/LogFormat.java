package dev.vouch.core.log;

import java.util.Locale;
import java.util.Optional;

/**
 * How {@code vouch server} and {@code vouch agent} write their log: {@link #TEXT} lines for a
 * terminal or journald, or {@link #JSON} lines for a log collector. Chosen by the system property
 * {@code vouch.log.format} or the environment variable {@code VOUCH_LOG_FORMAT} ({@code text}, the
 * default, or {@code json}), the same for both processes.
 */
public enum LogFormat {
  TEXT,
  JSON;

  public static final String PROPERTY = "vouch.log.format";
  public static final String ENV = "VOUCH_LOG_FORMAT";

  /**
   * The format this process was configured with.
   *
   * @throws IllegalArgumentException when the setting is neither {@code text} nor {@code json}: a
   *     typo must not silently give the collector lines it cannot read
   */
  public static LogFormat configured() {
    Optional<String> v =
        Optional.ofNullable(System.getProperty(PROPERTY))
            .or(() -> Optional.ofNullable(System.getenv(ENV)));
    if (v.isEmpty() || v.get().isBlank()) {
      return TEXT;
    }
    return switch (v.get().strip().toLowerCase(Locale.ROOT)) {
      case "text" -> TEXT;
      case "json" -> JSON;
      default ->
          throw new IllegalArgumentException(
              ENV + " must be 'text' or 'json', not '" + v.get().strip() + "'");
    };
  }
}
