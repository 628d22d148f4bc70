package dev.vouch.evidence;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * One GET of collateral from a vendor service (Intel PCS or a PCCS, AMD KDS). Whatever it brings is
 * checked by the verifier like any supplied file; this only turns every way of not getting it into
 * {@link Failure#COLLATERAL_MISSING}, so that a service being down fails closed with one code.
 */
public final class CollateralFetch {
  private CollateralFetch() {}

  /**
   * The answer to a GET of {@code uri}, when it is a 200 with a body.
   *
   * @param service how the error names the service ("AMD KDS", "collateral service")
   * @throws VerificationException {@link Failure#COLLATERAL_MISSING} when the service is
   *     unreachable, answers another status or an empty body, or the thread is interrupted
   */
  public static HttpResponse<byte[]> get(HttpClient http, URI uri, Duration timeout, String service)
      throws VerificationException {
    HttpResponse<byte[]> r;
    try {
      r =
          http.send(
              HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING, service + " " + uri + " unreachable: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VerificationException(Failure.COLLATERAL_MISSING, "interrupted fetching " + uri);
    }
    if (r.statusCode() != 200 || r.body().length == 0) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING, service + " " + uri + " answered " + r.statusCode());
    }
    return r;
  }
}
