package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Tee;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which evidence kinds the server accepts follows the trust material configured: TPM and SEV-SNP by
 * default, TDX and SGX only with Intel collateral (folder or PCCS), CCA only with platform keys,
 * sample only when enabled; the key broker accepts no kind the attestation service refuses.
 */
class TrustSetupTest {
  @TempDir Path dir;

  private static final ServerConfig.Verifiers NONE = ServerConfig.Verifiers.defaults();

  private Path folderWith(String resource) throws IOException {
    Path folder = Files.createDirectories(dir.resolve("collateral"));
    try (InputStream in = TrustSetupTest.class.getResourceAsStream("/vectors/" + resource)) {
      Files.write(folder.resolve("any-name"), in.readAllBytes());
    }
    return folder;
  }

  private static TrustSetup setup(ServerConfig.Verifiers v) throws ConfigException {
    return TrustSetup.of(v, Clock.systemUTC());
  }

  @Test
  void withNothingConfiguredOnlyTpmSnpAndContainerAreAccepted() throws Exception {
    TrustSetup t = setup(NONE);
    // container evidence is a TPM quote: it needs no more trust material than TPM evidence
    assertThat(t.verifiers().tees())
        .containsExactlyInAnyOrder(Tee.TPM, Tee.SNP, Tee.AZ_SNP_VTPM, Tee.CONTAINER);
    assertThat(t.verifiers().whyRefused(Tee.TDX)).contains("no Intel collateral");
    assertThat(t.verifiers().whyRefused(Tee.AZ_TDX_VTPM)).contains("no Intel collateral");
    assertThat(t.verifiers().whyRefused(Tee.CCA)).contains("no CCA platform keys");
    assertThat(t.verifiers().whyRefused(Tee.SAMPLE)).contains("tests only");
  }

  @Test
  void anIntelCollateralFolderRecognisedByContentEnablesTdxAndSgx() throws Exception {
    Path folder = folderWith("tdx/tdx_quote_collateral.json");
    TrustSetup t = setup(NONE.withCollateralDirs(List.of(folder)));
    assertThat(t.verifiers().tees())
        .contains(Tee.TDX, Tee.SGX, Tee.AZ_TDX_VTPM)
        .doesNotContain(Tee.CCA);
    assertThat(t.collateral().current()).hasSize(1);
  }

  @Test
  void aFolderWithoutIntelCollateralDoesNotEnableTdx() throws Exception {
    Path folder = folderWith("cca/cpak-pub.json");
    TrustSetup t = setup(NONE.withCollateralDirs(List.of(folder)));
    assertThat(t.verifiers().tees()).contains(Tee.CCA).doesNotContain(Tee.TDX, Tee.SGX);
  }

  @Test
  void aPccsEnablesTdxWithoutAnyFolder() throws Exception {
    ServerConfig.Verifiers v =
        new ServerConfig.Verifiers(
            List.of(),
            Optional.of(URI.create("https://127.0.0.1:1/")),
            Optional.empty(),
            List.of(),
            List.of(),
            List.of(),
            false,
            true);
    assertThat(setup(v).verifiers().tees()).contains(Tee.TDX, Tee.SGX);
  }

  @Test
  void aFileGivenAsCcaPlatformKeyMustHoldOne() throws Exception {
    Path notAKey = Files.writeString(dir.resolve("notes.txt"), "hello");
    ServerConfig.Verifiers v =
        new ServerConfig.Verifiers(
            List.of(),
            Optional.empty(),
            Optional.empty(),
            List.of(notAKey),
            List.of(),
            List.of(),
            false,
            true);
    assertThatThrownBy(() -> setup(v))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cca_platform_keys");
  }

  @Test
  void sampleIsAcceptedOnlyWhenExplicitlyEnabled() throws Exception {
    assertThat(setup(NONE.withSample(true)).verifiers().tees()).contains(Tee.SAMPLE);
    assertThat(setup(NONE).verifiers().tees()).doesNotContain(Tee.SAMPLE);
  }

  @Test
  void theKeyBrokerRefusesAKindTheAttestationServiceCannotVerify() throws Exception {
    // kbs.tees defaults to every real TEE; without Intel collateral TDX must still be refused
    try (VouchServer server =
        VouchServer.start(TestServers.plain(dir.resolve("data")), Clock.systemUTC(), List.of())) {
      TestServers.Client c = new TestServers.Client(server.baseUri());
      TestServers.Reply tdx =
          c.post(
              "/kbs/v0/auth",
              "{\"version\":\"0.4.0\",\"tee\":\"tdx\",\"extra-params\":\"\"}",
              false);
      assertThat(tdx.status()).as(tdx.body()).isEqualTo(400);
      assertThat(tdx.body()).contains("not accepted");
      TestServers.Reply tpm =
          c.post(
              "/kbs/v0/auth",
              "{\"version\":\"0.4.0\",\"tee\":\"tpm\",\"extra-params\":\"\"}",
              false);
      assertThat(tpm.status()).as(tpm.body()).isEqualTo(200);
    }
  }
}
