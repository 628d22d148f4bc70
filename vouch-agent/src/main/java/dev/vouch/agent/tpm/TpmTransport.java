package dev.vouch.agent.tpm;

import java.nio.file.Path;

/**
 * Carries raw TPM 2.0 command bytes to a TPM and returns the raw response bytes. The same bytes go
 * to a kernel device ({@code /dev/tpmrm0}) and to swtpm's TCP command port, so one marshalling
 * layer serves both.
 *
 * <p>Implementations return exactly one complete response (header size field honoured) or throw;
 * they do not interpret response codes.
 */
public sealed interface TpmTransport extends AutoCloseable
    permits SwtpmTcpTransport, DeviceTransport {

  /** Responses larger than this are refused; real TPMs stay far below (typically 4 KiB). */
  int MAX_RESPONSE = 64 * 1024;

  /** Sends one command and waits for its response. */
  byte[] transmit(byte[] command) throws TpmException;

  @Override
  void close() throws TpmException;

  /**
   * Opens a transport from the CLI's {@code --tpm} form: {@code device:/dev/tpmrm0} or {@code
   * swtpm:HOST:PORT}.
   *
   * @throws TpmException when the form is not recognized or the TPM cannot be reached
   */
  static TpmTransport open(String spec) throws TpmException {
    if (spec.startsWith("device:")) {
      return new DeviceTransport(Path.of(spec.substring("device:".length())));
    }
    if (spec.startsWith("swtpm:")) {
      String rest = spec.substring("swtpm:".length());
      int colon = rest.lastIndexOf(':');
      if (colon > 0) {
        try {
          int port = Integer.parseInt(rest.substring(colon + 1));
          if (port > 0 && port < 65536) {
            return new SwtpmTcpTransport(rest.substring(0, colon), port);
          }
        } catch (NumberFormatException e) {
          // fall through to the error below
        }
      }
    }
    throw TpmException.transport(
        "unrecognized TPM address '" + spec + "' (use device:/dev/tpmrm0 or swtpm:HOST:PORT)",
        null);
  }
}
