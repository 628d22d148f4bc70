package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import dev.vouch.evidence.sample.SampleEvidenceVerifier;
import dev.vouch.server.ChildServer;
import dev.vouch.server.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole scenario against a server in its own JVM (log captured): bootstrap login, a user made and
 * logging in (also with wrong passwords), an API key, a policy change, reference values, a KBS
 * secret stored and released to an attested (sample) guest, a token revoked, the audit log
 * exported. Then every log line and every API answer is scanned for the passwords, tokens, keys and
 * the secret used: none may appear, except in the one answer that hands each out.
 */
class SecretsNeverLeakTest {
  @TempDir Path dir;

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final List<String> answers = new ArrayList<>();

  private static String random(String prefix) {
    byte[] b = new byte[18];
    new SecureRandom().nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }

  private HttpResponse<String> send(
      URI base, String method, String path, String body, String bearer, boolean keep)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    b.header(
        "Content-Type",
        path.startsWith("/api/v1/policies") ? "application/yaml" : "application/json");
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (keep) {
      answers.add(
          method + " " + path + " -> " + r.statusCode() + " " + r.headers().map() + " " + r.body());
    }
    return r;
  }

  @Test
  void noPasswordTokenKeyOrSecretAppearsInTheLogOrInAnyAnswer() throws Exception {
    String adminToken = random("admtok-");
    String bootstrapPassword = random("bootpw-");
    String userPassword = random("userpw-");
    String wrongPassword = random("wrongpw-");
    String secret = random("the-secret-");
    KeyPair kbsAdmin = KbsAdminAndPassportTest.ed25519();
    Path kbsAdminPem =
        Files.writeString(dir.resolve("kbs-admin.pub"), KbsAdminAndPassportTest.pem(kbsAdmin));
    Map<String, String> env = ChildServer.env(Optional.empty(), Optional.empty());
    env.put("VOUCH_ADMIN_TOKEN", adminToken);
    env.put("VOUCH_BOOTSTRAP_ADMIN_PASSWORD", bootstrapPassword);
    env.put("VOUCH_VERIFIERS_SAMPLE", "true");
    env.put("VOUCH_KBS_TEES", "sample");
    env.put("VOUCH_KBS_ADMIN_KEY_FILES", kbsAdminPem.toString());
    Path data = dir.resolve("data");
    Path log = dir.resolve("server.log");
    ChildServer server = ChildServer.start(data, env, Optional.of(log));
    List<String> used =
        new ArrayList<>(
            List.of(adminToken, bootstrapPassword, userPassword, wrongPassword, secret));
    try {
      URI base = server.base();
      // the bootstrap admin logs in; the answer that hands out the token is not scanned
      String adminJwt =
          TestServers.JSON
              .readTree(
                  send(
                          base,
                          "POST",
                          "/api/v1/auth/token",
                          "{\"username\":\"admin\",\"password\":\"" + bootstrapPassword + "\"}",
                          null,
                          false)
                      .body())
              .get("token")
              .asText();
      used.add(adminJwt);
      assertThat(
              send(
                      base,
                      "POST",
                      "/api/v1/users",
                      "{\"name\":\"ops\",\"roles\":[\"operator\"],\"password\":\""
                          + userPassword
                          + "\"}",
                      adminJwt,
                      true)
                  .statusCode())
          .isEqualTo(201);
      for (int i = 0; i < 2; i++) {
        assertThat(
                send(
                        base,
                        "POST",
                        "/api/v1/auth/token",
                        "{\"username\":\"ops\",\"password\":\"" + wrongPassword + "\"}",
                        null,
                        true)
                    .statusCode())
            .isEqualTo(401);
      }
      String opsJwt =
          TestServers.JSON
              .readTree(
                  send(
                          base,
                          "POST",
                          "/api/v1/auth/token",
                          "{\"username\":\"ops\",\"password\":\"" + userPassword + "\"}",
                          null,
                          false)
                      .body())
              .get("token")
              .asText();
      used.add(opsJwt);
      JsonNode key =
          TestServers.JSON.readTree(
              send(
                      base,
                      "POST",
                      "/api/v1/apikeys",
                      "{\"account\":\"ops\",\"label\":\"ci\"}",
                      adminJwt,
                      false)
                  .body());
      String apiKey = key.get("key").asText();
      used.add(apiKey);
      assertThat(send(base, "GET", "/api/v1/hosts", null, apiKey, true).statusCode())
          .isEqualTo(200);
      assertThat(send(base, "GET", "/api/v1/hosts", null, adminToken, true).statusCode())
          .isEqualTo(200);
      assertThat(
              send(
                      base,
                      "PUT",
                      "/api/v1/policies/leak",
                      "rules:\n  - name: r\n    category: executables\n    expr: claims[\"x\"] == \"y\"\n",
                      adminJwt,
                      true)
                  .statusCode())
          .isEqualTo(200);
      Map<String, Object> payload = new LinkedHashMap<>();
      payload.put("sample.launch_digest", List.of(SampleEvidenceVerifier.LAUNCH_DIGEST));
      payload.put("sample.svn", List.of("1"));
      assertThat(
              send(
                      base,
                      "POST",
                      "/api/v1/reference-values",
                      TestServers.JSON.writeValueAsString(
                          Map.of("version", "0.1.0", "type", "sample", "payload", payload)),
                      adminJwt,
                      true)
                  .statusCode())
          .isEqualTo(200);

      // the KBS: the secret stored by its admin, released to an attested guest as a JWE
      String kbsJwt = KbsAdminAndPassportTest.edToken(kbsAdmin, Instant.now().plusSeconds(60));
      used.add(kbsJwt);
      HttpResponse<String> put =
          HTTP.send(
              HttpRequest.newBuilder(base.resolve("/kbs/v0/resource/default/key/leak"))
                  .header("Authorization", "Bearer " + kbsJwt)
                  .header("Content-Type", "application/octet-stream")
                  .POST(HttpRequest.BodyPublishers.ofString(secret))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      answers.add("PUT resource -> " + put.statusCode() + " " + put.body());
      assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
      DocClient guest = new DocClient(base.toString().replaceAll("/$", ""));
      answers.add("auth -> " + guest.auth("sample").body());
      JWK teeKey = DocClient.ecKey(Curve.P_256);
      HttpResponse<String> attest = guest.attest(teeKey);
      answers.add("attest -> " + attest.statusCode() + " " + attest.body());
      assertThat(attest.statusCode()).as(attest.body()).isEqualTo(200);
      HttpResponse<String> jwe = guest.resource("default/key/leak");
      answers.add("resource -> " + jwe.statusCode() + " " + jwe.body());
      assertThat(jwe.statusCode()).as(jwe.body()).isEqualTo(200);
      assertThat(new String(KbsProtocolTest.decrypt(jwe.body(), teeKey), StandardCharsets.UTF_8))
          .as("the guest got the secret")
          .isEqualTo(secret);

      assertThat(
              send(
                      base,
                      "POST",
                      "/api/v1/auth/revoke",
                      "{\"token\":\"" + opsJwt + "\"}",
                      adminJwt,
                      true)
                  .statusCode())
          .isEqualTo(200);
      assertThat(send(base, "GET", "/api/v1/audit/export", null, adminJwt, true).statusCode())
          .isEqualTo(200);
      assertThat(send(base, "GET", "/api/v1/audit?limit=1000", null, adminJwt, true).statusCode())
          .isEqualTo(200);
    } finally {
      server.kill();
    }
    used.add(Files.readString(data.resolve("kek")).strip());
    used.add(Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)));

    String logText = Files.readString(log);
    assertThat(logText).as("the server logged something").isNotBlank();
    assertThat(logText).contains("login failed");
    for (String s : used) {
      assertThat(logText).as("the log holds no secret").doesNotContain(s);
      for (String a : answers) {
        assertThat(a).as("an answer holds no secret").doesNotContain(s);
      }
    }
    assertThat(logText).doesNotContain("PRIVATE KEY");
    assertThat(String.join("\n", answers)).doesNotContain("PRIVATE KEY");
  }
}
