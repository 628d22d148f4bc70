package dev.vouch.server.rvps;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed reference value bundles through the admin API, verified against the configured JWKS. */
class SignedBundleApiTest {
  @TempDir Path dir;

  private static String bundle(ECKey key, String kid, Instant expires) throws Exception {
    String json = "{\"values\":{\"snp.measurement\":[\"aa\"]},\"expires\":\"" + expires + "\"}";
    JWSObject jws =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(kid).build(), new Payload(json));
    jws.sign(new ECDSASigner(key));
    return "{\"version\":\"0.1.0\",\"type\":\"signed\",\"payload\":\"" + jws.serialize() + "\"}";
  }

  @Test
  void aBundleSignedByAConfiguredKeyIsStoredAndOthersAreRefused() throws Exception {
    ECKey trusted = new ECKeyGenerator(Curve.P_256).keyID("rv-signer").generate();
    ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("rv-signer").generate();
    Path jwks =
        Files.writeString(dir.resolve("rvps.jwks"), new JWKSet(trusted.toPublicJWK()).toString());
    ServerConfig base = TestServers.plain(dir.resolve("data"));
    ServerConfig cfg =
        new ServerConfig(
            base.dataDir(),
            base.http(),
            base.tls(),
            base.storage(),
            base.tokens(),
            base.admin(),
            new ServerConfig.Rvps(Optional.of(jwks)));
    try (VouchServer s = VouchServer.start(cfg)) {
      Client c = new Client(s.baseUri());
      Instant later = Instant.now().plusSeconds(3600);

      Reply forged = c.post("/api/v1/reference-values", bundle(stranger, "rv-signer", later), true);
      assertThat(forged.status()).isEqualTo(422);
      assertThat(forged.json().get("failure").asText()).isEqualTo("SIGNATURE_INVALID");

      Reply expired =
          c.post(
              "/api/v1/reference-values",
              bundle(trusted, "rv-signer", Instant.now().minusSeconds(5)),
              true);
      assertThat(expired.status()).isEqualTo(422);
      assertThat(c.get("/api/v1/reference-values/snp.measurement", true).status()).isEqualTo(404);

      Reply ok = c.post("/api/v1/reference-values", bundle(trusted, "rv-signer", later), true);
      assertThat(ok.status()).as(ok.body()).isEqualTo(200);
      Reply stored = c.get("/api/v1/reference-values/snp.measurement", true);
      assertThat(stored.json().at("/provenance/kind").asText()).isEqualTo("signed");
      assertThat(stored.json().at("/provenance/signer").asText()).isEqualTo("rv-signer");
    }
  }
}
