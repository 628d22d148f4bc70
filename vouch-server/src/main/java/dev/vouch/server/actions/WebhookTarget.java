package dev.vouch.server.actions;

import java.net.URI;
import java.util.Objects;

/**
 * A webhook receiver of status events.
 *
 * @param url where events are POSTed (http or https)
 * @param secret the shared HMAC-SHA256 key the {@code X-Vouch-Signature} header is computed with
 */
public record WebhookTarget(URI url, byte[] secret) {
  public WebhookTarget {
    Objects.requireNonNull(url, "url");
    if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
      throw new IllegalArgumentException("webhook url must be http or https: " + url);
    }
    if (secret.length < 16) {
      throw new IllegalArgumentException("webhook secret must have at least 16 bytes");
    }
    secret = secret.clone();
  }

  @Override
  public byte[] secret() {
    return secret.clone();
  }

  /** The url without user info, query or fragment, which may carry credentials: for logs. */
  public String redactedUrl() {
    return url.getScheme()
        + "://"
        + url.getHost()
        + (url.getPort() < 0 ? "" : ":" + url.getPort())
        + (url.getRawPath() == null ? "" : url.getRawPath());
  }

  @Override
  public String toString() {
    // never the secret
    return "WebhookTarget[" + redactedUrl() + "]";
  }
}
