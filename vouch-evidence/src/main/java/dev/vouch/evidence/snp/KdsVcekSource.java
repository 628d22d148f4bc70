package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.CollateralFetch;
import java.net.URI;
import java.net.http.HttpClient;
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
 * TCB, so answers are kept (bounded) for the life of the process. The product's CRL ({@code
 * /vcek/v1/{product}/crl}, signed by the ARK) is fetched when no collateral folder holds one, and
 * kept only until its own next update, so a revocation AMD publishes is seen. Thread-safe.
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

  private record HeldCrl(byte[] der, java.time.Instant nextUpdate) {}

  private final Map<SnpProduct, HeldCrl> crls = new ConcurrentHashMap<>();

  /**
   * The product's CRL as AMD publishes it, current at {@code at}; empty when the service cannot
   * give one (the verifier then finds no CRL and refuses, fail-closed).
   */
  java.util.Optional<byte[]> crl(SnpProduct product, java.time.Instant at) {
    HeldCrl held = crls.get(product);
    if (held != null && at.isBefore(held.nextUpdate())) {
      return java.util.Optional.of(held.der());
    }
    URI uri = base.resolve("vcek/v1/" + product.amdName() + "/crl");
    try {
      byte[] der = CollateralFetch.get(http, uri, TIMEOUT, "AMD KDS").body();
      java.security.cert.X509CRL crl =
          (java.security.cert.X509CRL)
              java.security.cert.CertificateFactory.getInstance("X.509")
                  .generateCRL(new java.io.ByteArrayInputStream(der));
      if (crl.getNextUpdate() == null) {
        return java.util.Optional.empty();
      }
      crls.put(product, new HeldCrl(der, crl.getNextUpdate().toInstant()));
      return java.util.Optional.of(der);
    } catch (VerificationException | java.security.GeneralSecurityException | RuntimeException e) {
      return java.util.Optional.empty();
    }
  }

  private byte[] get(URI uri) throws VerificationException {
    byte[] cached = cache.get(uri);
    if (cached != null) {
      return cached;
    }
    byte[] body = CollateralFetch.get(http, uri, TIMEOUT, "AMD KDS").body();
    if (cache.size() >= CACHE_LIMIT) {
      cache.clear();
    }
    cache.put(uri, body);
    return body;
  }
}
