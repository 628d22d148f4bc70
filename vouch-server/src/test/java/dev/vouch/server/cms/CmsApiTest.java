package dev.vouch.server.cms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.server.TestServers;
import dev.vouch.server.aas.AasTestSupport;
import dev.vouch.server.http.VouchServer;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CMS routes on a running server: bootstrap tokens made by an operator, issuance under them or
 * under the agent role, and every refusal as problem+json with its stable code.
 */
class CmsApiTest {
  private static final String PKCS10 = "application/pkcs10";
  @TempDir Path dir;

  @Test
  void anAgentGetsACertificateWithItsBootstrapTokenOnceAndRefusalsAreProblems() throws Exception {
    try (VouchServer s =
        VouchServer.start(AasTestSupport.withBootstrapPassword(TestServers.plain(dir)))) {
      URI base = s.baseUri();
      String token = bootstrapToken(base, "node-1", 3600);
      var keys = Csrs.p256();
      String csr = Csrs.pem(Csrs.csr(keys, "node-1", "node-1"));

      TestServers.Reply issued = issue(base, csr, token, "");
      assertThat(issued.status()).as(issued.body()).isEqualTo(201);
      assertThat(issued.contentType()).startsWith("application/pem-certificate-chain");
      List<X509Certificate> chain = CmsTest.parseChain(issued.body());
      assertThat(chain).hasSize(3);
      assertThat(chain.get(0).getPublicKey()).isEqualTo(keys.getPublic());
      TestServers.Reply ca = AasTestSupport.send(base, "GET", "/api/v1/cms/ca", null, null, null);
      assertThat(ca.status()).isEqualTo(200);
      assertThat(CmsTest.parseChain(ca.body())).isEqualTo(chain.subList(1, 3));

      assertProblem(issue(base, csr, token, ""), 401, "bootstrap-token-used");
      assertProblem(issue(base, csr, "vbt.never-issued", ""), 401, "bootstrap-token-unknown");
      String other = bootstrapToken(base, "node-2", 3600);
      assertProblem(issue(base, csr, other, ""), 403, "csr-name-mismatch");
      assertProblem(
          issue(base, Csrs.flippedSignature(Csrs.csr(keys, "node-2", "node-2")), other, ""),
          400,
          "csr-signature-invalid");
      String brief = bootstrapToken(base, "node-2", 1);
      Thread.sleep(1100);
      assertProblem(
          issue(base, Csrs.pem(Csrs.csr(keys, "node-2", "node-2")), brief, ""),
          401,
          "bootstrap-token-expired");
      // no credential at all: the AAS's 401
      assertProblem(issue(base, csr, null, ""), 401, "unauthorized");
      assertProblem(
          AasTestSupport.send(
              base,
              "POST",
              "/api/v1/cms/bootstrap-tokens",
              null,
              "{\"host_id\":\"a,b\"}",
              TestServers.ADMIN),
          400,
          "host-id-invalid");
    }
  }

  @Test
  void theAgentRoleEnrollsItsOwnHostOnlyAndCannotMintTokensOrRevoke() throws Exception {
    try (VouchServer s =
        VouchServer.start(AasTestSupport.withBootstrapPassword(TestServers.plain(dir)))) {
      URI base = s.baseUri();
      AasTestSupport.addUser(base, "node-3", "agent-password-0123", "agent");
      String jwt = AasTestSupport.login(base, "node-3", "agent-password-0123");
      var keys = Csrs.p256();

      TestServers.Reply own = issue(base, Csrs.pem(Csrs.csr(keys, "node-3", "node-3")), jwt, "");
      assertThat(own.status()).as(own.body()).isEqualTo(201);
      assertProblem(
          issue(base, Csrs.pem(Csrs.csr(keys, "node-4", "node-4")), jwt, "?host=node-4"),
          403,
          "csr-name-mismatch");
      assertProblem(
          AasTestSupport.send(
              base, "POST", "/api/v1/cms/bootstrap-tokens", null, "{\"host_id\":\"node-4\"}", jwt),
          403,
          "forbidden");
      // an operator (hosts:write) may enroll any host by name
      TestServers.Reply forOther =
          issue(
              base,
              Csrs.pem(Csrs.csr(keys, "node-4", "node-4")),
              TestServers.ADMIN,
              "?host=node-4");
      assertThat(forOther.status()).as(forOther.body()).isEqualTo(201);

      String serial = CmsTest.parseChain(own.body()).get(0).getSerialNumber().toString(16);
      assertProblem(
          AasTestSupport.send(
              base, "POST", "/api/v1/cms/certificates/" + serial + "/revoke", null, null, jwt),
          403,
          "forbidden");
      TestServers.Reply revoked =
          AasTestSupport.send(
              base,
              "POST",
              "/api/v1/cms/certificates/" + serial + "/revoke",
              null,
              null,
              TestServers.ADMIN);
      assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
      assertProblem(
          AasTestSupport.send(
              base, "POST", "/api/v1/cms/certificates/ff00/revoke", null, null, TestServers.ADMIN),
          404,
          "certificate-unknown");

      HttpResponse<byte[]> crl =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(base.resolve("/api/v1/cms/crl")).build(),
                  HttpResponse.BodyHandlers.ofByteArray());
      assertThat(crl.statusCode()).isEqualTo(200);
      assertThat(crl.headers().firstValue("Content-Type").orElse(""))
          .startsWith("application/pkix-crl");
      X509CRL parsed =
          (X509CRL)
              CertificateFactory.getInstance("X.509")
                  .generateCRL(new ByteArrayInputStream(crl.body()));
      assertThat(parsed.isRevoked(CmsTest.parseChain(own.body()).get(0))).isTrue();
      assertThat(parsed.isRevoked(CmsTest.parseChain(forOther.body()).get(0))).isFalse();

      TestServers.Reply list =
          AasTestSupport.send(
              base, "GET", "/api/v1/cms/certificates", null, null, TestServers.ADMIN);
      assertThat(list.json().get("certificates")).hasSize(2);
    }
  }

  private static String bootstrapToken(URI base, String host, long seconds) {
    TestServers.Reply r =
        AasTestSupport.send(
            base,
            "POST",
            "/api/v1/cms/bootstrap-tokens",
            null,
            "{\"host_id\":\"" + host + "\",\"expires_in\":" + seconds + "}",
            TestServers.ADMIN);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().get("host_id").asText()).isEqualTo(host);
    return r.json().get("token").asText();
  }

  private static TestServers.Reply issue(URI base, String csr, String bearer, String query) {
    return AasTestSupport.send(
        base, "POST", "/api/v1/cms/certificates" + query, PKCS10, csr, bearer);
  }

  private static void assertProblem(TestServers.Reply r, int status, String code) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText()).isEqualTo("https://vouch.dev/problems/" + code);
  }
}
