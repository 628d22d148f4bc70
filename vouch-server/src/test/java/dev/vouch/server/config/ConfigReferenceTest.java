package dev.vouch.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/configuration.md is generated from {@link ConfigReference}, which must describe exactly the
 * loader's keys with the loader's defaults; every configuration key the docs and the README name
 * must exist. Run with {@code -Dvouch.docs.write=true} to rewrite the page.
 */
class ConfigReferenceTest {
  static final Path DOCS = Path.of("../docs");
  static final Path PAGE = DOCS.resolve("configuration.md");

  @TempDir Path dir;

  @Test
  void theReferenceDescribesExactlyTheKeysTheLoaderAccepts() {
    List<String> loader = new ArrayList<>();
    ConfigLoader.knownKeys()
        .forEach((s, keys) -> keys.forEach(k -> loader.add(s.isEmpty() ? k : s + "." + k)));
    assertThat(ConfigReference.keys().stream().map(ConfigReference.Key::path).toList())
        .containsExactlyElementsOf(loader);
    assertThat(ConfigReference.sections().keySet())
        .containsExactlyElementsOf(ConfigLoader.knownKeys().keySet());
  }

  @Test
  void everyDocumentedDefaultIsWhatTheLoaderUsesWhenTheKeyIsAbsent() throws Exception {
    ServerConfig absent = load("");
    // the comparison can tell configurations apart (else the loop below would prove nothing)
    assertThat(load("http: {port: 8444}\n")).isNotEqualTo(absent);
    SoftAssertions soft = new SoftAssertions();
    int checked = 0;
    for (ConfigReference.Key k : ConfigReference.keys()) {
      if (k.defaultValue().isEmpty()) {
        continue;
      }
      String yaml =
          k.section().isEmpty()
              ? k.name() + ": " + k.defaultValue().get() + "\n"
              : k.section() + ": {" + k.name() + ": " + k.defaultValue().get() + "}\n";
      soft.assertThat(load(yaml))
          .as(k.path() + " default " + k.defaultValue().get())
          .isEqualTo(absent);
      checked++;
    }
    soft.assertAll();
    assertThat(checked).isGreaterThan(20);
  }

  @Test
  void theSampleFileLoads() throws Exception {
    ServerConfig c = load(ConfigReference.SAMPLE);
    assertThat(c.hosts().goldenMode()).isEqualTo("strict");
    assertThat(c.storage().jdbcUrl()).contains("jdbc:postgresql://db:5432/vouch");
  }

  @Test
  void theGeneratedPageIsUpToDate() throws IOException {
    String generated = ConfigReference.markdown();
    if (Boolean.getBoolean("vouch.docs.write")) {
      Files.writeString(PAGE, generated);
    }
    assertThat(Files.readString(PAGE))
        .as("docs/configuration.md is stale: rerun this test with -Dvouch.docs.write=true")
        .isEqualTo(generated);
  }

  @Test
  void everyConfigurationKeyNamedInTheDocsAndReadmeExists() throws IOException {
    Pattern key =
        Pattern.compile(
            "(?<![\\w.$/-])("
                + String.join(
                    "|",
                    ConfigLoader.knownKeys().keySet().stream().filter(s -> !s.isEmpty()).toList())
                + ")\\.([a-z][a-z0-9_]*)(?![\\w(/])");
    List<Path> files = new ArrayList<>();
    files.add(Path.of("../README.md"));
    try (Stream<Path> s = Files.list(DOCS)) {
      s.filter(p -> p.toString().endsWith(".md")).forEach(files::add);
    }
    TreeSet<String> unknown = new TreeSet<>();
    int seen = 0;
    for (Path f : files) {
      Matcher m = key.matcher(Files.readString(f));
      while (m.find()) {
        seen++;
        List<String> known = ConfigLoader.knownKeys().get(m.group(1));
        if (!known.contains(m.group(2))) {
          unknown.add(f.getFileName() + ": " + m.group());
        }
      }
    }
    assertThat(unknown).as("configuration keys the loader does not know").isEmpty();
    assertThat(seen).isGreaterThan(10);
  }

  private ServerConfig load(String yaml) throws Exception {
    Path f = Files.writeString(Files.createTempFile(dir, "vouch", ".yaml"), yaml);
    return ConfigLoader.load(Optional.of(f), Map.of(), Optional.empty(), Optional.empty());
  }
}
