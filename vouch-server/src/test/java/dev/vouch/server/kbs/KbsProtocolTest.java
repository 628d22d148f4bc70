package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.crypto.RSADecrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The KBS protocol 0.4.0 end to end over HTTP with a client written from the protocol document
 * (sample evidence), the JWE opened with Nimbus, and every refusal the protocol has.
 */
class KbsProtocolTest {
  static final String SECRET = "s3cr3t-luks-key-0123456789";
  KbsHarness kbs;
  DocClient client;

  @BeforeEach
  void start() {
    kbs = KbsHarness.sample();
    kbs.resources.put(new ResourcePath("default", "key", "luks"), SECRET.getBytes());
    client = new DocClient(kbs.url());
  }

  @AfterEach
  void stop() {
    kbs.close();
  }

  /** Opens a flattened JWE with Nimbus: the compact form is the same five parts. */
  static byte[] decrypt(String flattened, JWK key) throws Exception {
    JsonNode j = DocClient.JSON.readTree(flattened);
    assertThat(j.has("aad")).isFalse();
    String compact =
        String.join(
            ".",
            j.get("protected").asText(),
            j.get("encrypted_key").asText(),
            j.get("iv").asText(),
            j.get("ciphertext").asText(),
            j.get("tag").asText());
    JWEObject jwe = JWEObject.parse(compact);
    if (key instanceof ECKey ec) {
      jwe.decrypt(new ECDHDecrypter(ec));
    } else {
      jwe.decrypt(new RSADecrypter((RSAKey) key));
    }
    return jwe.getPayload().toBytes();
  }

  @Test
  void authAnswersAChallengeWithA32ByteNonceAndASessionCookie() throws Exception {
    HttpResponse<String> r = client.auth("sample");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode c = DocClient.json(r);
    assertThat(c.get("nonce").asText()).hasSize(44);
    assertThat(Base64.getDecoder().decode(c.get("nonce").asText())).hasSize(32);
    assertThat(c.get("extra-params").asText()).isEmpty();
    assertThat(client.cookie).matches("kbs-session-id=[0-9a-f]{32}");
    assertThat(r.headers().firstValue("set-cookie").orElseThrow()).contains("Expires=");
  }

  @Test
  void wholeHandshakeReleasesTheSecretAsAJweForTheP256Key() throws Exception {
    client.auth("sample");
    JWK key = DocClient.ecKey(Curve.P_256);
    HttpResponse<String> a = client.attest(key);
    assertThat(a.statusCode()).as(a.body()).isEqualTo(200);
    assertThat(DocClient.json(a).get("token").asText()).contains(".");
    HttpResponse<String> r = client.resource("default/key/luks");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("application/json");
    JsonNode jwe = DocClient.json(r);
    JsonNode header =
        DocClient.JSON.readTree(Base64.getUrlDecoder().decode(jwe.get("protected").asText()));
    assertThat(header.get("alg").asText()).isEqualTo("ECDH-ES+A256KW");
    assertThat(header.get("enc").asText()).isEqualTo("A256GCM");
    assertThat(header.get("epk").get("crv").asText()).isEqualTo("P-256");
    assertThat(jwe.get("encrypted_key").asText()).doesNotContain("=");
    assertThat(Base64.getUrlDecoder().decode(jwe.get("iv").asText())).hasSize(12);
    assertThat(Base64.getUrlDecoder().decode(jwe.get("tag").asText())).hasSize(16);
    assertThat(new String(decrypt(r.body(), key), StandardCharsets.UTF_8)).isEqualTo(SECRET);
    assertThat(r.body()).doesNotContain(SECRET);
  }

  @ParameterizedTest
  @ValueSource(strings = {"P-384", "P-521", "RSA-2048", "RSA-3072"})
  void everyAcceptedKeyTypeGetsAJweItCanOpen(String kind) throws Exception {
    JWK key =
        kind.startsWith("RSA")
            ? DocClient.rsaKey(Integer.parseInt(kind.substring(4)))
            : DocClient.ecKey(Curve.parse(kind));
    client.auth("sample");
    assertThat(client.attest(key).statusCode()).isEqualTo(200);
    HttpResponse<String> r = client.resource("default/key/luks");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode header =
        DocClient.JSON.readTree(
            Base64.getUrlDecoder().decode(DocClient.json(r).get("protected").asText()));
    assertThat(header.get("alg").asText())
        .isEqualTo(kind.startsWith("RSA") ? "RSA-OAEP-256" : "ECDH-ES+A256KW");
    assertThat(new String(decrypt(r.body(), key), StandardCharsets.UTF_8)).isEqualTo(SECRET);
  }

  @Test
  void replayingTheAttestRequestAfterSuccessIsRefused() throws Exception {
    client.auth("sample");
    JWK key = DocClient.ecKey(Curve.P_256);
    String body = client.attestationBody(key, DocClient.bindingDigest(client.nonce, key));
    assertThat(client.post("/kbs/v0/attest", body, java.util.Optional.empty()).statusCode())
        .isEqualTo(200);
    HttpResponse<String> replay = client.post("/kbs/v0/attest", body, java.util.Optional.empty());
    assertError(replay, 401, "AttestationError", "already used");
  }

  @Test
  void anAttestRequestReplayedIntoAnotherSessionFailsItsNonceCheck() throws Exception {
    client.auth("sample");
    JWK key = DocClient.ecKey(Curve.P_256);
    String old = client.attestationBody(key, DocClient.bindingDigest(client.nonce, key));
    client.auth("sample");
    HttpResponse<String> r = client.post("/kbs/v0/attest", old, java.util.Optional.empty());
    assertError(r, 401, "AttestationError", "nonce");
    // the failed attempt spent the new session's nonce too
    HttpResponse<String> again = client.attest(key);
    assertError(again, 401, "AttestationError", "already used");
  }

  @Test
  void evidenceBoundToAnotherKeyFailsVerification() throws Exception {
    client.auth("sample");
    JWK key = DocClient.ecKey(Curve.P_256);
    JWK other = DocClient.ecKey(Curve.P_256);
    String body = client.attestationBody(key, DocClient.bindingDigest(client.nonce, other));
    HttpResponse<String> r = client.post("/kbs/v0/attest", body, java.util.Optional.empty());
    assertError(r, 401, "AttestationError", "REPORT_DATA_MISMATCH");
    assertThat(client.resource("default/key/luks").statusCode()).isEqualTo(401);
  }

  @Test
  void anAttestWithAnExpiredCookieIsRefused() throws Exception {
    client.auth("sample");
    kbs.clock.advance(Duration.ofMinutes(5));
    HttpResponse<String> r = client.attest(DocClient.ecKey(Curve.P_256));
    assertError(r, 401, "AttestationError", "expired");
  }

  @Test
  void aSessionCookieReusedAfterExpiryGetsNoResource() throws Exception {
    client.auth("sample");
    assertThat(client.attest(DocClient.ecKey(Curve.P_256)).statusCode()).isEqualTo(200);
    kbs.clock.advance(Duration.ofMinutes(5).plusSeconds(1));
    HttpResponse<String> r = client.resource("default/key/luks");
    assertError(r, 401, "TokenNotFound", "expired");
    assertThat(r.body()).doesNotContain(SECRET);
  }

  @Test
  void anAttestWithoutCookieIsRefused() throws Exception {
    client.auth("sample");
    client.cookie = null;
    assertError(client.attest(DocClient.ecKey(Curve.P_256)), 401, "AttestationError", "cookie");
  }

  @Test
  void anRsa1024KeyIsRefusedAsWeak() throws Exception {
    client.auth("sample");
    HttpResponse<String> r = client.attest(DocClient.rsaKey(2048).toPublicJWK());
    assertThat(r.statusCode()).isEqualTo(200);
    client.auth("sample");
    java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    RSAKey weak =
        new RSAKey.Builder((java.security.interfaces.RSAPublicKey) g.generateKeyPair().getPublic())
            .build();
    HttpResponse<String> refused = client.attest(weak);
    assertError(refused, 400, "SerdeError", "1024 bits");
    // refused before the nonce was claimed: the session can still attest with a proper key
    assertThat(client.attest(DocClient.ecKey(Curve.P_256)).statusCode()).isEqualTo(200);
  }

  @Test
  void aCurveOutsideTheNistSetIsRefused() throws Exception {
    client.auth("sample");
    String coordinate = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
    String pub =
        "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"alg\":\"ECDH-ES+A256KW\",\"x\":\""
            + coordinate
            + "\",\"y\":\""
            + coordinate
            + "\"}";
    HttpResponse<String> r =
        client.post(
            "/kbs/v0/attest",
            DocClient.attestationBody(pub, client.nonce, new byte[48]),
            java.util.Optional.empty());
    assertError(r, 400, "SerdeError", "secp256k1");
  }

  /**
   * Repeated with a body ten times the limit: the client is still writing when the KBS refuses, and
   * a refusal sent without reading the rest reached the client as a reset now and then.
   */
  @org.junit.jupiter.api.RepeatedTest(20)
  void oversizedEvidenceIsRefusedUnparsed() throws Exception {
    client.auth("sample");
    JWK key = DocClient.ecKey(Curve.P_256);
    String huge =
        DocClient.attestationBody(DocClient.teePubkey(key), client.nonce, new byte[480_000]);
    HttpResponse<String> r = client.post("/kbs/v0/attest", huge, java.util.Optional.empty());
    assertError(r, 413, "PayloadTooLarge", "exceeds the limit of 65536");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "default/key/..",
        "default/../luks",
        "default/key/.hidden",
        "default/key/luks/extra",
        "default/key/",
        "default//luks",
        "default/key/%2e%2e",
        "default/key/lu%20ks"
      })
  void aResourcePathThatIsNotThreeValidSegmentsIsRefused(String path) throws Exception {
    client.auth("sample");
    client.attest(DocClient.ecKey(Curve.P_256));
    HttpResponse<String> r = client.resource(path);
    assertThat(r.statusCode()).as(path + " -> " + r.body()).isEqualTo(400);
    assertThat(r.body()).doesNotContain(SECRET);
  }

  @Test
  void aDotDotSegmentGetsTheKbsInvalidPathError() throws Exception {
    client.auth("sample");
    client.attest(DocClient.ecKey(Curve.P_256));
    assertError(client.resource("default/key/..%2Fluks"), 400, "InvalidRequestPath", "");
  }

  @Test
  void anUnknownTeeAndAnotherProtocolVersionAreRefused() throws Exception {
    assertError(client.auth("se"), 400, "SerdeError", "not supported");
    assertError(client.auth("tdx"), 400, "SerdeError", "not accepted");
    // Trustee's Azure kinds are known; this sample-only KBS does not accept them
    assertError(client.auth("az-snp-vtpm"), 400, "SerdeError", "not accepted");
    assertError(client.auth("az_snp_vtpm"), 400, "SerdeError", "not supported");
    assertError(client.auth("0.1.1", "sample"), 401, "AttestationError", "Version Mismatch");
  }

  /** An attestation body whose {@code additional_evidence} is {@code additional} (JSON text). */
  private String withAdditionalEvidence(JWK key, String additional) throws Exception {
    String body = client.attestationBody(key, DocClient.bindingDigest(client.nonce, key));
    return body.replace(
        "\"additional_evidence\":\"\"",
        "\"additional_evidence\":" + DocClient.JSON.writeValueAsString(additional));
  }

  @Test
  void deviceEvidenceIsRefusedWithItsOwnCodeAndTheSessionSurvives() throws Exception {
    client.auth("sample");
    JWK key = DocClient.ecKey(Curve.P_256);
    HttpResponse<String> r =
        client.post(
            "/kbs/v0/attest",
            withAdditionalEvidence(key, "{\"nvidia\":{\"evidence_list\":[]}}"),
            java.util.Optional.empty());
    assertError(r, 401, "AdditionalEvidenceUnsupported", "ADDITIONAL_EVIDENCE_UNSUPPORTED");
    assertThat(DocClient.json(r).get("detail").asText()).contains("nvidia");
    // refused before the nonce was claimed: the same session still attests without device evidence
    assertThat(client.attest(key).statusCode()).isEqualTo(200);
    assertThat(client.resource("default/key/luks").statusCode()).isEqualTo(200);
  }

  @Test
  void additionalEvidenceThatIsNotAnObjectOfEvidenceByDeviceIsMalformed() throws Exception {
    client.auth("sample");
    JWK key = DocClient.ecKey(Curve.P_256);
    for (String bad : new String[] {"not json", "[1,2]", "{}", "\"nvidia\""}) {
      HttpResponse<String> r =
          client.post(
              "/kbs/v0/attest", withAdditionalEvidence(key, bad), java.util.Optional.empty());
      assertError(r, 400, "SerdeError", "additional_evidence");
    }
    String noString =
        client
            .attestationBody(key, DocClient.bindingDigest(client.nonce, key))
            .replace("\"additional_evidence\":\"\"", "\"additional_evidence\":{}");
    assertError(
        client.post("/kbs/v0/attest", noString, java.util.Optional.empty()),
        400,
        "SerdeError",
        "additional_evidence");
  }

  @Test
  void aContraindicatedResultGetsATokenButNoResource() throws Exception {
    kbs.backend.reference("sample.launch_digest", List.of("00".repeat(48)));
    client.auth("sample");
    assertThat(client.attest(DocClient.ecKey(Curve.P_256)).statusCode()).isEqualTo(200);
    HttpResponse<String> r = client.resource("default/key/luks");
    assertError(r, 403, "PolicyDeny", "rule affirming");
    assertThat(r.body()).doesNotContain(SECRET);
  }

  @Test
  void aMissingResourceIsNotFoundOnlyAfterThePolicyAllowed() throws Exception {
    client.auth("sample");
    client.attest(DocClient.ecKey(Curve.P_256));
    assertError(client.resource("default/key/none"), 404, "ResourceNotFound", "not found");
  }

  @Test
  void noSessionAndNoTokenIsTokenNotFound() throws Exception {
    assertError(client.resource("default/key/luks"), 401, "TokenNotFound", "");
    client.auth("sample");
    assertError(client.resource("default/key/luks"), 401, "TokenNotFound", "not attested");
  }

  static void assertError(HttpResponse<String> r, int status, String kind, String detail)
      throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode e = DocClient.json(r);
    assertThat(e.get("type").asText())
        .isEqualTo("https://github.com/confidential-containers/kbs/errors/" + kind);
    assertThat(e.get("detail").asText()).contains(detail);
    assertThat(r.body()).doesNotContain(SECRET);
  }
}
