package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.sample.SampleEvidenceVerifier;
import dev.vouch.server.MeasuredTpmBundle;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attestation service runs trust claim policies over HTTP: evidence attested with {@code
 * policy_ids: ["trustee-default-cpu"]} gets the trust vector Trustee's default EAR policy gives,
 * with Trustee's reference value names registered through the RVPS API; a trust claim document
 * uploaded under an id is stored, versioned and run like a rule document. Tokens are checked with
 * Nimbus from the JWKS alone. The TPM case quotes a live swtpm (PCR 11 is not in the recorded
 * quote).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrusteePolicyEndToEndTest {
  private static final String TRUSTEE = "trustee-default-cpu";

  VouchServer server;
  Client client;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    server =
        VouchServer.start(
            TestServers.plain(dir)
                .withVerifiers(ServerConfig.Verifiers.defaults().withSample(true)));
    client = new Client(server.baseUri());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private void register(Map<String, ?> values) throws Exception {
    Reply r = client.registerSample(values);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  private Reply attest(String tee, byte[] evidence, String nonceHex, String policyId) {
    return client.post(
        "/api/v1/attest",
        "{\"tee\":\""
            + tee
            + "\",\"evidence\":\""
            + Base64.getEncoder().encodeToString(evidence)
            + "\",\"nonce\":\""
            + nonceHex
            + "\",\"policy_ids\":[\""
            + policyId
            + "\"]}",
        false);
  }

  private static byte[] sample(String svn, byte[] reportData) {
    return ("{\"svn\":\""
            + svn
            + "\",\"report_data\":\""
            + Base64.getEncoder().encodeToString(reportData)
            + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** The cpu0 submod of a token verified with Nimbus from the JWKS JSON only. */
  private Map<String, Object> cpu0(Reply r) throws Exception {
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return cpu0(r.json().get("token").asText());
  }

  private Map<String, Object> cpu0(String token) throws Exception {
    SignedJWT jwt = SignedJWT.parse(token);
    String jwks = client.get("/.well-known/jwks.json", false).body();
    ECKey key = (ECKey) JWKSet.parse(jwks).getKeyByKeyId(jwt.getHeader().getKeyID());
    assertThat(jwt.verify(new ECDSAVerifier(key))).isTrue();
    @SuppressWarnings("unchecked")
    Map<String, Object> cpu0 =
        (Map<String, Object>) jwt.getJWTClaimsSet().getJSONObjectClaim("submods").get("cpu0");
    return cpu0;
  }

  /** The whole AR4SI vector: the three claims given, the other five 0. */
  private static Map<String, Object> vector(int executables, int hardware, int configuration) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (String k :
        List.of(
            "instance-identity",
            "configuration",
            "executables",
            "file-system",
            "hardware",
            "runtime-opaque",
            "storage-opaque",
            "sourced-data")) {
      m.put(k, 0L);
    }
    m.put("executables", (long) executables);
    m.put("hardware", (long) hardware);
    m.put("configuration", (long) configuration);
    return m;
  }

  private void trusteesSampleReferenceValues() throws Exception {
    // Trustee's integration-test values (svn, major, minimum minor), Vouch's sample digest
    register(
        Map.of(
            "launch_digest",
            List.of(SampleEvidenceVerifier.LAUNCH_DIGEST),
            "svn",
            List.of("1"),
            "major_version",
            1,
            "minimum_minor_version",
            1));
  }

  @Test
  void sampleEvidenceAttestedWithTrusteesDefaultPolicyGetsTrusteesAffirmingVector()
      throws Exception {
    trusteesSampleReferenceValues();
    byte[] nonce = Hex.decode("5a".repeat(32));
    Reply r = attest("sample", sample("1", nonce), Hex.encode(nonce), TRUSTEE);
    Map<String, Object> cpu0 = cpu0(r);
    assertThat(r.json().get("status").asText()).isEqualTo("affirming");
    assertThat(cpu0.get("ear.status")).isEqualTo("affirming");
    assertThat(cpu0.get("ear.appraisal-policy-id")).isEqualTo(TRUSTEE);
    assertThat(cpu0.get("ear.trustworthiness-vector")).isEqualTo(vector(3, 2, 2));
    @SuppressWarnings("unchecked")
    Map<String, Object> evidence =
        (Map<String, Object>) cpu0.get("ear.veraison.annotated-evidence");
    assertThat(evidence.get("policy_cases"))
        .isEqualTo(
            Map.of(
                "executables", "sample_executables",
                "hardware", "sample_hardware",
                "configuration", "sample_configuration",
                "file-system", "default",
                "instance-identity", "default",
                "runtime-opaque", "default",
                "storage-opaque", "default",
                "sourced-data", "default"));
    assertThat((List<?>) evidence.get("policy_errors")).isEmpty();
  }

  @Test
  void trusteesAsRequestNamingTheTranslationGetsTheSameVectorAsABareJwt() throws Exception {
    trusteesSampleReferenceValues();
    byte[] nonce = Hex.decode("5a".repeat(16));
    Base64.Encoder b64url = Base64.getUrlEncoder().withoutPadding();
    // Trustee's attestation-service REST body, as its AS client sends it
    String body =
        "{\"verification_requests\":[{\"tee\":\"sample\",\"evidence\":\""
            + b64url.encodeToString(sample("1", nonce))
            + "\",\"runtime_data\":{\"raw\":\""
            + b64url.encodeToString(nonce)
            + "\"}}],\"policy_ids\":[\""
            + TRUSTEE
            + "\"]}";
    Reply r = client.post("/attestation", body, false);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.contentType()).startsWith("text/plain");
    Map<String, Object> cpu0 = cpu0(r.body());
    assertThat(cpu0.get("ear.trustworthiness-vector")).isEqualTo(vector(3, 2, 2));
    assertThat(cpu0.get("ear.appraisal-policy-id")).isEqualTo(TRUSTEE);
  }

  @Test
  void anUnknownSvnIsTrusteesUnrecognizedHardwareAndTheTokenIsContraindicated() throws Exception {
    trusteesSampleReferenceValues();
    byte[] nonce = Hex.decode("5b".repeat(32));
    Reply r = attest("sample", sample("7", nonce), Hex.encode(nonce), TRUSTEE);
    Map<String, Object> cpu0 = cpu0(r);
    assertThat(cpu0.get("ear.trustworthiness-vector")).isEqualTo(vector(3, 97, 2));
    assertThat(cpu0.get("ear.status")).isEqualTo("contraindicated");
  }

  @Test
  void evidenceThatFailsVerificationGetsNoTokenWhateverThePolicy() {
    byte[] nonce = Hex.decode("5c".repeat(32));
    Reply r = attest("sample", sample("1", nonce), "5d".repeat(32), TRUSTEE);
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("failure").asText()).isEqualTo("REPORT_DATA_MISMATCH");
    assertThat(r.json().has("token")).isFalse();
  }

  @Test
  void aSwtpmQuoteWithAKnownAkAndPcr11GetsTrusteesTpmVector(@TempDir Path tpmDir) throws Exception {
    byte[] nonceBytes = Hex.decode("6a".repeat(32));
    MeasuredTpmBundle m = MeasuredTpmBundle.make(tpmDir, nonceBytes);
    String nonce = Hex.encode(nonceBytes);
    // PCR 11 and the AK as the verifier reports them (the default TPM policy's verdict is moot)
    JsonNode probe = attest("tpm", m.bundle(), nonce, "default").json();
    String pcr11 = probe.at("/claims/tpm.pcr.sha256.11").asText();
    assertThat(pcr11).hasSize(64);
    // Trustee's ak_public: base64 of the AK's DER SubjectPublicKeyInfo
    String ak = probe.at("/claims/tpm.ak.public").asText();
    assertThat(Hex.encode(HashAlg.SHA256.digest(Base64.getDecoder().decode(ak))))
        .isEqualTo(m.references().get("tpm.trusted_aks").get(0));
    register(Map.of("tpm_pcr11", List.of(pcr11), "trusted_aks", List.of(ak)));
    Map<String, Object> cpu0 = cpu0(attest("tpm", m.bundle(), nonce, TRUSTEE));
    // executables 3 (PCR 11 and the AK known), hardware 2, configuration 0 (no assertion)
    assertThat(cpu0.get("ear.trustworthiness-vector")).isEqualTo(vector(3, 2, 0));
    assertThat(cpu0.get("ear.status")).isEqualTo("affirming");

    register(Map.of("trusted_aks", List.of("MFkwEwYHKoZIzj0CAQ==")));
    cpu0 = cpu0(attest("tpm", m.bundle(), nonce, TRUSTEE));
    // an AK nobody trusts: Trustee's 33, a warning
    assertThat(cpu0.get("ear.trustworthiness-vector")).isEqualTo(vector(33, 2, 0));
    assertThat(cpu0.get("ear.status")).isEqualTo("warning");
  }

  @Test
  void aTrustClaimDocumentUploadedUnderAnIdIsStoredVersionedAndRun() throws Exception {
    String doc =
        """
        description: sample svn 1 is known hardware
        trust_claims:
          hardware:
            default: 97
            cases:
              - name: svn_one
                value: 2
                expr: '"sample" in input && input.sample.svn == "1"'
        """;
    Reply put = client.put("/api/v1/policies/sample-svn", doc, true);
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(put.json().get("version").asInt()).isEqualTo(1);
    byte[] nonce = Hex.decode("5e".repeat(32));
    Map<String, Object> cpu0 =
        cpu0(attest("sample", sample("1", nonce), Hex.encode(nonce), "sample-svn"));
    assertThat(cpu0.get("ear.trustworthiness-vector")).isEqualTo(vector(0, 2, 0));
    assertThat(cpu0.get("ear.appraisal-policy-id")).isEqualTo("sample-svn");
    cpu0 = cpu0(attest("sample", sample("2", nonce), Hex.encode(nonce), "sample-svn"));
    assertThat(cpu0.get("ear.trustworthiness-vector")).isEqualTo(vector(0, 97, 0));
    assertThat(
            client
                .get("/api/v1/policies/sample-svn", true)
                .json()
                .at("/versions/0/source")
                .asText())
        .isEqualTo(doc);
  }

  @Test
  void aTrustClaimDocumentSeesStructuredRuntimeDataAsTrusteesRuntimeDataClaims() throws Exception {
    String doc =
        """
        trust_claims:
          instance_identity:
            default: 97
            cases:
              - name: client_nonce
                value: 2
                expr: 'input.runtime_data_claims.nonce == "n-42"'
        """;
    assertThat(client.put("/api/v1/policies/runtime-nonce", doc, true).status()).isEqualTo(200);
    for (String nonce : List.of("n-42", "n-43")) {
      String runtime = "{\"nonce\":\"" + nonce + "\"}";
      // Trustee's binding: SHA-384 of the canonical JSON in the report data
      byte[] bound = HashAlg.SHA384.digest(runtime.getBytes(StandardCharsets.UTF_8));
      String body =
          "{\"tee\":\"sample\",\"evidence\":\""
              + Base64.getEncoder().encodeToString(sample("1", bound))
              + "\",\"runtime_data\":{\"structured\":"
              + runtime
              + "},\"policy_ids\":[\"runtime-nonce\"]}";
      Map<String, Object> cpu0 = cpu0(client.post("/api/v1/attest", body, false));
      assertThat(((Map<?, ?>) cpu0.get("ear.trustworthiness-vector")).get("instance-identity"))
          .as(nonce)
          .isEqualTo(nonce.equals("n-42") ? 2L : 97L);
    }
  }

  @Test
  void aTrustClaimDocumentThatDoesNotCompileIsRefusedAndNothingIsStored() {
    for (String bad :
        List.of(
            "trust_claims: {speed: {default: 1}}",
            "trust_claims: {hardware: {default: 300}}",
            "trust_claims: {hardware: {cases: [{name: a, value: 2, expr: '1 + 1'}]}}")) {
      Reply r = client.put("/api/v1/policies/broken-trust", bad, true);
      assertThat(r.status()).as(bad).isEqualTo(400);
      assertThat(r.json().get("type").asText()).contains("policy-invalid");
    }
    assertThat(client.get("/api/v1/policies/broken-trust", true).status()).isEqualTo(404);
    byte[] nonce = Hex.decode("5f".repeat(32));
    Reply r = attest("sample", sample("1", nonce), Hex.encode(nonce), "broken-trust");
    assertThat(r.json().get("failure").asText()).as(r.body()).isEqualTo("UNSUPPORTED");
    assertThat(r.json().has("token")).isFalse();
  }

  @Test
  void theShippedTranslationIsListedAsBuiltInAndReadable() {
    JsonNode list = client.get("/api/v1/policies", true).json();
    assertThat(list.get("builtin").toString()).contains(TRUSTEE);
    JsonNode p = client.get("/api/v1/policies/" + TRUSTEE, true).json();
    assertThat(p.get("builtin").asBoolean()).isTrue();
    assertThat(p.at("/versions/0/source").asText()).contains("trust_claims:", "tpm_executables");
  }
}
