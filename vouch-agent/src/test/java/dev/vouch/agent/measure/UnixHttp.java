package dev.vouch.agent.measure;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Sends one raw HTTP request to a unix socket and returns the whole reply (tests). */
public final class UnixHttp {
  private UnixHttp() {}

  /** Writes {@code request} as it is, half-closes, and reads until the server closes. */
  public static String send(Path socket, String request) throws Exception {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1));
      while (out.hasRemaining()) {
        ch.write(out);
      }
      ch.shutdownOutput(); // the whole request is sent: a truncated head then ends at EOF
      ByteArrayOutputStream in = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(8192);
      while (ch.read(buf) >= 0) {
        in.write(buf.array(), 0, buf.position());
        buf.clear();
      }
      return in.toString(StandardCharsets.UTF_8);
    }
  }
}
