package dev.vouch.agent.tpm;

import java.util.Optional;

/**
 * A TPM command failed: either the TPM answered with an error response code ({@link
 * #responseCode()} is present and names it, e.g. TPM_RC_HANDLE), or the conversation itself failed
 * (the device or socket could not be used, or the response was truncated or malformed). This is the
 * agent's error for TPM use, apart from the verifiers' {@code VerificationException}.
 */
public final class TpmException extends Exception {
  private final CommandCode command;
  private final ResponseCode responseCode;
  private final boolean unavailable;

  private TpmException(
      String message, CommandCode command, ResponseCode responseCode, Throwable cause) {
    this(message, command, responseCode, cause, false);
  }

  private TpmException(
      String message,
      CommandCode command,
      ResponseCode responseCode,
      Throwable cause,
      boolean unavailable) {
    super(message, cause);
    this.command = command;
    this.responseCode = responseCode;
    this.unavailable = unavailable;
  }

  /**
   * The TPM cannot be reached now (its connection dropped and reconnecting has not yet worked); a
   * later call may succeed without anything else changing.
   */
  public static TpmException unavailable(String message, Throwable cause) {
    return new TpmException(message, null, null, cause, true);
  }

  /** True when the TPM could not be reached at all, as opposed to failing a command. */
  public boolean isUnavailable() {
    return unavailable;
  }

  /** The TPM rejected {@code command} with {@code rc}. */
  public static TpmException response(CommandCode command, ResponseCode rc) {
    return new TpmException(command.tpmName() + " failed: " + rc.describe(), command, rc, null);
  }

  /** The exchange for {@code command} broke down (I/O, truncated or malformed response). */
  public static TpmException protocol(CommandCode command, String message, Throwable cause) {
    String prefix = command == null ? "" : command.tpmName() + ": ";
    return new TpmException(prefix + message, command, null, cause);
  }

  /** A failure outside any one command, e.g. opening the transport. */
  public static TpmException transport(String message, Throwable cause) {
    return new TpmException(message, null, null, cause);
  }

  /** The TPM's response code when the TPM itself reported the error. */
  public Optional<ResponseCode> responseCode() {
    return Optional.ofNullable(responseCode);
  }

  /** The command that failed, when known. */
  public Optional<CommandCode> command() {
    return Optional.ofNullable(command);
  }

  /** True when the TPM answered with this base code (e.g. {@link ResponseCode#TPM_RC_HANDLE}). */
  public boolean is(int baseCode) {
    return responseCode != null && responseCode.base() == baseCode;
  }
}
