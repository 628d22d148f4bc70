package dev.vouch.server.registrar;

import java.util.Objects;

/** An enrollment step was refused; {@link #error()} says why in a stable code. */
public final class EnrollmentException extends Exception {
  private final EnrollmentError error;

  public EnrollmentException(EnrollmentError error, String message) {
    this(error, message, null);
  }

  public EnrollmentException(EnrollmentError error, String message, Throwable cause) {
    super(error.name() + ": " + message, cause);
    this.error = Objects.requireNonNull(error, "error");
  }

  public EnrollmentError error() {
    return error;
  }
}
