package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerCommandTest {
  @TempDir Path dir;

  @Test
  void anInvalidConfigurationExitsTwoAndNamesTheKey() throws Exception {
    Path cfg = Files.writeString(dir.resolve("vouch.yaml"), "http:\n  port: 99999\n");
    CliRun r =
        CliRun.of("server", "--config", cfg.toString(), "--data-dir", dir.resolve("d").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("http.port must be in 0..65535");
  }

  @Test
  void anUnknownKeyExitsTwo() throws Exception {
    Path cfg = Files.writeString(dir.resolve("vouch.yaml"), "tls:\n  mod: off\n");
    CliRun r = CliRun.of("server", "--config", cfg.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("tls.mod");
  }

  @Test
  void aCollateralFolderThatIsNotAFolderExitsTwo() throws Exception {
    CliRun r =
        CliRun.of(
            "server",
            "--data-dir",
            dir.resolve("d").toString(),
            "--collateral",
            dir.resolve("missing").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--collateral").contains("missing");
  }
}
