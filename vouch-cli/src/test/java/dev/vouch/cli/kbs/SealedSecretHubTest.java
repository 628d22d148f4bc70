package dev.vouch.cli.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.cdh.DataHub;
import dev.vouch.agent.cdh.ResourceSource;
import dev.vouch.agent.image.OciTestImages;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.SampleEvidenceProvider;
import dev.vouch.cli.Main;
import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.ECGenParameterSpec;
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
  static byte[] kek;
  static String jwk;
  static String sealed;
  RealAttestation backend;
  Javalin app;
  DataHub hub;

  record Run(int exit, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** {@code vouch secret seal} of the test secret with these files. */
  static Run sealCli(String keyId, String kekFile, String signingKey) {
    return cli(
        "secret",
        "seal",
        "--key-id",
        keyId,
        "--key-file",
        dir.resolve(kekFile).toString(),
        "--signing-key",
        dir.resolve(signingKey).toString(),
        "--signing-kid",
        "kbs:///default/sealing/signer",
        "--in",
        dir.resolve("secret").toString());
  }

  @BeforeAll
  static void seal() throws Exception {
    kek = new byte[32];
    new SecureRandom().nextBytes(kek);
    Files.write(dir.resolve("kek"), kek);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair signer = g.generateKeyPair();
    OciTestImages.writePem(
        dir.resolve("sign.pem"), "PRIVATE KEY", signer.getPrivate().getEncoded());
    OciTestImages.writePem(dir.resolve("sign.pub"), "PUBLIC KEY", signer.getPublic().getEncoded());
    Files.writeString(dir.resolve("secret"), SECRET);
    Run j = cli("secret", "jwk", dir.resolve("sign.pub").toString());
    assertThat(j.exit()).as(j.err()).isZero();
    jwk = j.out().strip();
    assertThat(jwk).contains("\"crv\":\"P-256\"").doesNotContain("\"d\"");
    Run s = sealCli("kbs:///default/sealing/kek", "kek", "sign.pem");
    assertThat(s.exit()).as(s.err()).isZero();
    sealed = s.out().strip();
    assertThat(sealed).startsWith("sealed.").doesNotContain(SECRET);
  }

  void start(Set<Tee> tees, ResourcePolicy policy) throws Exception {
    backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
    InMemoryResourceStore resources = new InMemoryResourceStore();
    resources.put(new ResourcePath("default", "sealing", "kek"), kek);
    resources.put(
        new ResourcePath("default", "sealing", "signer"), jwk.getBytes(StandardCharsets.UTF_8));
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
    Run shortKek = sealCli("kbs:///default/sealing/kek", "secret", "sign.pem");
    assertThat(shortKek.exit()).isEqualTo(2);
    Run badKid = sealCli("default/sealing/kek", "kek", "sign.pem");
    assertThat(badKid.exit()).isEqualTo(2);
    Run pubAsSigner = sealCli("kbs:///default/sealing/kek", "kek", "sign.pub");
    assertThat(pubAsSigner.exit()).isEqualTo(2);
    assertThat(cli("secret", "jwk", dir.resolve("sign.pem").toString()).exit()).isEqualTo(2);
  }
}
