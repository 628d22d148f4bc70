package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relying party written for Trustee tokens reads a CCA realm's claims at Trustee's JSON paths
 * ({@code
 * submods.cpu0["ear.veraison.annotated-evidence"].cca.realm["cca-realm-initial-measurement"]}) from
 * a token Vouch's AS issued for Trustee's example CCA token, checking the signature from the JWKS
 * alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrusteeTokenTreeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  VouchServer server;
  Client client;

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = TrusteeTokenTreeTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    Path keys = Files.createDirectories(dir.resolve("cca"));
    Files.write(keys.resolve("cpak-pub.json"), resource("/vectors/cca/cpak-pub.json"));
    ServerConfig config =
        TestServers.plain(dir.resolve("data"))
            .withVerifiers(ServerConfig.Verifiers.defaults().withCollateralDirs(List.of(keys)));
    server = VouchServer.start(config);
    client = new Client(server.baseUri());
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Reply attest(byte[] token) {
    // the example token's challenge is fixed, so freshness is waived (and the token says so)
    return client.post(
        "/api/v1/attest",
        "{\"tee\":\"cca\",\"evidence\":\""
            + Base64.getEncoder().encodeToString(token)
            + "\",\"freshness\":\"none\"}",
        false);
  }

  @Test
  void theCcaRealmClaimsSitAtTrusteesPathsInTheSignedToken() throws Exception {
    Reply r = attest(resource("/vectors/cca/trustee/cca-example-token.cbor"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    SignedJWT jwt = SignedJWT.parse(r.json().get("token").asText());
    ECKey key =
        (ECKey)
            JWKSet.parse(client.get("/.well-known/jwks.json", false).body())
                .getKeyByKeyId(jwt.getHeader().getKeyID());
    assertThat(jwt.verify(new ECDSAVerifier(key))).isTrue();
    JsonNode claims = JSON.readTree(jwt.getPayload().toString());
    JsonNode cca = claims.at("/submods/cpu0/ear.veraison.annotated-evidence/cca");
    JsonNode expected = JSON.readTree(resource("/vectors/cca/trustee/cca_tree_expected.json"));
    assertThat(cca).isEqualTo(expected);
    // the RIM as Trustee's CCA README registers it with its RVPS
    assertThat(cca.at("/realm/cca-realm-initial-measurement").asText())
        .isEqualTo(
            "rof79/EF5xp4J8tvCJaInHPSvq9IMNT5ywXj6Ww/x7T6oEyvNqJr0JTPnHtzhhfkwYmq7hhN7dpdegPDnb2sfA==");
  }

  @Test
  void aTokenWithAFlippedRealmByteGetsNoTokenAndItsFailure() throws Exception {
    byte[] token = resource("/vectors/cca/trustee/cca-example-token.cbor");
    token[token.length - 40] ^= 0x01; // inside the realm token's signature
    Reply r = attest(token);
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.json().has("token")).isFalse();
    assertThat(r.json().get("failure").asText()).isEqualTo("SIGNATURE_INVALID");
  }
}
