package dev.vouch.agent.cdh;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.vouch.agent.kbs.EvidenceException;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The confidential data hub's local API for workloads: {@code GET
 * /cdh/resource/<repository>/<type>/<tag>} answers the resource's bytes ({@code
 * application/octet-stream}), fetched from the KBS through the attestation handshake. Bound to the
 * loopback address only. Answers are cached until the earlier of the token's expiry and the
 * configured lifetime, so a revoked policy or a failing attestation takes effect within that time.
 *
 * <p>{@code POST /cdh/unseal} takes a CoCo sealed secret and answers its value ({@link
 * SealedSecret}), with the keys it names fetched the same way.
 *
 * <p>Errors are text: 400 bad path, 403 the KBS refused (attestation failed or policy denied; the
 * reason follows), 404 no such resource, 502 the KBS could not be reached, 500 no evidence.
 */
public final class DataHub implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(DataHub.class.getName());
  private static final String PREFIX = "/cdh/resource/";
  private static final String UNSEAL = "/cdh/unseal";
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

  private final ResourceSource source;
  private final Duration maxAge;
  private final Clock clock;
  private final ConcurrentHashMap<String, ResourceSource.Fetched> cache = new ConcurrentHashMap<>();
  private HttpServer server;
  private UnixSocketHttp unix;

  /** The port Confidential Containers' data hub REST API listens on. */
  public static final int COCO_PORT = 8006;

  /** Where Confidential Containers' data hub puts its unix socket. */
  public static final Path COCO_SOCKET = Path.of("/run/confidential-containers/cdh.sock");

  /** One answer, whatever transport carries it. */
  record Answer(int status, String contentType, byte[] body) {
    static Answer text(int status, String msg) {
      return new Answer(
          status, "text/plain; charset=utf-8", (msg + "\n").getBytes(StandardCharsets.UTF_8));
    }

    static Answer value(byte[] v) {
      return new Answer(200, "application/octet-stream", v);
    }
  }

  private DataHub(ResourceSource source, Duration maxAge, Clock clock) {
    this.source = source;
    this.maxAge = maxAge;
    this.clock = clock;
  }

  /**
   * Starts the hub on 127.0.0.1.
   *
   * @param port the port, 0 for any free one
   * @param maxAge the longest a resource is served from the cache
   */
  public static DataHub start(ResourceSource source, int port, Duration maxAge, Clock clock)
      throws IOException {
    return start(source, port, Optional.empty(), maxAge, clock);
  }

  /**
   * Starts the hub on 127.0.0.1 and, when {@code socket} is given, also on that unix socket (made
   * 0600: only the workload's user reaches it), where it answers exactly as on the port.
   */
  public static DataHub start(
      ResourceSource source, int port, Optional<Path> socket, Duration maxAge, Clock clock)
      throws IOException {
    DataHub hub = new DataHub(source, maxAge, clock);
    HttpServer s =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    s.createContext("/cdh/", hub::exchange);
    s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    s.start();
    hub.server = s;
    if (socket.isPresent()) {
      try {
        hub.unix = UnixSocketHttp.start(socket.get(), hub::answer);
      } catch (IOException e) {
        s.stop(0);
        throw e;
      }
    }
    return hub;
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The bound address: always a loopback address. */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Drops every cached resource. */
  public void clear() {
    cache.clear();
  }

  private void exchange(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readNBytes(SealedSecret.MAX_LENGTH + 1);
      Answer a = answer(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), body);
      ex.getResponseHeaders().set("Content-Type", a.contentType());
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      ex.sendResponseHeaders(a.status(), a.body().length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(a.body());
      }
    }
  }

  /** The hub's whole API, apart from any transport. */
  Answer answer(String method, String rawPath, byte[] body) {
    if (rawPath.startsWith(PREFIX)) {
      return "GET".equals(method)
          ? resource(rawPath.substring(PREFIX.length()))
          : Answer.text(405, "only GET");
    }
    if (rawPath.equals(UNSEAL)) {
      return "POST".equals(method) ? unseal(body) : Answer.text(405, "only POST");
    }
    return Answer.text(404, "no such route");
  }

  private Answer resource(String raw) {
    String[] seg = raw.split("/", -1);
    if (seg.length != 3 || !valid(seg[0]) || !valid(seg[1]) || !valid(seg[2])) {
      return Answer.text(400, "a resource path is <repository>/<type>/<tag> of [A-Za-z0-9._-]");
    }
    try {
      return Answer.value(cached(seg[0], seg[1], seg[2]));
    } catch (KbsException e) {
      return refused(raw, e);
    } catch (EvidenceException e) {
      return Answer.text(500, "evidence: " + e.getMessage());
    }
  }

  /** A resource from the cache, or fetched (attesting as needed) when absent or expired. */
  private byte[] cached(String repository, String type, String tag)
      throws KbsException, EvidenceException {
    String key = repository + "/" + type + "/" + tag;
    Instant now = clock.instant();
    ResourceSource.Fetched f = cache.get(key);
    if (f == null || !now.isBefore(f.expiresAt())) {
      try {
        ResourceSource.Fetched fresh = source.fetch(repository, type, tag);
        Instant cap = now.plus(maxAge);
        f =
            new ResourceSource.Fetched(
                fresh.value(), fresh.expiresAt().isBefore(cap) ? fresh.expiresAt() : cap);
        cache.put(key, f);
      } catch (KbsException e) {
        cache.remove(key);
        throw e;
      }
    }
    return f.value();
  }

  private static Answer refused(String what, KbsException e) {
    int status = e.refused() ? 403 : e.status() == 404 ? 404 : e.status() == 400 ? 400 : 502;
    LOG.info(() -> "data hub: " + what + " refused: " + e);
    return Answer.text(status, "kbs: " + e);
  }

  /**
   * {@code POST /cdh/unseal}: the body is a sealed secret ({@code sealed.} + JWS); the answer is
   * its value, unsealed with keys the KBS releases after attestation. 400 not a sealed secret (or
   * its signature or keys do not check out: the stable code follows), 403 the KBS refused.
   */
  private Answer unseal(byte[] body) {
    try {
      return Answer.value(
          SealedSecret.unseal(
              new String(body, StandardCharsets.UTF_8),
              uri -> cached(uri.repository(), uri.type(), uri.tag())));
    } catch (VerificationException e) {
      LOG.info(() -> "data hub: unseal refused: " + e.failure());
      return Answer.text(400, e.failure().code() + ": " + e.getMessage());
    } catch (KbsException e) {
      return refused("unseal", e);
    } catch (EvidenceException e) {
      return Answer.text(500, "evidence: " + e.getMessage());
    }
  }

  private static boolean valid(String s) {
    return SEGMENT.matcher(s).matches();
  }

  @Override
  public void close() {
    server.stop(0);
    if (unix != null) {
      unix.close();
    }
    cache.clear();
  }
}
