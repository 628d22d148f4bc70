package dev.vouch.agent.trust;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * The agent's client of the server's CMS: {@code POST /api/v1/cms/certificates} with a one-time
 * bootstrap token, {@code POST /api/v1/cms/certificates/renew} with a signature by the current key.
 * Both answer the new chain (leaf, intermediate, root) as PEM. Same URL rules and bounded reads as
 * {@link HttpRegistrarClient}; a refusal is a {@link RegistrarException} with the problem's code
 * (e.g. {@code bootstrap-token-used}, {@code csr-name-mismatch}, {@code
 * renewal-certificate-revoked}).
 */
public final class CmsClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final HttpClient http;

  /**
   * @param base the server's base URL (see {@link HttpRegistrarClient#checkBaseUrl})
   * @param tls trust for the server's certificate; absent: the JDK's default CAs
   */
  public CmsClient(String base, Optional<SSLContext> tls) {
    this.base = HttpRegistrarClient.checkBaseUrl(base);
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER);
    tls.ifPresent(b::sslContext);
    this.http = b.build();
  }

  /** A certificate for {@code csrPem} under a bootstrap token, which the server then spends. */
  public List<X509Certificate> enroll(String bootstrapToken, String csrPem)
      throws RegistrarException, InterruptedException {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(base + "/api/v1/cms/certificates"))
            .timeout(TIMEOUT)
            .header("Authorization", "Bearer " + bootstrapToken)
            .header("Content-Type", "application/pkcs10")
            .header("Accept", "application/pem-certificate-chain, application/problem+json")
            .POST(HttpRequest.BodyPublishers.ofString(csrPem))
            .build();
    return chain(HttpRegistrarClient.send(http, req, 201, "CMS at " + base));
  }

  /**
   * A certificate for {@code csrPem}, authorized by {@code current} and {@code signature}, the
   * current key's signature over the CSR's DER encoding.
   */
  public List<X509Certificate> renew(String csrPem, X509Certificate current, byte[] signature)
      throws RegistrarException, InterruptedException {
    ObjectNode body = JSON.createObjectNode();
    body.put("csr", csrPem);
    try {
      body.put("certificate", Pem.encode("CERTIFICATE", current.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("the current certificate does not encode", e);
    }
    body.put("signature", Base64.getEncoder().encodeToString(signature));
    HttpRequest req;
    try {
      req =
          HttpRequest.newBuilder(URI.create(base + "/api/v1/cms/certificates/renew"))
              .timeout(TIMEOUT)
              .header("Content-Type", "application/json")
              .header("Accept", "application/pem-certificate-chain, application/problem+json")
              .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)))
              .build();
    } catch (IOException e) {
      throw new IllegalStateException("a JSON tree always encodes", e);
    }
    return chain(HttpRegistrarClient.send(http, req, 201, "CMS at " + base));
  }

  private List<X509Certificate> chain(byte[] pem) throws RegistrarException {
    List<X509Certificate> out = new ArrayList<>();
    try {
      for (var c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem))) {
        out.add((X509Certificate) c);
      }
    } catch (GeneralSecurityException e) {
      throw new RegistrarException(201, "", "the CMS answer is not a PEM certificate chain");
    }
    if (out.size() < 2) {
      throw new RegistrarException(201, "", "the CMS answer lacks the certificate or its CA");
    }
    return out;
  }

  /** PEM text for DER bytes. */
  static final class Pem {
    private Pem() {}

    static String encode(String type, byte[] der) {
      return "-----BEGIN "
          + type
          + "-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
          + "\n-----END "
          + type
          + "-----\n";
    }
  }
}
