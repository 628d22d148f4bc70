package dev.vouch.agent.measure;

import dev.vouch.core.Failure;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The measurement API over HTTP/1.1 on a unix socket: one request per connection ({@code
 * Connection: close}), {@code GET} only, no request body, a request head of at most {@value
 * #MAX_HEAD} bytes. When the service is isolated, each connection's caller is identified before its
 * request is read, by the kernel ({@link PeerProcesses}, then {@link ProcCgroups}); several
 * processes holding the peer end must all be in the same cgroup owner or the caller is unknown.
 */
public final class MeasureServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(MeasureServer.class.getName());

  /** The default socket, a hostPath the measurement DaemonSet shares with workloads. */
  public static final Path DEFAULT_SOCKET = Path.of("/run/vouch/measure.sock");

  static final int MAX_HEAD = 16 * 1024;

  /** A connection is closed this long after it was accepted, whatever it is doing. */
  static final java.time.Duration CONNECTION_DEADLINE = java.time.Duration.ofSeconds(30);

  /** Bound on request bytes read and dropped after the reply, so the peer reads it unreset. */
  private static final int MAX_DRAIN = 64 * 1024;

  private static final java.util.concurrent.ScheduledExecutorService DEADLINES =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("vouch-measure-deadline").daemon().factory());

  private final ServerSocketChannel server;
  private final Path socket;
  private final Thread acceptor;

  private MeasureServer(ServerSocketChannel server, Path socket, Thread acceptor) {
    this.server = server;
    this.socket = socket;
    this.acceptor = acceptor;
  }

  /**
   * Binds {@code socket} (a stale socket file there is replaced; anything else is refused) and
   * serves {@code service}.
   *
   * @param peers identifies callers when the service is isolated; unused otherwise
   * @param proc where callers' cgroups are read
   */
  public static MeasureServer start(
      MeasurementService service, Path socket, PeerProcesses peers, ProcCgroups proc)
      throws IOException {
    Path parent = socket.toAbsolutePath().getParent();
    Files.createDirectories(parent);
    if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      java.nio.file.attribute.BasicFileAttributes a =
          Files.readAttributes(
              socket, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!a.isOther()) {
        throw new IOException(socket + " exists and is not a socket");
      }
      Files.delete(socket);
    }
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket), 64);
    // workloads connect from other users; who they are is decided by the kernel, not by the mode
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    Thread acceptor =
        Thread.ofPlatform()
            .name("vouch-measure-accept")
            .daemon()
            .unstarted(() -> acceptLoop(server, service, peers, proc));
    MeasureServer s = new MeasureServer(server, socket, acceptor);
    acceptor.start();
    LOG.info(() -> "measure: serving on " + socket + (service.isolated() ? " (isolated)" : ""));
    return s;
  }

  public Path socket() {
    return socket;
  }

  private static void acceptLoop(
      ServerSocketChannel server,
      MeasurementService service,
      PeerProcesses peers,
      ProcCgroups proc) {
    while (server.isOpen()) {
      SocketChannel ch;
      try {
        ch = server.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        LOG.log(Level.WARNING, "measure: accept failed", e);
        continue;
      }
      // identified here, serially: the peer lookup relies on one accept at a time
      MeasurementService.Caller caller =
          service.isolated() ? identify(ch, peers, proc) : new MeasurementService.Caller.Node();
      Thread.ofVirtual()
          .name("vouch-measure-conn")
          .start(
              () -> {
                // a peer that neither sends nor reads cannot hold its connection open
                var deadline =
                    DEADLINES.schedule(
                        () -> closeQuietly(ch),
                        CONNECTION_DEADLINE.toMillis(),
                        java.util.concurrent.TimeUnit.MILLISECONDS);
                try (ch) {
                  serve(ch, service, caller);
                } catch (IOException e) {
                  LOG.log(Level.FINE, "measure: connection failed", e);
                } finally {
                  deadline.cancel(false);
                  peers.forget(ch);
                }
              });
    }
  }

  static MeasurementService.Caller identify(
      SocketChannel ch, PeerProcesses peers, ProcCgroups proc) {
    try {
      Set<Long> pids = peers.identify(ch);
      MeasurementService.Caller caller = null;
      for (long pid : pids) {
        MeasurementService.Caller c = MeasurementService.Caller.of(proc.owner(pid));
        if (caller != null && !caller.equals(c)) {
          return new MeasurementService.Caller.Unknown(
              "the processes holding the connection are in different cgroups");
        }
        caller = c;
      }
      return caller;
    } catch (IOException e) {
      return new MeasurementService.Caller.Unknown(e.getMessage());
    }
  }

  private static void serve(
      SocketChannel ch, MeasurementService service, MeasurementService.Caller caller)
      throws IOException {
    MeasurementService.Reply reply;
    try {
      reply = service.handle(readRequest(ch), caller);
    } catch (BadRequest e) {
      reply = MeasurementService.Reply.problem(Failure.MALFORMED.code(), e.status, e.getMessage());
    }
    String head =
        "HTTP/1.1 "
            + reply.status()
            + " "
            + reason(reply.status())
            + "\r\nContent-Type: "
            + reply.contentType()
            + "\r\nContent-Length: "
            + reply.body().length
            + "\r\nConnection: close\r\n\r\n";
    ByteBuffer out = ByteBuffer.allocate(head.length() + reply.body().length);
    out.put(head.getBytes(StandardCharsets.US_ASCII)).put(reply.body()).flip();
    while (out.hasRemaining()) {
      ch.write(out);
    }
    // closing with unread request bytes would reset the connection before the peer reads the
    // reply (a refused oversized head): end our side, then drop what it still sends, bounded
    ch.shutdownOutput();
    ByteBuffer sink = ByteBuffer.allocate(4096);
    int dropped = 0;
    int n;
    while (dropped < MAX_DRAIN && (n = ch.read(sink)) >= 0) {
      dropped += n;
      sink.clear();
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // already gone
    }
  }

  /** A request the server cannot read. */
  static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    BadRequest(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  /** Reads the request head and parses its line, query and Accept header. */
  static MeasurementService.Request readRequest(SocketChannel ch) throws IOException, BadRequest {
    ByteBuffer buf = ByteBuffer.allocate(MAX_HEAD);
    int end;
    while ((end = headEnd(buf)) < 0) {
      if (!buf.hasRemaining()) {
        throw new BadRequest(431, "request head larger than " + MAX_HEAD + " bytes");
      }
      if (ch.read(buf) < 0) {
        throw new BadRequest(400, "connection closed before the request head ended");
      }
    }
    String head = new String(buf.array(), 0, end, StandardCharsets.ISO_8859_1);
    return parseHead(head);
  }

  private static int headEnd(ByteBuffer buf) {
    byte[] a = buf.array();
    for (int i = 3; i < buf.position(); i++) {
      if (a[i - 3] == '\r' && a[i - 2] == '\n' && a[i - 1] == '\r' && a[i] == '\n') {
        return i - 3;
      }
    }
    return -1;
  }

  static MeasurementService.Request parseHead(String head) throws BadRequest {
    String[] lines = head.split("\r\n");
    String[] start = lines[0].split(" ");
    if (start.length != 3 || !start[2].startsWith("HTTP/1.")) {
      throw new BadRequest(400, "not an HTTP/1.x request line");
    }
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c <= 0) {
        throw new BadRequest(400, "malformed header line");
      }
      String name = lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT);
      if (headers.put(name, lines[i].substring(c + 1).trim()) != null
          && (name.equals("content-length") || name.equals("transfer-encoding"))) {
        throw new BadRequest(400, "repeated " + name);
      }
    }
    if (!start[0].equals("GET")) {
      throw new BadRequest(405, "only GET is served");
    }
    if (headers.containsKey("transfer-encoding")
        || !headers.getOrDefault("content-length", "0").equals("0")) {
      throw new BadRequest(400, "requests carry no body");
    }
    String target = start[1];
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    Map<String, String> query = new LinkedHashMap<>();
    if (q >= 0) {
      for (String pair : target.substring(q + 1).split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String k = decode(eq < 0 ? pair : pair.substring(0, eq));
        String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
        if (query.put(k, v) != null) {
          throw new BadRequest(400, "query parameter " + k + " given twice");
        }
      }
    }
    return new MeasurementService.Request(
        path, query, Optional.ofNullable(headers.get("accept")).orElse(""));
  }

  private static String decode(String s) throws BadRequest {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new BadRequest(400, "bad percent-encoding in the query");
    }
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 400 -> "Bad Request";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 431 -> "Request Header Fields Too Large";
      case 503 -> "Service Unavailable";
      default -> "Error";
    };
  }

  @Override
  public void close() throws IOException {
    server.close();
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Files.deleteIfExists(socket);
  }
}
