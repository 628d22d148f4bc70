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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}");

  private final ResourceSource source;
  private final Duration maxAge;
  private final Clock clock;
  private final ConcurrentHashMap<String, ResourceSource.Fetched> cache = new ConcurrentHashMap<>();
  private final HttpServer server;

  private DataHub(ResourceSource source, Duration maxAge, Clock clock, HttpServer server) {
    this.source = source;
    this.maxAge = maxAge;
    this.clock = clock;
    this.server = server;
  }

  /**
   * Starts the hub on 127.0.0.1.
   *
   * @param port the port, 0 for any free one
   * @param maxAge the longest a resource is served from the cache
   */
  public static DataHub start(ResourceSource source, int port, Duration maxAge, Clock clock)
      throws IOException {
    HttpServer s =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
    DataHub hub = new DataHub(source, maxAge, clock, s);
    s.createContext(PREFIX, hub::handle);
    s.createContext("/cdh/unseal", hub::unseal);
    s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    s.start();
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

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod())) {
        text(ex, 405, "only GET");
        return;
      }
      String raw = ex.getRequestURI().getRawPath().substring(PREFIX.length());
      String[] seg = raw.split("/", -1);
      if (seg.length != 3 || !valid(seg[0]) || !valid(seg[1]) || !valid(seg[2])) {
        text(ex, 400, "a resource path is <repository>/<type>/<tag> of [A-Za-z0-9._-]");
        return;
      }
      byte[] v;
      try {
        v = cached(seg[0], seg[1], seg[2]);
      } catch (KbsException e) {
        refused(ex, raw, e);
        return;
      } catch (EvidenceException e) {
        text(ex, 500, "evidence: " + e.getMessage());
        return;
      }
      value(ex, v);
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

  private static void refused(HttpExchange ex, String what, KbsException e) throws IOException {
    int status = e.refused() ? 403 : e.status() == 404 ? 404 : e.status() == 400 ? 400 : 502;
    LOG.info(() -> "data hub: " + what + " refused: " + e);
    text(ex, status, "kbs: " + e);
  }

  /**
   * {@code POST /cdh/unseal}: the body is a sealed secret ({@code sealed.} + JWS); the answer is
   * its value, unsealed with keys the KBS releases after attestation. 400 not a sealed secret (or
   * its signature or keys do not check out: the stable code follows), 403 the KBS refused.
   */
  private void unseal(HttpExchange ex) throws IOException {
    try (ex) {
      if (!"POST".equals(ex.getRequestMethod())) {
        text(ex, 405, "only POST");
        return;
      }
      byte[] body = ex.getRequestBody().readNBytes(SealedSecret.MAX_LENGTH + 1);
      byte[] v;
      try {
        v =
            SealedSecret.unseal(
                new String(body, StandardCharsets.UTF_8),
                uri -> cached(uri.repository(), uri.type(), uri.tag()));
      } catch (VerificationException e) {
        LOG.info(() -> "data hub: unseal refused: " + e.failure());
        text(ex, 400, e.failure().code() + ": " + e.getMessage());
        return;
      } catch (KbsException e) {
        refused(ex, "unseal", e);
        return;
      } catch (EvidenceException e) {
        text(ex, 500, "evidence: " + e.getMessage());
        return;
      }
      value(ex, v);
    }
  }

  /** A 200 with the value, never cached by anything between the hub and the workload. */
  private static void value(HttpExchange ex, byte[] v) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(200, v.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(v);
    }
  }

  private static boolean valid(String s) {
    return SEGMENT.matcher(s).matches();
  }

  private static void text(HttpExchange ex, int status, String msg) throws IOException {
    byte[] b = (msg + "\n").getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    cache.clear();
  }
}
