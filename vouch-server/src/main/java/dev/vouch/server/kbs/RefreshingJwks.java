package dev.vouch.server.kbs;

import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The published keys of another attestation service, kept current: from a JWKS URL re-fetched when
 * older than the refresh interval, or from a file re-read when it changes. A failed refresh keeps
 * the last good set (an issuer's endpoint that is down must not stop releases of tokens already
 * trusted) and is retried after a short back-off; a set that never loaded is empty, so it trusts
 * nothing. Thread-safe.
 */
public final class RefreshingJwks implements Supplier<JWKSet> {
  private static final Logger LOG = LoggerFactory.getLogger(RefreshingJwks.class);
  private static final Duration RETRY = Duration.ofSeconds(30);
  private static final int MAX_BYTES = 1 << 20;

  private final String name;
  private final Loader loader;
  private final Duration refresh;
  private final Clock clock;
  private JWKSet current = new JWKSet();
  private Instant nextCheck = Instant.MIN;

  @FunctionalInterface
  private interface Loader {
    /** The new set, or {@code null} when nothing changed since the last load. */
    JWKSet load() throws IOException, ParseException, InterruptedException;
  }

  private RefreshingJwks(String name, Loader loader, Duration refresh, Clock clock) {
    this.name = name;
    this.loader = loader;
    this.refresh = refresh;
    this.clock = clock;
  }

  /**
   * Keys fetched from {@code url} (https, or http on a loopback address only), at most every {@code
   * refresh}.
   *
   * @throws IllegalArgumentException for another scheme, or http to a remote host
   */
  public static RefreshingJwks fromUrl(URI url, Duration refresh, Clock clock) {
    boolean loopback =
        "http".equals(url.getScheme())
            && ("127.0.0.1".equals(url.getHost())
                || "localhost".equals(url.getHost())
                || "[::1]".equals(url.getHost()));
    if (!"https".equals(url.getScheme()) && !loopback) {
      throw new IllegalArgumentException(
          url + ": a JWKS URL must be https (http only on a loopback address)");
    }
    HttpClient http =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    Loader l =
        () -> {
          HttpResponse<byte[]> r =
              http.send(
                  HttpRequest.newBuilder(url)
                      .timeout(Duration.ofSeconds(10))
                      .header("Accept", "application/json")
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() != 200) {
            throw new IOException("HTTP " + r.statusCode());
          }
          if (r.body().length > MAX_BYTES) {
            throw new IOException("the JWKS is over " + MAX_BYTES + " bytes");
          }
          return JWKSet.parse(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8));
        };
    RefreshingJwks j = new RefreshingJwks(url.toString(), l, refresh, clock);
    j.get();
    return j;
  }

  /**
   * Keys read from {@code file}, re-read when its modification time changes (checked at most every
   * {@code refresh}).
   *
   * @throws IOException when the file cannot be read or parsed the first time
   */
  public static RefreshingJwks fromFile(Path file, Duration refresh, Clock clock)
      throws IOException {
    FileTime[] seen = {null};
    Loader l =
        () -> {
          FileTime t = Files.getLastModifiedTime(file);
          if (t.equals(seen[0])) {
            return null;
          }
          JWKSet s = JWKSet.parse(Files.readString(file));
          seen[0] = t;
          return s;
        };
    RefreshingJwks j = new RefreshingJwks(file.toString(), l, refresh, clock);
    try {
      j.current = l.load();
    } catch (ParseException | InterruptedException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
    j.nextCheck = clock.instant().plus(refresh);
    return j;
  }

  @Override
  public synchronized JWKSet get() {
    Instant now = clock.instant();
    if (now.isBefore(nextCheck)) {
      return current;
    }
    try {
      JWKSet loaded = loader.load();
      if (loaded != null) {
        current = loaded;
      }
      nextCheck = now.plus(refresh);
    } catch (IOException | ParseException | RuntimeException e) {
      LOG.warn(
          "passport issuer keys {}: refresh failed, keeping {} keys: {}",
          name,
          current.size(),
          e.toString());
      nextCheck = now.plus(RETRY);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return current;
  }
}
