package dev.vouch.evidence.tpm.ima;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.evidence.testing.ResearchData;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/** One sample of an {@code expected.json}: the folder it lives in, its name and its facts. */
record ImaVectors(Path folder, String name, JsonNode facts) {
  static final ObjectMapper JSON = new ObjectMapper();

  Path file() {
    return folder.resolve(name);
  }

  byte[] bytes() {
    return read(file());
  }

  static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every sample of the shared research folder's {@code vectors/ima/expected.json}. */
  static Stream<Arguments> research() {
    return all(ResearchData.vectors("ima"));
  }

  /** The samples copied into this module's test resources. */
  static Stream<Arguments> resources() {
    return all(resourceFolder());
  }

  static Path resourceFolder() {
    try {
      return Path.of(ImaVectors.class.getResource("/vectors/ima/expected.json").toURI())
          .getParent();
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static Stream<Arguments> all(Path folder) {
    try (InputStream in = Files.newInputStream(folder.resolve("expected.json"))) {
      JsonNode root = JSON.readTree(in);
      List<Arguments> out = new ArrayList<>();
      for (Map.Entry<String, JsonNode> e : root.properties()) {
        out.add(Arguments.of(new ImaVectors(folder, e.getKey(), e.getValue())));
      }
      return out.stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return name;
  }
}
