package dev.vouch.server.hosts;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/**
 * Reaches agents over HTTPS with mutual TLS: {@code POST <agent base URL>/api/v1/quote}. The TLS
 * context carries the verifier's client certificate and trusts only the CA of the agents' server
 * certificates; host names are verified as usual.
 */
public final class HttpsAgentChannel implements AgentChannel {
  /** Largest reply read: whole event and IMA logs fit easily. */
  private static final int MAX_REPLY = 64 * 1024 * 1024;

  private final HttpClient client;
  private final Function<String, Optional<URI>> agentUrl;
  private final Duration timeout;
  private final PeerCheck peerCheck;

  /** A check of the agent's certificate chain made on every reply, not only at handshakes. */
  @FunctionalInterface
  public interface PeerCheck {
    /** Throws when the chain (leaf first) is no longer to be believed. */
    void check(java.security.cert.X509Certificate[] chain)
        throws java.security.cert.CertificateException;
  }

  /**
   * @param tls client certificate and trusted agent CA
   * @param agentUrl the base URL of a host's agent (e.g. {@code https://node-1:8443}), if known
   * @param timeout per request
   */
  public HttpsAgentChannel(
      SSLContext tls, Function<String, Optional<URI>> agentUrl, Duration timeout) {
    this(tls, agentUrl, timeout, chain -> {});
  }

  /**
   * As above, with {@code peerCheck} run on every reply's session: a pooled connection or a resumed
   * TLS session skips the trust manager, so a revocation after the first handshake would otherwise
   * go unseen.
   */
  public HttpsAgentChannel(
      SSLContext tls,
      Function<String, Optional<URI>> agentUrl,
      Duration timeout,
      PeerCheck peerCheck) {
    this.peerCheck = Objects.requireNonNull(peerCheck, "peerCheck");
    this.client = HttpClient.newBuilder().sslContext(tls).connectTimeout(timeout).build();
    this.agentUrl = Objects.requireNonNull(agentUrl, "agentUrl");
    this.timeout = timeout;
  }

  @Override
  public QuoteResponse quote(String hostId, QuoteRequest request)
      throws AgentException, VerificationException, InterruptedException {
    return quote(
        hostId,
        agentUrl
            .apply(hostId)
            .orElseThrow(() -> new AgentException("no agent address for host " + hostId)),
        request);
  }

  /** The agent at the enrolled https {@code connection} the caller already read. */
  @Override
  public QuoteResponse quote(String hostId, String connection, QuoteRequest request)
      throws AgentException, VerificationException, InterruptedException {
    return quote(
        hostId,
        RoutedAgentChannel.httpsUrl(connection)
            .orElseThrow(() -> new AgentException("no agent address for host " + hostId)),
        request);
  }

  private QuoteResponse quote(String hostId, URI base, QuoteRequest request)
      throws AgentException, VerificationException, InterruptedException {
    HttpRequest http =
        HttpRequest.newBuilder(base.resolve("/api/v1/quote"))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(request.toJson()))
            .build();
    byte[] body;
    try {
      HttpResponse<java.io.InputStream> resp =
          client.send(http, HttpResponse.BodyHandlers.ofInputStream());
      try (java.io.InputStream in = resp.body()) {
        body = in.readNBytes(MAX_REPLY + 1);
      }
      checkPeer(hostId, resp);
      if (body.length > MAX_REPLY) {
        throw new AgentException("agent of " + hostId + " sent more than 64 MiB");
      }
    } catch (IOException e) {
      throw new AgentException("agent of " + hostId + " unreachable: " + e.getMessage(), e);
    }
    return Replies.read(body);
  }

  private void checkPeer(String hostId, HttpResponse<?> resp) throws AgentException {
    try {
      javax.net.ssl.SSLSession session =
          resp.sslSession()
              .orElseThrow(
                  () -> new AgentException("agent of " + hostId + " answered without TLS"));
      java.security.cert.Certificate[] peer = session.getPeerCertificates();
      java.security.cert.X509Certificate[] chain =
          new java.security.cert.X509Certificate[peer.length];
      for (int i = 0; i < peer.length; i++) {
        chain[i] = (java.security.cert.X509Certificate) peer[i];
      }
      peerCheck.check(chain);
    } catch (javax.net.ssl.SSLPeerUnverifiedException | java.security.cert.CertificateException e) {
      throw new AgentException("agent of " + hostId + " refused: " + e.getMessage(), e);
    }
  }
}
