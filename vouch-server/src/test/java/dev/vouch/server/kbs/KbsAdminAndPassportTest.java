package dev.vouch.server.kbs;

import static dev.vouch.server.kbs.KbsProtocolTest.assertError;
import static dev.vouch.server.kbs.KbsProtocolTest.decrypt;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.policy.ear.EarVerifier;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Admin authentication by signed JWT, admin resource and policy operations, and passport mode. */
public class KbsAdminAndPassportTest {
  static final String SECRET = KbsProtocolTest.SECRET;

  public static KeyPair ed25519() throws Exception {
    return KeyPairGenerator.getInstance("Ed25519", Crypto.bouncyCastle()).generateKeyPair();
  }

  static KeyPair p256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** An EdDSA JWT signed by hand (Nimbus needs Tink for Ed25519). */
  public static String edToken(KeyPair k, Instant exp) throws Exception {
    Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
    String input =
        b.encodeToString("{\"alg\":\"EdDSA\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8))
            + "."
            + b.encodeToString(
                ("{\"exp\":" + exp.getEpochSecond() + ",\"role\":\"admin\"}")
                    .getBytes(StandardCharsets.UTF_8));
    Signature s = Signature.getInstance("Ed25519", Crypto.bouncyCastle());
    s.initSign(k.getPrivate());
    s.update(input.getBytes(StandardCharsets.US_ASCII));
    return input + "." + b.encodeToString(s.sign());
  }

  static String ecToken(KeyPair k, Instant exp) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader(JWSAlgorithm.ES256),
            new JWTClaimsSet.Builder().expirationTime(Date.from(exp)).build());
    jwt.sign(new ECDSASigner((ECPrivateKey) k.getPrivate()));
    return jwt.serialize();
  }

  public static String pem(KeyPair k) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder().encodeToString(k.getPublic().getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  @Test
  void adminOperationsNeedATokenSignedByAConfiguredKey() throws Exception {
    KeyPair ed = ed25519();
    KeyPair ec = p256();
    KeyPair stranger = ed25519();
    AdminAuth admin =
        AdminAuth.withKeys(
            List.of(AdminAuth.readPublicKeyPem(pem(ed)), AdminAuth.readPublicKeyPem(pem(ec))),
            java.time.Clock.systemUTC());
    try (KbsHarness kbs = new KbsHarness(KbsHarness.testConfig(), Optional.empty(), admin, true)) {
      DocClient c = new DocClient(kbs.url());
      Instant later = Instant.now().plusSeconds(300);
      String path = "/kbs/v0/resource/default/key/luks";

      assertError(c.post(path, SECRET, Optional.empty()), 401, "AdminAuthAccess", "missing");
      assertError(
          c.post(path, SECRET, Optional.of("Bearer " + edToken(stranger, later))),
          401,
          "AdminAuthAccess",
          "not signed by a configured admin key");
      assertError(
          c.post(
              path, SECRET, Optional.of("Bearer " + edToken(ed, Instant.now().minusSeconds(600)))),
          401,
          "AdminAuthAccess",
          "expired");
      assertError(
          c.post(path, SECRET, Optional.of("Bearer not-a-jwt")), 401, "AdminAuthAccess", "JWT");
      assertThat(kbs.resources.list()).isEmpty();

      assertThat(c.post(path, SECRET, Optional.of("Bearer " + edToken(ed, later))).statusCode())
          .isEqualTo(200);
      assertThat(
              c.post(
                      "/kbs/v0/resource/default/key/other",
                      "x",
                      Optional.of("Bearer " + ecToken(ec, later)))
                  .statusCode())
          .isEqualTo(200);
      assertThat(kbs.resources.get(new ResourcePath("default", "key", "luks")).orElseThrow())
          .isEqualTo(SECRET.getBytes(StandardCharsets.UTF_8));

      HttpResponse<String> list =
          c.get("/kbs/v0/resource", Optional.of("Bearer " + edToken(ed, later)));
      assertThat(list.statusCode()).isEqualTo(200);
      assertThat(DocClient.json(list).toString())
          .isEqualTo("[\"default/key/luks\",\"default/key/other\"]");
      assertThat(list.body()).doesNotContain(SECRET);
      assertError(c.get("/kbs/v0/resource", Optional.empty()), 401, "AdminAuthAccess", "");

      HttpResponse<String> del =
          c.http.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(kbs.url() + path))
                  .DELETE()
                  .header("Authorization", "Bearer " + ecToken(ec, later))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(del.statusCode()).isEqualTo(200);
      assertThat(kbs.resources.list()).containsExactly(new ResourcePath("default", "key", "other"));
    }
  }

  @Test
  void withoutAdminKeysTheAdminApiIsClosed() throws Exception {
    try (KbsHarness kbs = KbsHarness.sample()) {
      DocClient c = new DocClient(kbs.url());
      assertError(
          c.post("/kbs/v0/resource/a/b/c", "x", Optional.of("Bearer x.y.z")),
          401,
          "AdminAuthAccess",
          "disabled");
    }
  }

  @Test
  void anAdminPolicyCanDenyByResourcePathAndIsReadBack() throws Exception {
    KeyPair ed = ed25519();
    AdminAuth admin = AdminAuth.withKeys(List.of(ed.getPublic()), java.time.Clock.systemUTC());
    try (KbsHarness kbs = new KbsHarness(KbsHarness.testConfig(), Optional.empty(), admin, true)) {
      kbs.resources.put(new ResourcePath("default", "key", "luks"), SECRET.getBytes());
      kbs.resources.put(new ResourcePath("tenant-a", "key", "luks"), SECRET.getBytes());
      String auth = "Bearer " + edToken(ed, Instant.now().plusSeconds(300));
      String policy =
          """
          rules:
            - name: tenant_a_only
              category: sourced_data
              expr: input["repository"] == "tenant-a" && claims["submods"]["cpu0"]["ear.status"] == "affirming"
          """;
      String body =
          "{\"policy\":\""
              + Base64.getUrlEncoder().withoutPadding().encodeToString(policy.getBytes())
              + "\"}";
      DocClient c = new DocClient(kbs.url());
      assertError(
          c.post("/kbs/v0/resource-policy", "{\"policy\":\"cnVsZXM6IFtd\"}", Optional.of(auth)),
          400,
          "ParsePolicyError",
          "");
      assertThat(c.post("/kbs/v0/resource-policy", body, Optional.of(auth)).statusCode())
          .isEqualTo(200);
      // Trustee (v0.19 on) lists the policy ids there; the document is under its id
      HttpResponse<String> ids = c.get("/kbs/v0/resource-policy", Optional.of(auth));
      assertThat(DocClient.json(ids)).isEqualTo(DocClient.JSON.readTree("[\"resource-policy\"]"));
      HttpResponse<String> read =
          c.get("/kbs/v0/resource-policy/resource-policy", Optional.of(auth));
      assertThat(
              new String(
                  Base64.getUrlDecoder().decode(DocClient.json(read).get("policy").asText()),
                  StandardCharsets.UTF_8))
          .isEqualTo(policy);

      c.auth("sample");
      JWK key = DocClient.ecKey(Curve.P_256);
      assertThat(c.attest(key).statusCode()).isEqualTo(200);
      assertError(c.resource("default/key/luks"), 403, "PolicyDeny", "tenant_a_only");
      HttpResponse<String> ok = c.resource("tenant-a/key/luks");
      assertThat(new String(decrypt(ok.body(), key), StandardCharsets.UTF_8)).isEqualTo(SECRET);
    }
  }

  @Test
  void passportModeReleasesToABearerTokenFromTheTrustedService() throws Exception {
    // the attesting KBS (background check) issues the token; a second KBS without a backend
    // trusts that service's JWKS and releases on the bearer token alone
    try (KbsHarness issuer = KbsHarness.sample()) {
      DocClient c = new DocClient(issuer.url());
      c.auth("sample");
      JWK key = DocClient.ecKey(Curve.P_256);
      String token = DocClient.json(c.attest(key)).get("token").asText();

      TokenVerifier trusted =
          new JwksTokenVerifier(EarVerifier.fromJwks(issuer.backend.jwks(), issuer.clock));
      try (KbsHarness relying =
          new KbsHarness(
              KbsHarness.testConfig(), Optional.of(trusted), AdminAuth.denyAll(), false)) {
        relying.resources.put(new ResourcePath("default", "key", "luks"), SECRET.getBytes());
        DocClient other = new DocClient(relying.url());
        HttpResponse<String> r =
            other.get("/kbs/v0/resource/default/key/luks", Optional.of("Bearer " + token));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(new String(decrypt(r.body(), key), StandardCharsets.UTF_8)).isEqualTo(SECRET);

        String[] parts = token.split("\\.");
        String forged = parts[0] + "." + parts[1] + "." + Base64URL.encode(new byte[64]).toString();
        assertError(
            other.get("/kbs/v0/resource/default/key/luks", Optional.of("Bearer " + forged)),
            401,
            "TokenVerifierError",
            "SIGNATURE_INVALID");

        issuer.clock.advance(Duration.ofMinutes(7)); // the verifier reads the issuer's clock
        assertError(
            other.get("/kbs/v0/resource/default/key/luks", Optional.of("Bearer " + token)),
            401,
            "TokenVerifierError",
            "TOKEN_EXPIRED");

        other.auth("sample");
        assertError(other.attest(key), 401, "AttestationError", "verifies no evidence");
      }
      // the attesting KBS itself trusts no bearer tokens
      DocClient fresh = new DocClient(issuer.url());
      assertError(
          fresh.get("/kbs/v0/resource/default/key/luks", Optional.of("Bearer " + token)),
          401,
          "TokenVerifierError",
          "accepts no bearer tokens");
    }
  }
}
