package dev.vouch.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.bytes.Hex;
import dev.vouch.server.ChildServer;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.TpmVectors;
import dev.vouch.server.store.TestDatabases;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The server in a child JVM, killed with SIGKILL and started again on the same data dir and
 * database: policies, reference values and signing keys survive, and a token issued before the kill
 * verifies against the JWKS served after it.
 */
class RestartTest {
  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void policiesReferenceValuesAndKeysSurviveAKill(String kind) throws Exception {
    TestDatabases.Handle db = kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
    Map<String, String> env = ChildServer.env(kind, db);
    try (db) {
      ChildServer first = ChildServer.start(dir, env);
      String token;
      String kid;
      try {
        Client c = new Client(first.base());
        Reply put =
            c.put(
                "/api/v1/policies/pcr10",
                """
                rules:
                  - name: pcr10_known
                    category: executables
                    expr: claims["tpm.pcr.sha256.10"] in reference["tpm.pcr.sha256.10"]
                """,
                true);
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        Reply probe = attest(c);
        String pcr10 = probe.json().at("/claims/tpm.pcr.sha256.10").asText();
        String msg =
            TestServers.JSON.writeValueAsString(
                Map.of(
                    "version",
                    "0.1.0",
                    "type",
                    "sample",
                    "payload",
                    Map.of("tpm.pcr.sha256.10", List.of(pcr10))));
        assertThat(c.post("/api/v1/reference-values", msg, true).status()).isEqualTo(200);
        Reply r = attest(c);
        assertThat(r.json().get("status").asText()).isEqualTo("affirming");
        token = r.json().get("token").asText();
        kid = SignedJWT.parse(token).getHeader().getKeyID();
      } finally {
        first.kill();
      }

      ChildServer second = ChildServer.start(dir, env);
      try {
        Client c = new Client(second.base());
        assertThat(c.get("/api/v1/policies/pcr10", true).json().get("latest").asInt()).isEqualTo(1);
        assertThat(c.get("/api/v1/reference-values/tpm.pcr.sha256.10", true).status())
            .isEqualTo(200);
        String jwks = c.get("/api/v1/jwks", false).body();
        ECKey key = (ECKey) JWKSet.parse(jwks).getKeyByKeyId(kid);
        assertThat(key).as("the signing key survived").isNotNull();
        assertThat(SignedJWT.parse(token).verify(new ECDSAVerifier(key))).isTrue();
        Reply again = attest(c);
        assertThat(again.json().get("status").asText()).isEqualTo("affirming");
        assertThat(SignedJWT.parse(again.json().get("token").asText()).getHeader().getKeyID())
            .isEqualTo(kid);
      } finally {
        second.kill();
      }
    }
  }

  private static Reply attest(Client c) {
    return c.post(
        "/api/v1/attest",
        "{\"tee\":\"tpm\",\"policy_ids\":[\"pcr10\"],\"evidence\":\""
            + Base64.getEncoder().encodeToString(TpmVectors.bundle())
            + "\",\"nonce\":\""
            + Hex.encode(TpmVectors.nonce())
            + "\"}",
        false);
  }
}
