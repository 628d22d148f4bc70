package dev.vouch.cli.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.cdh.DataHub;
import dev.vouch.agent.cdh.ResourceSource;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.SampleEvidenceProvider;
import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's sealed-secret acceptance: {@code vouch secret seal} makes a secret whose keys are KBS
 * resources; the guest's data hub unseals it ({@code POST /cdh/unseal}) once the KBS has accepted
 * its evidence, and not when the KBS refuses the evidence or its policy denies the keys.
 */
class SealedSecretHubTest {
  static final String SECRET = "api-token: 7f3a9c";
  @TempDir static Path dir;
  static SealedFixture fixture;
  static String sealed;
  RealAttestation backend;
  Javalin app;
  DataHub hub;

  static SealedFixture.Run cli(String... args) {
    return SealedFixture.cli(args);
  }

  static SealedFixture.Run sealCli(String keyId, String kekFile, String signingKey) {
    return SealedFixture.seal(dir, keyId, kekFile, signingKey);
  }

  @BeforeAll
  static void seal() throws Exception {
    fixture = SealedFixture.make(dir, SECRET);
    sealed = fixture.sealed();
  }

  void start(Set<Tee> tees, ResourcePolicy policy) throws Exception {
    backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
    InMemoryResourceStore resources = new InMemoryResourceStore();
    fixture.addTo(resources);
    app =
        TestKbs.serve(
            tees, Optional.<AttestationBackend>of(backend), resources, AdminAuth.denyAll(), policy);
    KbsClient guest =
        KbsClient.create(
            URI.create("http://127.0.0.1:" + app.port()),
            SampleEvidenceProvider.explicitlyEnabled());
    hub = DataHub.start(ResourceSource.of(guest), 0, Duration.ofMinutes(1), Clock.systemUTC());
  }

  @AfterEach
  void stop() {
    if (hub != null) {
      hub.close();
    }
    if (app != null) {
      app.stop();
    }
    if (backend != null) {
      backend.close();
    }
  }

  HttpResponse<String> unseal(String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + hub.port() + "/cdh/unseal"))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theDataHubUnsealsTheSecretAfterTheKbsAcceptsTheEvidence() throws Exception {
    start(Set.of(Tee.SAMPLE), ResourcePolicy.defaultPolicy());
    HttpResponse<String> r = unseal(sealed);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(SECRET);
  }

  @Test
  void evidenceTheKbsDoesNotAcceptUnsealsNothing() throws Exception {
    start(Set.of(Tee.TPM), ResourcePolicy.defaultPolicy());
    HttpResponse<String> r = unseal(sealed);
    // the KBS refuses a TEE it does not serve at /auth already (400, as Trustee does)
    assertThat(r.statusCode()).isIn(400, 403);
    assertThat(r.body()).startsWith("kbs:").doesNotContain(SECRET);
  }

  @Test
  void aDenyingResourcePolicyUnsealsNothing() throws Exception {
    start(
        Set.of(Tee.SAMPLE),
        ResourcePolicy.compile(
            "rules:\n  - name: no_sealing_keys\n    category: sourced_data\n    expr: 'false'\n"));
    HttpResponse<String> r = unseal(sealed);
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("no_sealing_keys").doesNotContain(SECRET);
  }

  @Test
  void sealBadInputExitsTwo() {
    SealedFixture.Run shortKek = sealCli("kbs:///default/sealing/kek", "secret", "sign.pem");
    assertThat(shortKek.exit()).isEqualTo(2);
    SealedFixture.Run badKid = sealCli("default/sealing/kek", "kek", "sign.pem");
    assertThat(badKid.exit()).isEqualTo(2);
    SealedFixture.Run pubAsSigner = sealCli("kbs:///default/sealing/kek", "kek", "sign.pub");
    assertThat(pubAsSigner.exit()).isEqualTo(2);
    assertThat(cli("secret", "jwk", dir.resolve("sign.pem").toString()).exit()).isEqualTo(2);
  }
}
