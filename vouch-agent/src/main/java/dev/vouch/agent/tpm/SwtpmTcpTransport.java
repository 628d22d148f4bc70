package dev.vouch.agent.tpm;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * swtpm's TCP command port ({@code swtpm socket --server type=tcp,...}): raw TPM 2.0 command bytes
 * in, raw response bytes out, no framing. One connection is kept for the transport's lifetime;
 * swtpm has no resource manager, so the caller must flush what it loads.
 */
public final class SwtpmTcpTransport implements TpmTransport {
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  // key generation on swtpm takes well under a second; a minute means the peer is stuck
  private static final int READ_TIMEOUT_MS = 60_000;

  private final String host;
  private final int port;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /** Connects to swtpm's command port. */
  public SwtpmTcpTransport(String host, int port) throws TpmException {
    this.host = host;
    this.port = port;
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
      s.setSoTimeout(READ_TIMEOUT_MS);
      s.setTcpNoDelay(true);
      this.in = s.getInputStream();
      this.out = s.getOutputStream();
    } catch (IOException e) {
      closeQuietly(s);
      throw TpmException.transport("cannot connect to swtpm at " + host + ":" + port, e);
    }
    this.socket = s;
  }

  @Override
  public synchronized byte[] transmit(byte[] command) throws TpmException {
    try {
      out.write(command);
      out.flush();
      byte[] header = in.readNBytes(CommandBuilder.HEADER_SIZE);
      if (header.length < CommandBuilder.HEADER_SIZE) {
        throw new EOFException(
            "connection closed after " + header.length + " bytes of the response header");
      }
      long size = ResponseFraming.declaredSize(header);
      byte[] body = in.readNBytes((int) size - CommandBuilder.HEADER_SIZE);
      if (body.length < size - CommandBuilder.HEADER_SIZE) {
        throw new EOFException(
            "connection closed after "
                + (CommandBuilder.HEADER_SIZE + body.length)
                + " of "
                + size
                + " response bytes");
      }
      byte[] response = new byte[(int) size];
      System.arraycopy(header, 0, response, 0, header.length);
      System.arraycopy(body, 0, response, header.length, body.length);
      return response;
    } catch (IOException e) {
      throw TpmException.transport("swtpm at " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws TpmException {
    try {
      socket.close();
    } catch (IOException e) {
      throw TpmException.transport("closing swtpm connection", e);
    }
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // the connection never worked; the connect error is what matters
    }
  }

  @Override
  public String toString() {
    return "swtpm:" + host + ":" + port;
  }
}
