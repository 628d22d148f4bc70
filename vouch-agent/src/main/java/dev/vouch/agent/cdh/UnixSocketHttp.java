package dev.vouch.agent.cdh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Just enough HTTP/1.1 over a unix socket for the data hub: one request per connection ({@code
 * Connection: close}), a body only with {@code Content-Length}, bounded header and body sizes. The
 * JDK's HTTP server binds only TCP, and a workload that reaches the hub through a mounted socket
 * should get the same answers as on the loopback port, so both call one answer function.
 */
final class UnixSocketHttp implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(UnixSocketHttp.class.getName());
  private static final int MAX_HEAD = 8 * 1024;

  interface Handler {
    DataHub.Answer answer(String method, String rawPath, byte[] body);
  }

  private final Path path;
  private final ServerSocketChannel channel;
  private final Thread acceptor;

  private UnixSocketHttp(Path path, ServerSocketChannel channel, Handler handler) {
    this.path = path;
    this.channel = channel;
    this.acceptor = Thread.ofVirtual().name("cdh-unix").start(() -> acceptLoop(handler));
  }

  /**
   * Binds {@code path} (made 0600) and serves. A stale socket at {@code path} is replaced; any
   * other file there is left alone and refused.
   */
  static UnixSocketHttp start(Path path, Handler handler) throws IOException {
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.readAttributes(
              path, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .isOther()) {
        throw new IOException(path + " exists and is not a socket");
      }
      Files.delete(path);
    }
    if (path.getParent() != null) {
      Files.createDirectories(path.getParent());
    }
    ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      ch.bind(UnixDomainSocketAddress.of(path));
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    return new UnixSocketHttp(path, ch, handler);
  }

  private void acceptLoop(Handler handler) {
    while (channel.isOpen()) {
      try {
        SocketChannel c = channel.accept();
        Thread.ofVirtual().start(() -> serve(c, handler));
      } catch (IOException e) {
        if (channel.isOpen()) {
          LOG.warning(() -> "data hub socket: accept failed: " + e.getMessage());
        }
      }
    }
  }

  private static void serve(SocketChannel c, Handler handler) {
    try (c;
        InputStream in = Channels.newInputStream(c);
        OutputStream out = Channels.newOutputStream(c)) {
      DataHub.Answer a;
      try {
        a = read(in, handler);
      } catch (BadRequest e) {
        a = DataHub.Answer.text(e.status, e.getMessage());
      }
      String head =
          "HTTP/1.1 "
              + a.status()
              + " "
              + reason(a.status())
              + "\r\nContent-Type: "
              + a.contentType()
              + "\r\nContent-Length: "
              + a.body().length
              + "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n";
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.write(a.body());
      out.flush();
    } catch (IOException e) {
      LOG.fine(() -> "data hub socket: connection failed: " + e.getMessage());
    }
  }

  private static DataHub.Answer read(InputStream in, Handler handler)
      throws IOException, BadRequest {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new BadRequest(400, "the request ended inside its head");
      }
      head.write(b);
      if (head.size() > MAX_HEAD) {
        throw new BadRequest(431, "request head larger than " + MAX_HEAD + " bytes");
      }
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] req = lines[0].split(" ", -1);
    if (req.length != 3 || !req[2].startsWith("HTTP/1.") || !req[1].startsWith("/")) {
      throw new BadRequest(400, "not an HTTP/1.x request line");
    }
    long length = 0;
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon <= 0) {
        throw new BadRequest(400, "malformed header line");
      }
      String name = lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = lines[i].substring(colon + 1).strip();
      if (name.equals("transfer-encoding")) {
        throw new BadRequest(411, "send the body with Content-Length");
      }
      if (name.equals("content-length")) {
        try {
          length = Long.parseLong(value);
        } catch (NumberFormatException e) {
          throw new BadRequest(400, "Content-Length is not a number");
        }
      }
    }
    if (length < 0 || length > SealedSecret.MAX_LENGTH) {
      throw new BadRequest(413, "body larger than " + SealedSecret.MAX_LENGTH + " bytes");
    }
    byte[] body = in.readNBytes((int) length);
    if (body.length != length) {
      throw new BadRequest(400, "the body is shorter than its Content-Length");
    }
    String target = req[1];
    int q = target.indexOf('?');
    return handler.answer(req[0], q < 0 ? target : target.substring(0, q), body);
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 411 -> "Length Required";
      case 413 -> "Content Too Large";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      default -> "Bad Gateway";
    };
  }

  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
      acceptor.join(1000);
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.fine(() -> "data hub socket: close: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
