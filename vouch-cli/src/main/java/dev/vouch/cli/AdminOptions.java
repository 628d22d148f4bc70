package dev.vouch.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Option;

/**
 * Where the server is and how to authenticate to it; shared by every admin verb. The server comes
 * from {@code --server} or {@code VOUCH_SERVER}, the credential (an API key, the old admin token,
 * or an admin JWT) from {@code --token}, {@code --token-file} or {@code VOUCH_ADMIN_TOKEN}; when
 * none is given, the token {@code vouch login} stored is used for the server it came from (and that
 * server is the default). A self-signed server certificate is trusted only when named with {@code
 * --cacert} or {@code VOUCH_CACERT}: there is deliberately no way to switch verification off.
 */
final class AdminOptions {
  static final String SERVER_ENV = "VOUCH_SERVER";
  static final String TOKEN_ENV = "VOUCH_ADMIN_TOKEN";
  static final String CACERT_ENV = "VOUCH_CACERT";
  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

  @Option(
      names = "--server",
      paramLabel = "URL",
      description = "Vouch server base URL, e.g. https://vouch:8443 (default: $" + SERVER_ENV + ")")
  String server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "admin token (visible to other local users in the process list: prefer --token-file"
              + " or $"
              + TOKEN_ENV
              + ")")
  String token;

  @Option(names = "--token-file", paramLabel = "FILE", description = "file holding the admin token")
  Path tokenFile;

  @Option(
      names = "--cacert",
      paramLabel = "PEM",
      description =
          "trust this certificate for the server's TLS, e.g. <data_dir>/tls/server.crt of a"
              + " self-signed server (default: $"
              + CACERT_ENV
              + ")")
  Path cacert;

  /**
   * A client for the configured server.
   *
   * @param needsToken whether the verb's route needs the admin token
   * @param err where a warning about a token sent in clear goes
   */
  AdminClient client(boolean needsToken, PrintWriter err) throws CliIo.BadInput {
    return client(needsToken ? Optional.of(token(serverUri())) : Optional.empty(), err);
  }

  /** A client for the configured server that sends {@code t} (a token the verb made itself). */
  AdminClient client(Optional<String> t, PrintWriter err) throws CliIo.BadInput {
    URI uri = serverUri();
    if (t.isPresent() && "http".equals(uri.getScheme()) && !LOOPBACK.contains(uri.getHost())) {
      err.println("warning: the admin token travels unencrypted to " + uri);
    }
    HttpClient.Builder http =
        HttpClient.newBuilder()
            .connectTimeout(java.time.Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER);
    String fromEnv = System.getenv(CACERT_ENV);
    Path ca =
        cacert != null ? cacert : fromEnv == null || fromEnv.isBlank() ? null : Path.of(fromEnv);
    String what = cacert != null ? "--cacert" : "$" + CACERT_ENV;
    if (ca == null) {
      // the certificate vouch login trusted this server with
      ca = StoredLogin.loadFor(uri).flatMap(StoredLogin::cacert).map(Path::of).orElse(null);
      what = "the --cacert of vouch login";
    }
    if (ca != null) {
      List<X509Certificate> certs;
      try {
        certs = ReportCommand.certificates(CliIo.read(ca, what), ca);
      } catch (CliIo.BadInput e) {
        throw new CliIo.BadInput(what + ": " + e.getMessage());
      }
      http.sslContext(trusting(certs, what));
    }
    return new AdminClient(uri, t, http.build());
  }

  URI serverUri() throws CliIo.BadInput {
    String s = server != null ? server : System.getenv(SERVER_ENV);
    if (s == null || s.isBlank()) {
      s = StoredLogin.load().map(StoredLogin::server).orElse(null);
    }
    if (s == null || s.isBlank()) {
      throw new CliIo.BadInput(
          "no server: give --server URL, set " + SERVER_ENV + " or run vouch login");
    }
    try {
      URI uri = new URI(s.strip());
      if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
          || uri.getHost() == null
          || uri.getRawQuery() != null
          || uri.getRawFragment() != null) {
        throw new CliIo.BadInput(
            "--server must be an http:// or https:// URL without query, e.g. https://vouch:8443");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new CliIo.BadInput("--server is not a URL: " + e.getMessage());
    }
  }

  private String token(URI uri) throws CliIo.BadInput {
    if (token != null && tokenFile != null) {
      throw new CliIo.BadInput("give either --token or --token-file, not both");
    }
    String t = token;
    if (tokenFile != null) {
      t = new String(CliIo.read(tokenFile, "token file"), StandardCharsets.UTF_8);
    } else if (t == null) {
      t = System.getenv(TOKEN_ENV);
    }
    if (t == null || t.isBlank()) {
      // only for the server that issued it: a token is never sent to another server
      t = StoredLogin.loadFor(uri).map(StoredLogin::token).orElse(null);
    }
    if (t == null || t.isBlank()) {
      throw new CliIo.BadInput(
          "no admin token: run vouch login, give --token-file FILE, --token TOKEN or set "
              + TOKEN_ENV);
    }
    t = t.strip();
    // a header value with control characters or spaces could smuggle a second header
    if (!t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new CliIo.BadInput("the admin token must be printable ASCII without spaces");
    }
    return t;
  }

  /**
   * A TLS context trusting exactly these certificates (also used by {@code kbs --cacert}); {@code
   * what} names where they came from in an error.
   */
  static SSLContext trusting(List<X509Certificate> certs, String what) throws CliIo.BadInput {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      for (int i = 0; i < certs.size(); i++) {
        store.setCertificateEntry("server-" + i, certs.get(i));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new CliIo.BadInput(what + " cannot be used as a trust store: " + e.getMessage());
    }
  }
}
