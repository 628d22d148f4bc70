package dev.vouch.agent.tpm;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * swtpm's TCP command port ({@code swtpm socket --server type=tcp,...}): raw TPM 2.0 command bytes
 * in, raw response bytes out, no framing. swtpm has no resource manager, so the caller must flush
 * what it loads.
 *
 * <p>One connection is kept. When it breaks (swtpm restarted, or killed), the command that was
 * under way fails and later commands reconnect, with a backoff that doubles from {@value
 * #FIRST_BACKOFF_MS} ms to {@value #MAX_BACKOFF_MS} ms between attempts; a command inside the
 * backoff fails at once. Both failures are {@link TpmException#isUnavailable()}. A command is never
 * resent on a new connection: the TPM may have carried it out before the connection dropped.
 */
public final class SwtpmTcpTransport implements TpmTransport {
  private static final int CONNECT_TIMEOUT_MS = 5_000;
  // key generation on swtpm takes well under a second; a minute means the peer is stuck
  private static final int READ_TIMEOUT_MS = 60_000;

  static final long FIRST_BACKOFF_MS = 100;
  static final long MAX_BACKOFF_MS = 10_000;

  private final String host;
  private final int port;
  private Socket socket;
  private InputStream in;
  private OutputStream out;
  private boolean closed;
  private long backoffMs = FIRST_BACKOFF_MS;
  private long nextConnectNanos;

  /** Connects to swtpm's command port. */
  public SwtpmTcpTransport(String host, int port) throws TpmException {
    this.host = host;
    this.port = port;
    try {
      connect();
    } catch (IOException e) {
      throw TpmException.transport("cannot connect to swtpm at " + host + ":" + port, e);
    }
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
      s.setSoTimeout(READ_TIMEOUT_MS);
      s.setTcpNoDelay(true);
      this.in = s.getInputStream();
      this.out = s.getOutputStream();
    } catch (IOException e) {
      closeQuietly(s);
      throw e;
    }
    this.socket = s;
  }

  /** True while a connection is open (it may still turn out broken at the next command). */
  public synchronized boolean connected() {
    return socket != null;
  }

  private void reconnect() throws TpmException {
    long now = System.nanoTime();
    if (now - nextConnectNanos < 0) {
      throw TpmException.unavailable(
          "swtpm at "
              + host
              + ":"
              + port
              + " is unavailable; reconnecting in "
              + Math.max(1, (nextConnectNanos - now) / 1_000_000)
              + " ms",
          null);
    }
    try {
      connect();
      backoffMs = FIRST_BACKOFF_MS;
    } catch (IOException e) {
      nextConnectNanos = System.nanoTime() + backoffMs * 1_000_000;
      backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
      throw TpmException.unavailable(
          "swtpm at " + host + ":" + port + " is unavailable: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized byte[] transmit(byte[] command) throws TpmException {
    if (closed) {
      throw TpmException.transport("the swtpm transport is closed", null);
    }
    if (socket == null) {
      reconnect();
    }
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
      // the stream is out of step or gone: drop it; the next command connects afresh
      closeQuietly(socket);
      socket = null;
      nextConnectNanos = System.nanoTime();
      throw TpmException.unavailable("swtpm at " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() throws TpmException {
    closed = true;
    if (socket == null) {
      return;
    }
    try {
      socket.close();
    } catch (IOException e) {
      throw TpmException.transport("closing swtpm connection", e);
    } finally {
      socket = null;
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
