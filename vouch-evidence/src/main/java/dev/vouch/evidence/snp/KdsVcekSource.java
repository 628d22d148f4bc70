package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fetches a VCEK and its ASK/ARK chain from AMD's Key Distribution Service (or a caching proxy of
 * it) when SEV-SNP evidence carries neither and no offline store holds it: {@code
 * /vcek/v1/{product}/{hwid}?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..} (DER) and {@code
 * /vcek/v1/{product}/cert_chain} (PEM). Nothing fetched is trusted for being fetched: the verifier
 * checks it against the pinned ARK like any supplied certificate. A VCEK is bound to one chip and
 * TCB, so answers are kept (bounded) for the life of the process. CRLs are not fetched here: they
 * come from the collateral folders. Thread-safe.
 */
public final class KdsVcekSource {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final int CACHE_LIMIT = 4096;

  private final URI base;
  private final HttpClient http;
  private final Map<URI, byte[]> cache = new ConcurrentHashMap<>();

  /**
   * @param base the service root, e.g. {@code https://kdsintf.amd.com} (the {@code /vcek/v1/} paths
   *     are appended)
   */
  public KdsVcekSource(URI base, HttpClient http) {
    String b = base.toString();
    this.base = URI.create(b.endsWith("/") ? b : b + "/");
    this.http = http;
  }

  /** With a default HTTP client. */
  public KdsVcekSource(URI base) {
    this(base, HttpClient.newBuilder().connectTimeout(TIMEOUT).build());
  }

  /**
   * The VCEK for {@code hwid} at the TCB of {@code query}, and the product's ASK/ARK chain.
   *
   * @throws VerificationException {@link Failure#COLLATERAL_MISSING} when the service cannot give
   *     them
   */
  List<byte[]> vcek(SnpProduct product, String hwid, String query) throws VerificationException {
    String p = "vcek/v1/" + product.amdName() + "/";
    return List.of(get(base.resolve(p + hwid + "?" + query)), get(base.resolve(p + "cert_chain")));
  }

  private byte[] get(URI uri) throws VerificationException {
    byte[] cached = cache.get(uri);
    if (cached != null) {
      return cached;
    }
    HttpResponse<byte[]> r;
    try {
      r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING, "AMD KDS " + uri + " unreachable: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VerificationException(Failure.COLLATERAL_MISSING, "interrupted fetching " + uri);
    }
    if (r.statusCode() != 200 || r.body().length == 0) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING, "AMD KDS " + uri + " answered " + r.statusCode());
    }
    if (cache.size() >= CACHE_LIMIT) {
      cache.clear();
    }
    cache.put(uri, r.body());
    return r.body();
  }
}
