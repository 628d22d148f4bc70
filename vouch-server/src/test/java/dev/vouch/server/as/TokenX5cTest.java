package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.util.X509CertUtils;
import com.nimbusds.jwt.SignedJWT;
import dev.vouch.core.bytes.Hex;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.TokenCa;
import dev.vouch.server.TpmVectors;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tokens.x5c_ca_cert_file} and {@code tokens.x5c_ca_key_file}: the AS's tokens carry an
 * {@code x5c} chain for their signing key, issued by a CA that OpenSSL made, and a relying party
 * written with the JDK's PKIX validator and Nimbus (no Vouch class) accepts them with only the root
 * pinned. A CA key that does not match the CA certificate refuses start-up.
 */
class TokenX5cTest {
  @TempDir Path dir;

  private ServerConfig config(Path cert, Path key) throws Exception {
    Path yaml =
        Files.writeString(
            dir.resolve("vouch.yaml"),
            "http: {host: 127.0.0.1, port: 0}\ntls: {mode: \"off\"}\n"
                + "admin: {token: "
                + TestServers.ADMIN
                + "}\ntokens:\n  x5c_ca_cert_file: "
                + cert
                + "\n  x5c_ca_key_file: "
                + key
                + "\n");
    return ConfigLoader.load(
        Optional.of(yaml), Map.of(), Optional.of(dir.resolve("data")), Optional.empty());
  }

  /** A relying party: PKIX to the pinned root with the JDK, then the signature with Nimbus. */
  private static ECPublicKey relyingParty(String token, X509Certificate root) throws Exception {
    SignedJWT jwt = SignedJWT.parse(token);
    List<X509Certificate> chain = new ArrayList<>();
    for (com.nimbusds.jose.util.Base64 b : jwt.getHeader().getX509CertChain()) {
      chain.add(X509CertUtils.parse(b.decode()));
    }
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(chain), params);
    ECPublicKey leaf = (ECPublicKey) chain.get(0).getPublicKey();
    if (!jwt.verify(new ECDSAVerifier(leaf))) {
      throw new SecurityException("the token is not signed by the certified key");
    }
    return leaf;
  }

  private static X509Certificate pem(Path p) throws Exception {
    return X509CertUtils.parse(Files.readString(p));
  }

  @Test
  void aRelyingPartyPinningOnlyTheRootAcceptsTheTokensOfTheAttestationService() throws Exception {
    TokenCa ca = TokenCa.make(dir);
    try (VouchServer server = VouchServer.start(config(ca.caCert(), ca.caKey()))) {
      Client client = new Client(server.baseUri());
      String body =
          "{\"tee\":\"tpm\",\"evidence\":\""
              + Base64.getEncoder().encodeToString(TpmVectors.bundle())
              + "\",\"nonce\":\""
              + Hex.encode(TpmVectors.nonce())
              + "\"}";
      Reply r = client.post("/api/v1/attest", body, false);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      String token = r.json().get("token").asText();
      ECPublicKey leaf = relyingParty(token, pem(ca.rootCert()));
      // the certified key is the one the JWKS publishes under the token's kid
      SignedJWT jwt = SignedJWT.parse(token);
      assertThat(server.services().signingKeys().current().kid())
          .isEqualTo(jwt.getHeader().getKeyID());
      assertThat(server.services().signingKeys().current().key().toECPublicKey()).isEqualTo(leaf);
      assertThat(jwt.getHeader().getX509CertChain()).hasSize(2);

      // pinned to the issuing CA's issuer only: another root is not trusted
      TokenCa stranger = TokenCa.make(Files.createDirectories(dir.resolve("stranger")));
      assertThatThrownBy(() -> relyingParty(token, pem(stranger.rootCert())))
          .isInstanceOf(CertPathValidatorException.class);
      // a payload changed under the certified key's signature is refused
      String[] parts = token.split("\\.");
      String forged =
          parts[0]
              + "."
              + Base64.getUrlEncoder()
                  .withoutPadding()
                  .encodeToString(
                      "{\"submods\":{}}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
              + "."
              + parts[2];
      assertThatThrownBy(() -> relyingParty(forged, pem(ca.rootCert())))
          .isInstanceOf(SecurityException.class);
    }
  }

  @Test
  void aCaKeyThatDoesNotMatchTheCaCertificateRefusesStartUp() throws Exception {
    TokenCa ca = TokenCa.make(dir);
    // the root's key beside the issuing CA's certificate
    ServerConfig mismatched = config(ca.caCert(), ca.rootKey());
    assertThatThrownBy(() -> VouchServer.start(mismatched))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("tokens.x5c_ca_cert_file")
        .hasMessageContaining("does not match");
    assertThat(dir.resolve("data")).doesNotExist();
    // a key file that holds a certificate, not a key
    assertThatThrownBy(() -> VouchServer.start(config(ca.caCert(), ca.rootCert())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("private key");
  }

  @Test
  void theCertificateAndKeyFilesAreGivenTogether() throws Exception {
    TokenCa ca = TokenCa.make(dir);
    Path yaml =
        Files.writeString(
            dir.resolve("half.yaml"), "tokens:\n  x5c_ca_cert_file: " + ca.caCert() + "\n");
    assertThatThrownBy(
            () ->
                ConfigLoader.load(Optional.of(yaml), Map.of(), Optional.of(dir), Optional.empty()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("together");
  }
}
