package dev.vouch.agent.trust;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.vouch.core.Failure;
import dev.vouch.evidence.tpm.protocol.AgentProblem;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The trust agent over HTTPS with mutual TLS: {@code POST /api/v1/quote} with a {@link
 * dev.vouch.evidence.tpm.protocol.QuoteRequest} body answers a {@link
 * dev.vouch.evidence.tpm.protocol.QuoteResponse}, failures an {@code application/problem+json}
 * {@link AgentProblem}. Every connection must present a client certificate that the {@link
 * SSLContext}'s trust managers accept (build them over the verifier's CA only, see {@link
 * Tls#context}); a client without one fails the TLS handshake and never reaches a handler.
 */
public final class HttpsAgentServer implements AutoCloseable {
  /** The quote endpoint. */
  public static final String QUOTE_PATH = "/api/v1/quote";

  private final HttpsServer server;
  private final ExecutorService executor;

  private HttpsAgentServer(HttpsServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Starts serving.
   *
   * @param agent answers the requests
   * @param bind address and port (port 0 picks a free one, see {@link #port()})
   * @param tls the agent's key and certificate, and the CA its clients must chain to
   */
  public static HttpsAgentServer start(TrustAgent agent, InetSocketAddress bind, SSLContext tls)
      throws IOException {
    return start(agent, bind, tls, false);
  }

  /** As above; TLS 1.3 only unless {@code allowTls12} (for verifiers whose TLS stack lacks 1.3). */
  public static HttpsAgentServer start(
      TrustAgent agent, InetSocketAddress bind, SSLContext tls, boolean allowTls12)
      throws IOException {
    HttpsServer server = HttpsServer.create(bind, 64);
    server.setHttpsConfigurator(
        new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = tls.getDefaultSSLParameters();
            p.setNeedClientAuth(true);
            p.setProtocols(
                allowTls12 ? new String[] {"TLSv1.3", "TLSv1.2"} : new String[] {"TLSv1.3"});
            params.setSSLParameters(p);
          }
        });
    QuoteService service = new QuoteService(agent);
    server.createContext(QUOTE_PATH, exchange -> handle(service, exchange));
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.start();
    return new HttpsAgentServer(server, executor);
  }

  private static void handle(QuoteService service, HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())
          || !QUOTE_PATH.equals(exchange.getRequestURI().getPath())) {
        exchange.getResponseHeaders().add("Allow", "POST");
        send(
            exchange,
            new QuoteService.Reply(
                405,
                new AgentProblem(Failure.MALFORMED.code(), 405, "POST " + QUOTE_PATH + " only")
                    .toJson(),
                true));
        return;
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(QuoteService.MAX_REQUEST + 1);
      }
      send(exchange, service.handle(body));
    }
  }

  private static void send(HttpExchange exchange, QuoteService.Reply reply) throws IOException {
    exchange
        .getResponseHeaders()
        .set("Content-Type", reply.problem() ? "application/problem+json" : "application/json");
    exchange.sendResponseHeaders(reply.status(), reply.body().length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(reply.body());
    }
  }

  /** The port the server listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
