package dev.vouch.policy.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.flavor.FlavorJson;
import java.io.InputStream;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Random and truncated input only ever fails with a VerificationException of a parse kind. */
class ReportAndFlavorParsingPropertiesTest {
  private static final Set<Failure> PARSE =
      Set.of(Failure.MALFORMED, Failure.TRUNCATED, Failure.UNSUPPORTED);

  @Property(tries = 200)
  void randomBytesNeverEscapeAsAnotherException(@ForAll byte[] input) {
    parseFailsCleanly(() -> FlavorJson.readSigned(input));
    parseFailsCleanly(() -> TrustReportJson.read(input));
    parseFailsCleanly(
        () ->
            TrustReports.verifyWithoutRevocation(
                    new String(input, java.nio.charset.StandardCharsets.ISO_8859_1),
                    List.<X509Certificate>of(),
                    Instant.EPOCH)
                .report(),
        Failure.CHAIN_UNTRUSTED);
  }

  @Property(tries = 100)
  void truncatedRealFlavorsAndReportsFailCleanly(@ForAll @IntRange(min = 0, max = 100_000) int cut)
      throws Exception {
    byte[] flavors = read("ca-data/intel-secl/signed_flavors.json");
    byte[] report = read("ca-data/open-edge/fault_trust_report.json");
    byte[] f = Arrays.copyOf(flavors, Math.min(cut, flavors.length - 1));
    byte[] r = Arrays.copyOf(report, Math.min(cut, report.length - 1));
    parseFailsCleanly(() -> FlavorJson.readSigned(f));
    parseFailsCleanly(() -> TrustReportJson.read(r));
  }

  interface Parse {
    Object run() throws VerificationException;
  }

  private static void parseFailsCleanly(Parse p, Failure... alsoAllowed) {
    try {
      p.run();
    } catch (VerificationException e) {
      assertThat(PARSE.contains(e.failure()) || Arrays.asList(alsoAllowed).contains(e.failure()))
          .as(e.failure() + ": " + e.getMessage())
          .isTrue();
    }
  }

  private static byte[] read(String path) throws Exception {
    try (InputStream in =
        ReportAndFlavorParsingPropertiesTest.class.getResourceAsStream("/vectors/" + path)) {
      return in.readAllBytes();
    }
  }
}
