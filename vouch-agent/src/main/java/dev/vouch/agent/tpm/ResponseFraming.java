package dev.vouch.agent.tpm;

import java.io.IOException;

/** Reads the size field of a response header before the body is read. */
final class ResponseFraming {
  private ResponseFraming() {}

  /** The total response size from a 10-byte header, checked against sane bounds. */
  static long declaredSize(byte[] header) throws IOException {
    long size =
        ((header[2] & 0xffL) << 24)
            | ((header[3] & 0xffL) << 16)
            | ((header[4] & 0xffL) << 8)
            | (header[5] & 0xffL);
    if (size < CommandBuilder.HEADER_SIZE || size > TpmTransport.MAX_RESPONSE) {
      throw new IOException("response header declares an impossible size of " + size + " bytes");
    }
    return size;
  }
}
