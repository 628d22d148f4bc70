package dev.vouch.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/threat-model.md names, for each attack, the test that shows it refused. A renamed or deleted
 * test would leave the document claiming a proof that no longer runs, so every {@code Class#method}
 * it names must exist as a test method in some module's test sources.
 */
class ThreatModelDocTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void everyTestTheThreatModelNamesExists() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs/threat-model.md"));
    Map<String, StringBuilder> sources = new HashMap<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      for (Path f :
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(p -> p.toString().contains("/src/test/java/"))
              .toList()) {
        String name = f.getFileName().toString().replace(".java", "");
        sources.computeIfAbsent(name, k -> new StringBuilder()).append(Files.readString(f));
      }
    }
    Matcher m = Pattern.compile("`([A-Z]\\w+)?#(\\w+)`").matcher(doc);
    String current = null;
    List<String> missing = new ArrayList<>();
    int named = 0;
    while (m.find()) {
      // a bare `#method` continues the class named last, as the table cells read
      current = m.group(1) != null ? m.group(1) : current;
      named++;
      StringBuilder src = current == null ? null : sources.get(current);
      if (src == null || !Pattern.compile("void " + m.group(2) + "\\(").matcher(src).find()) {
        missing.add(current + "#" + m.group(2));
      }
    }
    assertThat(named).as("tests named in the threat model").isGreaterThan(50);
    assertThat(missing).as("tests the threat model names but the code lacks").isEmpty();
  }
}
