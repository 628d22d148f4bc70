package dev.vouch.core;

import java.util.Objects;

/**
 * Evidence failed a check. Carries one {@link Failure} code and a message that names the field,
 * offset or register involved. Parsers and verifiers throw only this for bad input; any other
 * exception escaping a verifier is a bug.
 */
public final class VerificationException extends Exception {
  private static final long serialVersionUID = 1L;

  private final Failure failure;

  public VerificationException(Failure failure, String message) {
    super(message);
    this.failure = Objects.requireNonNull(failure, "failure");
  }

  public VerificationException(Failure failure, String message, Throwable cause) {
    super(message, cause);
    this.failure = Objects.requireNonNull(failure, "failure");
  }

  /** The stable failure code. */
  public Failure failure() {
    return failure;
  }

  @Override
  public String toString() {
    return failure.code() + ": " + getMessage();
  }
}
