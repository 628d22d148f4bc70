package dev.vouch.server.config;

/**
 * The configuration is invalid: the message names the key (as written in the file or the {@code
 * VOUCH_*} variable) and what is wrong. The CLI exits with code 2.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
