package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fetches Intel collateral from a PCCS or Intel PCS (API version 4): TCB info ({@code
 * /sgx|tdx/certification/v4/tcb?fmspc=}), QE identity ({@code .../qe/identity}), the PCK CRL
 * ({@code /sgx/certification/v4/pckcrl?ca=platform|processor}) and the root CA CRL ({@code
 * /sgx/certification/v4/rootcacrl}), with the issuer chains Intel returns in {@code *-Issuer-Chain}
 * response headers. Each response is cached until {@link #REFRESH_MARGIN} before the earliest
 * {@code nextUpdate} among what it carried (by the given clock), then fetched again, so that fresh
 * collateral is in place before the old lapses; when that refresh fails, the cached answer is used
 * until its {@code nextUpdate} and never after. Thread-safe.
 */
public final class PccsCollateralSource implements CollateralSource {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final URI base;
  private final HttpClient http;
  private final Clock clock;
  private final Map<URI, Cached> cache = new ConcurrentHashMap<>();

  /** How long before a cached answer's {@code nextUpdate} it is fetched again. */
  public static final Duration REFRESH_MARGIN = Duration.ofMinutes(10);

  private record Cached(DcapCollateral collateral, Instant refreshAt, Instant expires) {}

  /**
   * @param base the service root, e.g. {@code https://pccs.example:8081} or {@code
   *     https://api.trustedservices.intel.com} (the {@code /sgx|tdx/certification/v4/} paths are
   *     appended)
   */
  public PccsCollateralSource(URI base, HttpClient http, Clock clock) {
    String b = base.toString();
    this.base = URI.create(b.endsWith("/") ? b : b + "/");
    this.http = http;
    this.clock = clock;
  }

  /** With a default HTTP client and the system clock. */
  public PccsCollateralSource(URI base) {
    this(base, HttpClient.newBuilder().connectTimeout(TIMEOUT).build(), Clock.systemUTC());
  }

  @Override
  public DcapCollateral collateralFor(DcapQuote quote) throws VerificationException {
    List<X509Certificate> chain = IntelPki.pemCertificates(quote.pckChainPem());
    if (chain.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, "quote carries no PCK certificate");
    }
    PckExtensions pck = PckExtensions.of(chain.get(0));
    String issuer = chain.get(0).getIssuerX500Principal().getName().toLowerCase(Locale.ROOT);
    String ca = issuer.contains("processor") ? "processor" : "platform";
    String tee = quote.header().isTdx() ? "tdx" : "sgx";
    String fmspc = Hex.encode(pck.fmspc()).toUpperCase(Locale.ROOT);
    return get(tee + "/certification/v4/tcb?fmspc=" + fmspc)
        .plus(get(tee + "/certification/v4/qe/identity"))
        .plus(get("sgx/certification/v4/pckcrl?ca=" + ca))
        .plus(get("sgx/certification/v4/rootcacrl"));
  }

  private DcapCollateral get(String path) throws VerificationException {
    URI uri = base.resolve(path);
    Instant now = clock.instant();
    Cached c = cache.get(uri);
    if (c != null && now.isBefore(c.refreshAt())) {
      return c.collateral();
    }
    DcapCollateral fetched;
    try {
      fetched = fetch(uri);
    } catch (VerificationException e) {
      // a service down while the cached answer is still valid does not stop verification
      if (c != null && now.isBefore(c.expires())) {
        return c.collateral();
      }
      throw e;
    }
    Instant expires = expiry(fetched, now);
    cache.put(uri, new Cached(fetched, expires.minus(REFRESH_MARGIN), expires));
    return fetched;
  }

  private DcapCollateral fetch(URI uri) throws VerificationException {
    HttpResponse<byte[]> r =
        dev.vouch.evidence.CollateralFetch.get(http, uri, TIMEOUT, "collateral service");
    DcapCollateral body = DcapCollateral.parseFile(r.body());
    List<X509Certificate> issuers = new ArrayList<>();
    for (var h : r.headers().map().entrySet()) {
      if (h.getKey().toLowerCase(Locale.ROOT).endsWith("issuer-chain")) {
        for (String v : h.getValue()) {
          // PCS percent-encodes the PEM; a literal '+' is base64, not a space
          String pem = URLDecoder.decode(v.replace("+", "%2B"), StandardCharsets.UTF_8);
          issuers.addAll(IntelPki.pemCertificates(pem.getBytes(StandardCharsets.US_ASCII)));
        }
      }
    }
    if (body.isEmpty()) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING, "collateral service " + uri + " returned no collateral");
    }
    return body.plus(new DcapCollateral(List.of(), List.of(), List.of(), issuers));
  }

  private static Instant expiry(DcapCollateral c, Instant now) {
    Instant e = Instant.MAX;
    for (TcbInfo t : c.tcbInfos()) {
      e = min(e, t.nextUpdate());
    }
    for (QeIdentity q : c.qeIdentities()) {
      e = min(e, q.nextUpdate());
    }
    for (X509CRL l : c.crls()) {
      if (l.getNextUpdate() != null) {
        e = min(e, l.getNextUpdate().toInstant());
      }
    }
    // something already stale is not cached: the next verification asks again
    return e.equals(Instant.MAX) ? now : e;
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
