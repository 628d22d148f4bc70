package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.TpmEvidenceProvider;
import dev.vouch.agent.tpm.MeasuredBoot;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.core.Tee;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.policy.rvps.Provenance;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KBS as {@code vouch server} serves it: a real swtpm attests through the server's own
 * attestation service over the server's port, the secret is stored through the KBS admin API, and
 * it survives a restart on the same data dir (sealed in the H2 database).
 */
class KbsInServerTest {
  private static final String SECRET = "server-luks-secret-5d1e";

  @TempDir Path dataDir;

  @Test
  void aTpmGetsItsSecretThroughTheServerAndTheSecretSurvivesARestart() throws Exception {
    KeyPair admin = KbsAdminAndPassportTest.ed25519();
    Path adminPem = dataDir.resolve("kbs-admin.pub");
    Files.createDirectories(dataDir);
    Files.writeString(adminPem, KbsAdminAndPassportTest.pem(admin));
    ServerConfig config =
        TestServers.plain(dataDir)
            .withKbs(
                new ServerConfig.Kbs(
                    true,
                    Duration.ofMinutes(5),
                    List.of(adminPem),
                    EnumSet.of(Tee.TPM),
                    Optional.empty()));
    try (Swtpm swtpm = Swtpm.start();
        TpmClient tpm = swtpm.client()) {
      tpm.startup(StartupType.CLEAR);
      // a real Secure Boot firmware log and IMA list, measured as firmware and kernel did: the
      // default TPM policy affirms only evidence that carries them
      Path log = dataDir.resolve("binary_bios_measurements");
      Path ima = dataDir.resolve("binary_runtime_measurements");
      Files.write(
          log, resource("/vectors/tpm-eventlog/keylime-binary_bios_measurements-secureboot"));
      Files.write(ima, resource("/vectors/ima/rust-keylime-binary_runtime_measurements"));
      MeasuredBoot.measure(tpm, Files.readAllBytes(log), Files.readAllBytes(ima));
      Enrollment enrollment = Enrollment.withDefaults(tpm);
      enrollment.prepare();
      PersistentKey ak = enrollment.ak();
      String akDigest =
          Hex.encode(HashAlg.SHA256.digest(AkKeys.parse(ak.publicArea()).publicKey().getEncoded()));
      PcrValues pcrs = tpm.pcrRead(List.of(PcrSelection.range(HashAlg.SHA256, 0, 23)));

      try (VouchServer server = VouchServer.start(config, Clock.systemUTC(), List.of())) {
        assertThat(server.kbs()).isPresent();
        assertThat(server.services().openApi().document().get("paths").toString())
            .contains(
                "/kbs/v0/auth", "/kbs/v0/attest", "/kbs/v0/resource/{repository}/{type}/{tag}");
        trust(server, akDigest, pcrs);
        HttpResponse<String> put =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            server.baseUri().resolve("/kbs/v0/resource/default/key/luks"))
                        .header(
                            "Authorization",
                            "Bearer "
                                + KbsAdminAndPassportTest.edToken(
                                    admin, Instant.now().plusSeconds(60)))
                        .POST(HttpRequest.BodyPublishers.ofString(SECRET))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        assertThat(secret(server.baseUri(), tpm, ak, log, ima)).isEqualTo(SECRET);
        bearerTokenOfTheServersOwnServiceReleasesWithoutACookie(
            server.baseUri(), tpm, ak, log, ima);
      }

      try (VouchServer restarted = VouchServer.start(config, Clock.systemUTC(), List.of())) {
        // the reference values and the sealed resource come back from the database
        assertThat(secret(restarted.baseUri(), tpm, ak, log, ima)).isEqualTo(SECRET);
      }
    }
  }

  @Test
  void aDisabledKbsServesNoKbsRoutes() throws Exception {
    ServerConfig config =
        TestServers.plain(dataDir)
            .withKbs(
                new ServerConfig.Kbs(
                    false,
                    Duration.ofMinutes(5),
                    List.of(),
                    EnumSet.of(Tee.TPM),
                    Optional.empty()));
    try (VouchServer server = VouchServer.start(config, Clock.systemUTC(), List.of())) {
      assertThat(server.kbs()).isEmpty();
      TestServers.Reply r =
          new TestServers.Client(server.baseUri())
              .post("/kbs/v0/auth", "{\"version\":\"0.4.0\",\"tee\":\"tpm\"}", false);
      assertThat(r.status()).isEqualTo(404);
    }
  }

  private static void trust(VouchServer server, String akDigest, PcrValues pcrs) {
    Provenance p = new Provenance(Provenance.Kind.SAMPLE, null, Instant.now());
    List<ReferenceValue> values = new ArrayList<>();
    values.add(new ReferenceValue("tpm.trusted_aks", List.of(akDigest), p, null, null));
    for (int i : new int[] {0, 2, 4, 7}) {
      values.add(
          new ReferenceValue(
              "tpm.pcr.sha256." + i,
              List.of(Hex.encode(pcrs.get(HashAlg.SHA256, i).orElseThrow())),
              p,
              null,
              null));
    }
    server.services().referenceValues().putAll(values);
  }

  private static byte[] resource(String name) throws java.io.IOException {
    try (var in = KbsInServerTest.class.getResourceAsStream(name)) {
      return in.readAllBytes();
    }
  }

  /**
   * The guest's data hub presents the attestation token as a bearer, without the session cookie;
   * the server's KBS trusts its own attestation service's (rotating) keys with no configuration.
   */
  private static void bearerTokenOfTheServersOwnServiceReleasesWithoutACookie(
      URI base, TpmClient tpm, PersistentKey ak, Path log, Path ima) throws Exception {
    KbsClient kbs =
        KbsClient.create(
            base, TpmEvidenceProvider.measuredBoot(tpm, ak, Optional.of(log), Optional.of(ima)));
    String token = kbs.token();
    HttpClient http = HttpClient.newHttpClient();
    java.util.function.Function<String, HttpResponse<String>> get =
        t -> {
          try {
            return http.send(
                HttpRequest.newBuilder(base.resolve("/kbs/v0/resource/default/key/luks"))
                    .header("Authorization", "Bearer " + t)
                    .GET()
                    .build(),
                HttpResponse.BodyHandlers.ofString());
          } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
          }
        };
    HttpResponse<String> ok = get.apply(token);
    assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    assertThat(ok.body()).contains("\"protected\"", "\"encrypted_key\"", "\"ciphertext\"");
    assertThat(ok.body()).doesNotContain(SECRET);

    String[] parts = token.split("\\.");
    String forged =
        parts[0]
            + "."
            + parts[1]
            + "."
            + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[64]);
    HttpResponse<String> refused = get.apply(forged);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body()).contains("SIGNATURE_INVALID");
  }

  private static String secret(URI base, TpmClient tpm, PersistentKey ak, Path log, Path ima)
      throws Exception {
    KbsClient kbs =
        KbsClient.create(
            base, TpmEvidenceProvider.measuredBoot(tpm, ak, Optional.of(log), Optional.of(ima)));
    return new String(kbs.getResource("default", "key", "luks"), StandardCharsets.UTF_8);
  }
}
