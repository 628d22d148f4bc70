package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import dev.vouch.core.Tee;
import dev.vouch.server.config.ServerConfig;
import io.javalin.Javalin;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A KBS handshake with TDX evidence, verified by the real attestation service: the test plays the
 * TD, putting the KBS binding (SHA-384 of the canonical {nonce, tee-pubkey}) into the REPORTDATA of
 * a quote signed under a test PCK hierarchy ({@link TestTdxQuotes}) whose root is configured as an
 * extra anchor for this test only. Reference values are the dcap-qvl sample's measurements as the
 * research vectors' expected.json records them (the test quote keeps the sample's TD report).
 */
class KbsTdxHandshakeTest {
  static final String SECRET = "tdx-released-secret";
  static final ResourcePath PATH = new ResourcePath("default", "key", "tdx");

  @TempDir Path dir;
  static TestTdxQuotes pki;
  final MutableClock clock = new MutableClock(TestTdxQuotes.AT);
  RealAttestation as;
  Javalin app;

  @BeforeEach
  void start() throws Exception {
    if (pki == null) {
      pki = new TestTdxQuotes();
    }
  }

  /** A KBS for TDX whose AS has the test collateral and, when {@code anchored}, the test root. */
  DocClient kbs(boolean anchored) throws Exception {
    Path folder = Files.createDirectories(dir.resolve("collateral"));
    Files.write(folder.resolve("tdx.json"), pki.collateral());
    Path root = Files.writeString(dir.resolve("test-root.pem"), pki.rootPem());
    ServerConfig.Verifiers v =
        ServerConfig.Verifiers.defaults()
            .withCollateralDirs(List.of(folder))
            .withExtraAnchors(anchored ? List.of(root) : List.of());
    as = new RealAttestation(clock, Duration.ofMinutes(5), v);
    // dcap-qvl sample/tdx_quote: MRTD and RTMRs from vectors/tdx/expected.json
    as.reference(
        "tdx.mr_td",
        List.of(
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7"));
    as.reference(
        "tdx.rtmr.0",
        List.of(
            "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9bc9c0"));
    as.reference(
        "tdx.rtmr.1",
        List.of(
            "0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378"));
    as.reference(
        "tdx.rtmr.2",
        List.of(
            "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48c3132"));
    as.reference("tdx.rtmr.3", List.of("00".repeat(48)));
    InMemoryResourceStore resources = new InMemoryResourceStore();
    resources.put(PATH, SECRET.getBytes(StandardCharsets.UTF_8));
    app = KbsHarness.serve(EnumSet.of(Tee.TDX), as, resources, clock);
    return new DocClient("http://127.0.0.1:" + app.port());
  }

  @AfterEach
  void stop() {
    if (app != null) {
      app.stop();
    }
    if (as != null) {
      as.close();
    }
  }

  static String tdxBody(JWK key, String nonce, byte[] quote) {
    String evidence = "{\"quote\":\"" + Base64.getEncoder().encodeToString(quote) + "\"}";
    return "{\"runtime-data\":{\"nonce\":\""
        + nonce
        + "\",\"tee-pubkey\":"
        + DocClient.teePubkey(key)
        + "},\"tee-evidence\":{\"primary_evidence\":"
        + evidence
        + ",\"additional_evidence\":\"\"}}";
  }

  @Test
  void aTdxQuoteBindingTheHandshakeReleasesTheSecret() throws Exception {
    DocClient c = kbs(true);
    assertThat(c.auth("tdx").statusCode()).isEqualTo(200);
    JWK key = DocClient.ecKey(Curve.P_256);
    byte[] quote = pki.quote(DocClient.bindingDigest(c.nonce, key));
    HttpResponse<String> attested =
        c.post("/kbs/v0/attest", tdxBody(key, c.nonce, quote), Optional.empty());
    assertThat(attested.statusCode()).as(attested.body()).isEqualTo(200);
    HttpResponse<String> r = c.resource(PATH.toString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(new String(KbsProtocolTest.decrypt(r.body(), key), StandardCharsets.UTF_8))
        .isEqualTo(SECRET);
  }

  /**
   * A relying party written for Trustee's tokens, from Trustee's documentation only (the example
   * token, attestation_token_verification.md): Jackson and Nimbus, no Vouch class. It trusts the
   * key in the header's {@code jwk}, checks Trustee's profile and reads claims by Trustee's paths.
   */
  @Test
  void aRelyingPartyWrittenForTrusteeTokensReadsTheTokenByTrusteesPaths() throws Exception {
    DocClient c = kbs(true);
    assertThat(c.auth("tdx").statusCode()).isEqualTo(200);
    JWK key = DocClient.ecKey(Curve.P_256);
    byte[] quote = pki.quote(DocClient.bindingDigest(c.nonce, key));
    HttpResponse<String> attested =
        c.post("/kbs/v0/attest", tdxBody(key, c.nonce, quote), Optional.empty());
    assertThat(attested.statusCode()).as(attested.body()).isEqualTo(200);
    String token = DocClient.json(attested).get("token").asText();

    String[] parts = token.split("\\.");
    Base64.Decoder b64 = Base64.getUrlDecoder();
    com.fasterxml.jackson.databind.JsonNode header = DocClient.JSON.readTree(b64.decode(parts[0]));
    com.fasterxml.jackson.databind.JsonNode payload = DocClient.JSON.readTree(b64.decode(parts[1]));
    com.nimbusds.jose.jwk.ECKey signer =
        com.nimbusds.jose.jwk.ECKey.parse(DocClient.JSON.writeValueAsString(header.get("jwk")));
    assertThat(signer.isPrivate()).isFalse();
    assertThat(
            com.nimbusds.jwt.SignedJWT.parse(token)
                .verify(new com.nimbusds.jose.crypto.ECDSAVerifier(signer)))
        .isTrue();
    assertThat(payload.get("eat_profile").asText())
        .isEqualTo("tag:github.com,2024:confidential-containers/Trustee");
    assertThat(payload.get("iss").asText()).isNotEmpty();
    assertThat(payload.get("exp").asLong()).isGreaterThan(payload.get("iat").asLong());

    String ae = "/submods/cpu0/ear.veraison.annotated-evidence";
    assertThat(payload.at("/submods/cpu0/ear.status").asText()).isEqualTo("affirming");
    // the TEE key where Trustee's KBS reads it for an EAR token
    com.fasterxml.jackson.databind.JsonNode teeKey =
        payload.at(ae + "/runtime_data_claims/tee-pubkey");
    assertThat(teeKey.get("x").asText())
        .isEqualTo(((com.nimbusds.jose.jwk.ECKey) key).getX().toString());
    assertThat(teeKey.get("y").asText())
        .isEqualTo(((com.nimbusds.jose.jwk.ECKey) key).getY().toString());
    // Trustee's TDX claim tree; expected values from vectors/tdx/expected.json (dcap-qvl sample)
    assertThat(payload.at(ae + "/tdx/quote/header/version").asText()).isEqualTo("0400");
    assertThat(payload.at(ae + "/tdx/quote/body/mr_td").asText())
        .isEqualTo(
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
    assertThat(payload.at(ae + "/tdx/quote/body/rtmr_1").asText())
        .isEqualTo(
            "0084452c01668329d4bc06acdf58a7205c26743304509973949e5619bf81a6a7aea8c323c173019b3093d54e579e9378");
    assertThat(payload.at(ae + "/tdx/quote/body/report_data").asText())
        .isEqualTo(payload.at(ae + "/tdx/report_data").asText())
        .startsWith(java.util.HexFormat.of().formatHex(DocClient.bindingDigest(c.nonce, key)));
    // Vouch's flat names stay beside the tree
    assertThat(payload.at(ae).get("tdx.mr_td").asText())
        .isEqualTo(payload.at(ae + "/tdx/quote/body/mr_td").asText());
  }

  /**
   * Init data as a guest sends it ({@code "init-data": {"format": "toml", "body": ...}}), bound
   * through MRCONFIGID: the token carries {@code init_data} and Trustee's {@code init_data_claims}
   * (the document's data table, embedded cdh.toml parsed) where Trustee's relying parties and KBS
   * plugins read them.
   */
  @Test
  void boundInitDataAppearsAsTrusteesInitDataClaims() throws Exception {
    DocClient c = kbs(true);
    assertThat(c.auth("tdx").statusCode()).isEqualTo(200);
    JWK key = DocClient.ecKey(Curve.P_256);
    String toml =
        """
        version = "0.1.0"
        algorithm = "sha384"

        [data]
        "cdh.toml" = '''
        [kbc]
        name = "cc_kbc"
        url = "https://kbs.example:8080"
        '''
        "note.txt" = "tenant-a"
        """;
    byte[] digest =
        java.security.MessageDigest.getInstance("SHA-384")
            .digest(toml.getBytes(StandardCharsets.UTF_8));
    byte[] quote = pki.quote(DocClient.bindingDigest(c.nonce, key), digest);
    HttpResponse<String> attested =
        c.post(
            "/kbs/v0/attest", withInitData(tdxBody(key, c.nonce, quote), toml), Optional.empty());
    assertThat(attested.statusCode()).as(attested.body()).isEqualTo(200);
    String token = DocClient.json(attested).get("token").asText();
    com.fasterxml.jackson.databind.JsonNode ae =
        DocClient.JSON
            .readTree(Base64.getUrlDecoder().decode(token.split("\\.")[1]))
            .at("/submods/cpu0/ear.veraison.annotated-evidence");
    assertThat(ae.get("init_data").asText()).isEqualTo(java.util.HexFormat.of().formatHex(digest));
    assertThat(ae.at("/init_data_claims/note.txt").asText()).isEqualTo("tenant-a");
    assertThat(ae.at("/init_data_claims/cdh.toml/kbc/url").asText())
        .isEqualTo("https://kbs.example:8080");

    // a document other than the one bound is refused, not reported
    assertThat(c.auth("tdx").statusCode()).isEqualTo(200);
    byte[] q2 = pki.quote(DocClient.bindingDigest(c.nonce, key), digest);
    HttpResponse<String> refused =
        c.post(
            "/kbs/v0/attest",
            withInitData(tdxBody(key, c.nonce, q2), toml.replace("tenant-a", "tenant-b")),
            Optional.empty());
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body()).contains("INIT_DATA_MISMATCH");
  }

  private static String withInitData(String attestation, String toml) throws Exception {
    return attestation.substring(0, attestation.length() - 1)
        + ",\"init-data\":{\"format\":\"toml\",\"body\":"
        + DocClient.JSON.writeValueAsString(toml)
        + "}}";
  }

  @Test
  void aQuoteBoundToAnotherTeeKeyIsRefused() throws Exception {
    DocClient c = kbs(true);
    c.auth("tdx");
    JWK key = DocClient.ecKey(Curve.P_256);
    JWK other = DocClient.ecKey(Curve.P_256);
    // the TD bound its own key, the request presents another one to receive the secret
    byte[] quote = pki.quote(DocClient.bindingDigest(c.nonce, other));
    HttpResponse<String> r =
        c.post("/kbs/v0/attest", tdxBody(key, c.nonce, quote), Optional.empty());
    KbsProtocolTest.assertError(r, 401, "AttestationError", "REPORT_DATA_MISMATCH");
  }

  @Test
  void aQuoteForAnEarlierNonceIsRefused() throws Exception {
    DocClient c = kbs(true);
    c.auth("tdx");
    JWK key = DocClient.ecKey(Curve.P_256);
    byte[] stale = pki.quote(DocClient.bindingDigest(c.nonce, key));
    c.auth("tdx"); // a new session, a new nonce: the old quote is a replay
    HttpResponse<String> r =
        c.post("/kbs/v0/attest", tdxBody(key, c.nonce, stale), Optional.empty());
    KbsProtocolTest.assertError(r, 401, "AttestationError", "REPORT_DATA_MISMATCH");
  }

  @Test
  void withoutTheTestRootOnlyThePinnedIntelRootCountsAndTheQuoteIsRefused() throws Exception {
    DocClient c = kbs(false);
    c.auth("tdx");
    JWK key = DocClient.ecKey(Curve.P_256);
    byte[] quote = pki.quote(DocClient.bindingDigest(c.nonce, key));
    HttpResponse<String> r =
        c.post("/kbs/v0/attest", tdxBody(key, c.nonce, quote), Optional.empty());
    KbsProtocolTest.assertError(r, 401, "AttestationError", "CHAIN_UNTRUSTED");
  }
}
