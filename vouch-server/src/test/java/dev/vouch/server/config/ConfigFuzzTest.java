package dev.vouch.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Jazzer fuzz target for the server's YAML configuration ({@link ConfigLoader#load}): the bytes are
 * written to a {@code vouch.yaml} and loaded as {@code vouch server --config} loads it. The
 * property: a file is loaded into a configuration or refused with a {@link ConfigException} naming
 * what is wrong (the CLI's exit 2); no other exception, which the CLI would report as an internal
 * error (exit 3), hang or out-of-memory. Seeds (the documented sample and small variants) are in
 * {@code ConfigFuzzTestInputs/configYaml}; {@code nul-in-path} and {@code nul-in-key-files} are the
 * first finding (a NUL character in a path value escaped as {@code InvalidPathException}).
 */
class ConfigFuzzTest {
  private static final Path FILE = file();

  private static Path file() {
    try {
      Path dir = Files.createTempDirectory("vouch-config-fuzz");
      dir.toFile().deleteOnExit();
      Path f = dir.resolve("vouch.yaml");
      f.toFile().deleteOnExit();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "30s")
  void configYaml(byte[] data) throws IOException {
    Files.write(FILE, data);
    try {
      ServerConfig c =
          ConfigLoader.load(Optional.of(FILE), Map.of(), Optional.empty(), Optional.empty());
      assertThat(c.dataDir()).isNotNull();
    } catch (ConfigException e) {
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
