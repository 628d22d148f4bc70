package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Tee;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.IntelPki;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trustee's own TDX claim vector ({@code parse_tdx_claims}: tdx_quote_4.dat, expected JSON from
 * deps/verifier/test_data) against the Trustee claim tree Vouch builds from the verified quote,
 * claim by claim. The quote has no Intel collateral of its own, so it is verified up to its PCK
 * chain (as Trustee's parse test does, which checks no collateral either).
 */
class TrusteeVectorParityTest {
  /**
   * Trustee claims Vouch deliberately does not emit in this tree: the parsed UEFI event log (Vouch
   * replays the CCEL and reports {@code tdx.ccel.*} instead of copying every event into the token)
   * and {@code platform_instance_id} (from the PCK certificate's platform flags, not parsed yet).
   */
  static final Set<String> DELIBERATE_DIFFERENCES =
      Set.of("uefi_event_logs", "platform_instance_id");

  private static JsonNode expected;
  private static JsonNode actual;

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = TrusteeVectorParityTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  @BeforeAll
  static void verify() throws Exception {
    ObjectMapper m = new ObjectMapper();
    expected = m.readTree(resource("/vectors/tdx/trustee/parse_tdx_claims_expected.json"));
    VerifiedEvidence v =
        new TdxEvidenceVerifier(new DcapQuoteVerifier(IntelPki.production(), false))
            .verify(
                resource("/vectors/tdx/trustee/tdx_quote_4.dat"),
                new Expectations(
                    Optional.empty(), Instant.parse("2025-01-01T00:00:00Z"), List.of()));
    Map<String, Object> tree = TrusteeClaimTree.of(Tee.TDX, v.claims().asMap()).orElseThrow();
    actual = m.valueToTree(tree);
  }

  /** Every leaf path of {@code n} ({@code quote.body.mr_td}, ...). */
  private static List<String> leaves(JsonNode n, String prefix) {
    List<String> out = new ArrayList<>();
    if (!n.isObject()) {
      out.add(prefix);
      return out;
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      out.addAll(leaves(n.get(f), prefix.isEmpty() ? f : prefix + "." + f));
    }
    return out;
  }

  private static JsonNode at(JsonNode n, String path) {
    for (String p : path.split("\\.")) {
      n = n.path(p);
    }
    return n;
  }

  @Test
  void everyTrusteeClaimButTheListedDifferencesIsEmittedWithTrusteesValue() {
    List<String> compared = new ArrayList<>();
    for (String path : leaves(expected, "")) {
      if (DELIBERATE_DIFFERENCES.contains(path.split("\\.")[0])) {
        continue;
      }
      assertThat(at(actual, path)).as(path).isEqualTo(expected.at("/" + path.replace('.', '/')));
      compared.add(path);
    }
    // header (6) + body (15, a TDX 1.0 body) + td_attributes (5) + report_data + init_data
    assertThat(compared).hasSize(28).contains("td_attributes.key_locker", "quote.header.vendor_id");
  }

  @Test
  void theDeliberateDifferencesAreTheOnlyTrusteeClaimsMissing() {
    List<String> missing = new ArrayList<>();
    for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!actual.has(f)) {
        missing.add(f);
      }
    }
    assertThat(missing).containsExactlyInAnyOrderElementsOf(DELIBERATE_DIFFERENCES);
  }
}
