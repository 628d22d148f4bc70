package dev.vouch.cli;

/** The CLI exit codes of the architecture's stable surface. */
public final class ExitCodes {
  /** Success, or evidence verified and trusted. */
  public static final int OK = 0;

  /** Verification failed or the subject is untrusted. */
  public static final int FAILED = 1;

  /** Bad input or usage. */
  public static final int BAD_INPUT = 2;

  /** Internal or I/O error. */
  public static final int INTERNAL = 3;

  private ExitCodes() {}
}
