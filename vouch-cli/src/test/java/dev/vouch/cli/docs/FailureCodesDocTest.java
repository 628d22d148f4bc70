package dev.vouch.cli.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pages that name failure codes name only codes that exist: a code in backticks that looks like
 * one (upper case with an underscore) must be a constant of {@link Failure} (or an enrollment
 * refusal's code), and the evidence page must name at least the codes every verifier shares.
 */
class FailureCodesDocTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern CODE = Pattern.compile("`([A-Z][A-Z0-9]*_[A-Z0-9_]+)`");
  // the verification vocabulary, and the registrar's own codes for enrollment refusals
  private static final Set<String> CODES =
      java.util.stream.Stream.concat(
              Arrays.stream(Failure.values()).map(Failure::name),
              Arrays.stream(dev.vouch.server.registrar.EnrollmentError.values()).map(Enum::name))
          .collect(Collectors.toSet());

  @ParameterizedTest
  @ValueSource(strings = {"docs/evidence.md", "docs/operations.md", "docs/threat-model.md"})
  void everyCodeNamedExists(String page) throws Exception {
    String text = Files.readString(ROOT.resolve(page));
    Set<String> named = new TreeSet<>();
    Matcher m = CODE.matcher(text);
    while (m.find()) {
      named.add(m.group(1));
    }
    // environment variables, event types and socket options are not codes
    named.removeIf(n -> n.startsWith("VOUCH_") || n.startsWith("EV_") || n.startsWith("SO_"));
    assertThat(named).as(page + " names codes").isNotEmpty();
    assertThat(CODES).as("codes named in " + page).containsAll(named);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "TRUNCATED",
        "MALFORMED",
        "UNSUPPORTED",
        "SIGNATURE_INVALID",
        "CHAIN_UNTRUSTED",
        "NONCE_MISMATCH",
        "REPORT_DATA_MISMATCH"
      })
  void theEvidencePageNamesTheSharedCodes(String code) throws Exception {
    assertThat(Files.readString(ROOT.resolve("docs/evidence.md"))).contains("`" + code + "`");
  }
}
