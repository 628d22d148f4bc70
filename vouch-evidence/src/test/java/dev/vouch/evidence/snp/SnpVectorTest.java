package dev.vouch.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every sample of vectors/sev-snp/expected.json verifies and yields exactly its report fields. */
class SnpVectorTest {

  static Stream<Arguments> samples() {
    JsonNode expected = SnpSamples.expected();
    Stream.Builder<Arguments> b = Stream.builder();
    for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      b.add(Arguments.of(e.getKey(), e.getValue()));
    }
    return b.build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void byDefaultASampleWithoutTheArkCrlIsRefused(String name, JsonNode facts) throws Exception {
    SnpSamples.Sample s = new SnpSamples.Sample(name, SnpSamples.COLLATERAL.get(name));
    VerificationException e =
        catchThrowableOfType(
            VerificationException.class,
            () -> new SnpEvidenceVerifier().verify(s.evidenceBytes(), s.expectations()));
    assertThat(e).isNotNull();
    assertThat(e.failure()).as(e.toString()).isEqualTo(Failure.COLLATERAL_MISSING);
    assertThat(e.getMessage()).contains("ARK-");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void sampleVerifiesWithTheClaimsItsExpectedJsonLists(String name, JsonNode facts)
      throws Exception {
    SnpSamples.Sample s = new SnpSamples.Sample(name, SnpSamples.COLLATERAL.get(name));
    assertThat(facts.path("report_signature_valid").asBoolean()).isTrue();
    assertThat(facts.path("chain").path("valid").asBoolean()).isTrue();

    VerifiedEvidence v = SnpSamples.VERIFIER.verify(s.evidenceBytes(), s.expectations());

    assertThat(v.tee()).isEqualTo(Tee.SNP);
    Claims c = v.claims();
    assertThat(c.get(SnpClaims.REVOCATION_CHECKED)).isEqualTo(false);
    JsonNode r = facts.path("report");
    assertThat(c.get(SnpClaims.VERSION)).isEqualTo(r.path("version").asLong());
    assertThat(c.get(SnpClaims.GUEST_SVN)).isEqualTo(r.path("guest_svn").asLong());
    assertThat(hexValue(c.get(SnpClaims.POLICY))).isEqualTo(hexValue(r.path("policy").asText()));
    assertThat(c.get(SnpClaims.FAMILY_ID)).isEqualTo(r.path("family_id").asText());
    assertThat(c.get(SnpClaims.IMAGE_ID)).isEqualTo(r.path("image_id").asText());
    assertThat(c.get(SnpClaims.VMPL)).isEqualTo(r.path("vmpl").asLong());
    assertThat(c.get(SnpClaims.SIGNATURE_ALGO)).isEqualTo(r.path("signature_algo").asLong());
    assertThat(hexValue(c.get(SnpClaims.PLATFORM_INFO)))
        .isEqualTo(hexValue(r.path("platform_info").asText()));
    assertThat(c.get(SnpClaims.REPORT_DATA)).isEqualTo(r.path("report_data").asText());
    assertThat(c.get(SnpClaims.MEASUREMENT)).isEqualTo(r.path("measurement").asText());
    assertThat(c.get(SnpClaims.HOST_DATA)).isEqualTo(r.path("host_data").asText());
    assertThat(c.get(SnpClaims.ID_KEY_DIGEST)).isEqualTo(r.path("id_key_digest").asText());
    assertThat(c.get(SnpClaims.AUTHOR_KEY_DIGEST)).isEqualTo(r.path("author_key_digest").asText());
    assertThat(c.get(SnpClaims.REPORT_ID)).isEqualTo(r.path("report_id").asText());
    assertThat(c.get(SnpClaims.REPORT_ID_MA)).isEqualTo(r.path("report_id_ma").asText());
    assertThat(c.get(SnpClaims.CHIP_ID)).isEqualTo(r.path("chip_id").asText());
    assertThat(c.get(SnpClaims.SIGNING_KEY))
        .isEqualTo(r.path("signing_key").asText().toLowerCase());
    assertThat(c.get(SnpClaims.PRODUCT)).isEqualTo("milan");
    assertThat(c.get(SnpClaims.CURRENT_VERSION))
        .isEqualTo(
            r.path("current_major").asInt()
                + "."
                + r.path("current_minor").asInt()
                + "."
                + r.path("current_build").asInt());
    assertThat(c.get(SnpClaims.COMMITTED_VERSION))
        .isEqualTo(
            r.path("committed_major").asInt()
                + "."
                + r.path("committed_minor").asInt()
                + "."
                + r.path("committed_build").asInt());
    JsonNode tcb = facts.path("reported_tcb_decoded");
    for (String part : new String[] {"bootloader", "tee", "snp", "microcode"}) {
      assertThat(c.get(SnpClaims.REPORTED_TCB + "." + part))
          .as(part)
          .isEqualTo(tcb.path(part).asLong());
    }
    assertTcb(c, SnpClaims.CURRENT_TCB, r.path("current_tcb").asText());
    assertTcb(c, SnpClaims.REPORTED_TCB, r.path("reported_tcb").asText());
    assertTcb(c, SnpClaims.COMMITTED_TCB, r.path("committed_tcb").asText());
    assertTcb(c, SnpClaims.LAUNCH_TCB, r.path("launch_tcb").asText());
    if (r.has("cpuid_fam_id")) {
      assertThat(c.get(SnpClaims.CPUID_FAMILY)).isEqualTo(r.path("cpuid_fam_id").asLong());
      assertThat(c.get(SnpClaims.CPUID_MODEL)).isEqualTo(r.path("cpuid_mod_id").asLong());
      assertThat(c.get(SnpClaims.CPUID_STEPPING)).isEqualTo(r.path("cpuid_step").asLong());
    } else {
      assertThat(c.get(SnpClaims.CPUID_FAMILY)).isNull();
    }
    long policy = hexValue(r.path("policy").asText());
    assertThat(c.get(SnpClaims.POLICY_DEBUG)).isEqualTo((policy & (1L << 19)) != 0);
    assertThat(c.get(SnpClaims.POLICY_MIGRATE_MA)).isEqualTo((policy & (1L << 18)) != 0);
    assertThat(c.get(SnpClaims.POLICY_SMT)).isEqualTo((policy & (1L << 16)) != 0);
    assertThat(c.get(SnpClaims.POLICY_SINGLE_SOCKET)).isEqualTo((policy & (1L << 20)) != 0);
    JsonNode vekExt = facts.path("vek").path("extensions");
    if (vekExt.has("cspId")) {
      assertThat(c.get(SnpClaims.VLEK_CSP_ID)).isEqualTo(vekExt.path("cspId").asText());
    }
  }

  /** Pre-Turin layout: bootloader byte 0, tee byte 1, snp byte 6, microcode byte 7. */
  private static void assertTcb(Claims c, String prefix, String hex) {
    long raw = hexValue(hex);
    assertThat(c.get(prefix + ".bootloader")).isEqualTo(raw & 0xff);
    assertThat(c.get(prefix + ".tee")).isEqualTo((raw >>> 8) & 0xff);
    assertThat(c.get(prefix + ".snp")).isEqualTo((raw >>> 48) & 0xff);
    assertThat(c.get(prefix + ".microcode")).isEqualTo((raw >>> 56) & 0xff);
    assertThat(c.get(prefix + ".fmc")).isNull();
  }

  private static long hexValue(Object hex) {
    String s = hex.toString();
    return Long.parseUnsignedLong(s.startsWith("0x") ? s.substring(2) : s, 16);
  }
}
