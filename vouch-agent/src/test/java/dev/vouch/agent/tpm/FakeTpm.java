package dev.vouch.agent.tpm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.UnaryOperator;

/**
 * A TCP server that answers each TPM command on a connection with whatever {@code responder}
 * returns for it, then closes the connection: for truncated, garbled and hostile responses.
 */
final class FakeTpm implements AutoCloseable {
  private final ServerSocket server;
  private final Thread acceptor;
  private volatile UnaryOperator<byte[]> responder;
  private volatile boolean oneAnswerPerConnection = true;

  FakeTpm(UnaryOperator<byte[]> responder) throws IOException {
    this.responder = responder;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = Thread.ofVirtual().start(this::serve);
  }

  void respondWith(UnaryOperator<byte[]> r) {
    this.responder = r;
  }

  /** Keeps connections open for several commands, as a real swtpm does. */
  void keepConnectionsOpen() {
    this.oneAnswerPerConnection = false;
  }

  int port() {
    return server.getLocalPort();
  }

  /** A client connected to this server. */
  TpmClient client() throws TpmException {
    return new TpmClient(new SwtpmTcpTransport("127.0.0.1", port()));
  }

  private void serve() {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        while (true) {
          byte[] header = in.readNBytes(10);
          if (header.length < 10) {
            break;
          }
          int size =
              ((header[2] & 0xff) << 24)
                  | ((header[3] & 0xff) << 16)
                  | ((header[4] & 0xff) << 8)
                  | (header[5] & 0xff);
          byte[] body = in.readNBytes(Math.max(0, size - 10));
          byte[] cmd = new byte[10 + body.length];
          System.arraycopy(header, 0, cmd, 0, 10);
          System.arraycopy(body, 0, cmd, 10, body.length);
          out.write(responder.apply(cmd));
          out.flush();
          // by default one answer per connection: a short answer must end in EOF, not a timeout
          if (oneAnswerPerConnection) {
            break;
          }
        }
      } catch (IOException e) {
        // the server was closed, or a client went away: both end this connection only
      }
    }
  }

  /** A success response (TPM_ST_NO_SESSIONS, rc 0) with the given body. */
  static byte[] success(byte[] body) {
    return new TpmWriter().u16(0x8001).u32(10 + body.length).u32(0).bytes(body).toByteArray();
  }

  /** An error response with {@code rc}. */
  static byte[] error(int rc) {
    return new TpmWriter().u16(0x8001).u32(10).u32(rc).toByteArray();
  }

  @Override
  public void close() throws IOException {
    server.close();
    acceptor.interrupt();
  }
}
