package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Tee;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KBS admin JWT roles with Trustee v0.21's {@code regex_acl}, built from Trustee's
 * kbs/docs/admin.md ("JWT MUST contain a role claim", "allowed_endpoints must start with ^/kbs and
 * end with $", its example ACL) and regex_acl.rs (the request path is matched, a refusal is {@code
 * AdminAccessDenied} "Role R not allowed for path P", which the KBS answers 401 {@code
 * AdminAuthAccess}).
 */
class KbsAdminRolesTest {
  private static final String TYPE = "https://github.com/confidential-containers/kbs/errors/";
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();

  // the ACL of Trustee's admin.md example, plus a role that may only write resources
  private static final List<String> ACL =
      List.of(
          "kbs-admin=^/kbs/v0/resource/.+$",
          "kbs-admin=^/kbs/v0/resource-policy$",
          "kbs-admin=^/kbs/v0/attestation-policy$",
          "resource-writer=^/kbs/v0/resource/.+$");

  @TempDir Path dir;
  private VouchServer server;
  private KeyPair admin;
  private DocClient c;

  private void start(List<String> acl) throws Exception {
    admin = KbsAdminAndPassportTest.ed25519();
    Path pem = Files.writeString(dir.resolve("admin.pub"), KbsAdminAndPassportTest.pem(admin));
    ServerConfig config =
        TestServers.plain(dir)
            .withKbs(
                new ServerConfig.Kbs(
                        true,
                        Duration.ofMinutes(5),
                        List.of(pem),
                        EnumSet.of(Tee.SAMPLE),
                        Optional.empty())
                    .withAdminAcls(acl))
            .withVerifiers(ServerConfig.Verifiers.defaults().withSample(true));
    server = VouchServer.start(config, Clock.systemUTC(), List.of());
    c = new DocClient("http://127.0.0.1:" + server.baseUri().getPort());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** An EdDSA admin JWT with the given claims besides a five-minute exp. */
  private Optional<String> token(String extraClaims) throws Exception {
    String claims =
        "{\"exp\":" + Instant.now().plusSeconds(300).getEpochSecond() + extraClaims + "}";
    String input =
        B64URL.encodeToString(
                "{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + B64URL.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("Ed25519", Crypto.bouncyCastle());
    s.initSign(admin.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return Optional.of("Bearer " + input + "." + B64URL.encodeToString(s.sign()));
  }

  private static String attestationPolicyBody() {
    String policy =
        "rules:\n  - name: svn\n    category: executables\n    expr: claims[\"sample.svn\"] == \"1\"\n";
    return "{\"type\":\"cel\",\"policy_id\":\"default_cpu\",\"policy\":\""
        + B64URL.encodeToString(policy.getBytes(StandardCharsets.UTF_8))
        + "\"}";
  }

  @Test
  void aRoleAllowedForResourceWritesMayWriteResourcesButNotSetAttestationPolicies()
      throws Exception {
    start(ACL);
    Optional<String> writer = token(",\"role\":\"resource-writer\"");
    HttpResponse<String> put = c.post("/kbs/v0/resource/one/key/a", "secret", writer);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(200);

    HttpResponse<String> policy =
        c.post("/kbs/v0/attestation-policy", attestationPolicyBody(), writer);
    assertAdminAccessDenied(policy);
    assertThat(DocClient.json(policy).get("detail").asText())
        .contains("Role resource-writer not allowed for path /kbs/v0/attestation-policy");
    assertAdminAccessDenied(c.get("/kbs/v0/resource-policy", writer));
    assertAdminAccessDenied(c.post("/kbs/v0/reference-value", "{}", writer));
    // nothing was stored by the refused request
    assertThat(server.services().policies().ids()).doesNotContain("default_cpu");
  }

  @Test
  void trusteesExampleAdminRoleReachesExactlyTheEndpointsItsRulesName() throws Exception {
    start(ACL);
    Optional<String> kbsAdmin = token(",\"role\":\"kbs-admin\"");
    HttpResponse<String> set =
        c.post("/kbs/v0/attestation-policy", attestationPolicyBody(), kbsAdmin);
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    assertThat(c.get("/kbs/v0/resource-policy", kbsAdmin).statusCode()).isEqualTo(200);
    assertThat(c.post("/kbs/v0/resource/one/key/a", "s", kbsAdmin).statusCode()).isEqualTo(200);
    // no rule names the reference values, nor the policy read under its id ($ anchors the path)
    assertAdminAccessDenied(c.get("/kbs/v0/reference-value/x", kbsAdmin));
    assertAdminAccessDenied(c.get("/kbs/v0/attestation-policy/default_cpu", kbsAdmin));
    // the resource list is /kbs/v0/resource, which ^/kbs/v0/resource/.+$ does not match
    assertAdminAccessDenied(c.get("/kbs/v0/resource", kbsAdmin));
  }

  @Test
  void withAnAclATokenWithoutARoleOrWithAnUnknownRoleIsRefused() throws Exception {
    start(ACL);
    assertAdminAccessDenied(c.post("/kbs/v0/resource/one/key/a", "s", token("")));
    assertThat(
            DocClient.json(c.post("/kbs/v0/resource/one/key/a", "s", token("")))
                .get("detail")
                .asText())
        .contains("role claim");
    assertAdminAccessDenied(
        c.post("/kbs/v0/resource/one/key/a", "s", token(",\"role\":\"guest\"")));
    assertAdminAccessDenied(c.post("/kbs/v0/resource/one/key/a", "s", token(",\"role\":7")));
    // a role matching a rule does not rescue a bad signature
    Optional<String> good = token(",\"role\":\"kbs-admin\"");
    // one signature character changed to another (its first: every bit of it is signature data,
    // where trailing "AAA" could leave the signature's bits as they were)
    String t = good.get();
    int sig = t.lastIndexOf('.') + 1;
    String tampered =
        t.substring(0, sig) + (t.charAt(sig) == 'A' ? 'B' : 'A') + t.substring(sig + 1);
    assertAdminAccessDenied(c.post("/kbs/v0/resource/one/key/a", "s", Optional.of(tampered)));
  }

  @Test
  void withoutAnAclEveryValidAdminTokenMayUseEveryEndpointAsBefore() throws Exception {
    start(List.of());
    Optional<String> noRole = token("");
    assertThat(c.post("/kbs/v0/resource/one/key/a", "s", noRole).statusCode()).isEqualTo(200);
    HttpResponse<String> set =
        c.post("/kbs/v0/attestation-policy", attestationPolicyBody(), noRole);
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    assertThat(c.get("/kbs/v0/reference-value/x", noRole).statusCode()).isEqualTo(401);
  }

  @Test
  void anUnanchoredOrMalformedRuleIsRefusedAtStartUp() throws Exception {
    for (String bad :
        List.of("kbs-admin=/kbs/v0/resource/.+", "kbs-admin=^/kbs/v0/(resource$", "^/kbs/v0/x$")) {
      assertThatThrownBy(() -> start(List.of(bad)))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("kbs.admin_acls");
    }
  }

  @Test
  void theAclIsReadFromTheConfigurationFile() throws Exception {
    Path yaml =
        Files.writeString(
            dir.resolve("vouch.yaml"),
            "kbs:\n  admin_acls:\n    - \"kbs-admin=^/kbs/v0/resource/.+$\"\n"
                + "    - \"reader=^/kbs/v0/resource-policy$\"\n");
    ServerConfig cfg =
        ConfigLoader.load(Optional.of(yaml), Map.of(), Optional.of(dir), Optional.empty());
    assertThat(cfg.kbs().adminAcls())
        .containsExactly("kbs-admin=^/kbs/v0/resource/.+$", "reader=^/kbs/v0/resource-policy$");
  }

  private static void assertAdminAccessDenied(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    JsonNode e = DocClient.json(r);
    assertThat(e.get("type").asText()).isEqualTo(TYPE + "AdminAuthAccess");
  }
}
