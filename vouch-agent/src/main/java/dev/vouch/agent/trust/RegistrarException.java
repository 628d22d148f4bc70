package dev.vouch.agent.trust;

import java.util.Optional;

/**
 * The registrar refused an enrollment step or could not be reached. When it answered with a problem
 * document, {@link #code()} is the problem's stable code (the last segment of its {@code type},
 * e.g. {@code host-bound-to-other-tpm}); {@link #status()} is the HTTP status, 0 when there was
 * none.
 */
public final class RegistrarException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;

  public RegistrarException(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  public RegistrarException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
    this.code = "";
  }

  /** The HTTP status, 0 when no answer came. */
  public int status() {
    return status;
  }

  /** The problem's stable code, if the registrar sent a problem document. */
  public Optional<String> code() {
    return code.isEmpty() ? Optional.empty() : Optional.of(code);
  }

  /** True when the registrar answered and said no (as opposed to being unreachable). */
  public boolean refused() {
    return status >= 400 && status < 500;
  }
}
