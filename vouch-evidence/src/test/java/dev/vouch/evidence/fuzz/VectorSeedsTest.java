package dev.vouch.evidence.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fuzz target of {@link ParserFuzzTest} and {@link TeeFuzzTest} over every vector file in
 * test resources, whole, cut short and with one flipped bit: each either parses or is refused with
 * a failure code.
 */
class VectorSeedsTest {
  static Stream<Path> vectorFiles() throws IOException, URISyntaxException {
    Path root = Path.of(VectorSeedsTest.class.getResource("/vectors").toURI());
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThan(100);
    return files.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("vectorFiles")
  void everyTargetFailsClosedOnTheFileAndItsDamagedCopies(Path file) throws IOException {
    byte[] data = Files.readAllBytes(file);
    both(data);
    if (data.length > 0) {
      both(Arrays.copyOf(data, data.length / 2));
      both(Arrays.copyOf(data, data.length - 1));
      byte[] flipped = data.clone();
      flipped[data.length / 3] ^= 0x40;
      both(flipped);
    }
  }

  private static void both(byte[] data) {
    ParserFuzzTest.all(data);
    TeeFuzzTest.all(data);
  }
}
