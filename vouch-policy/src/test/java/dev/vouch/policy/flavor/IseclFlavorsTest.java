package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.report.TrustReportJson;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Real ISecL flavors, host manifest and golden trust report (intel-secl verifier test data). */
class IseclFlavorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static List<SignedFlavor> flavors() throws Exception {
    return FlavorJson.readSigned(Vectors.read("ca-data/intel-secl/signed_flavors.json"));
  }

  @Test
  void readsAllSixRealIseclFlavorsWithTheirRules() throws Exception {
    List<SignedFlavor> all = flavors();
    assertThat(all)
        .extracting(f -> f.flavor().part())
        .containsExactly(
            FlavorPart.PLATFORM,
            FlavorPart.OS,
            FlavorPart.HOST_UNIQUE,
            FlavorPart.SOFTWARE,
            FlavorPart.SOFTWARE,
            FlavorPart.ASSET_TAG);
    assertThat(all).allSatisfy(f -> assertThat(f.signature()).isPresent());
    Flavor platform = all.get(0).flavor();
    assertThat(platform.meta().id()).hasToString("b12eadd7-02da-4c9b-aed2-2252afa0260d");
    assertThat(platform.meta().describe("bios_version")).contains("4.1.8");
    assertThat(platform.pcrs())
        .hasSize(8)
        .allSatisfy(r -> assertThat(r.bank()).isEqualTo(HashAlg.SHA256));
    PcrRule pcr0 = platform.pcrs().stream().filter(r -> r.index() == 0).findFirst().orElseThrow();
    assertThat(pcr0.eventlogEquals()).get().satisfies(eq -> assertThat(eq.events()).hasSize(8));
    assertThat(pcr0.eventlogEquals().get().events().get(0).tags())
        .containsExactly("StartupLocality3");
    PcrRule os7 = all.get(1).flavor().pcrs().get(0);
    assertThat(os7.eventlogIncludes()).get().satisfies(l -> assertThat(l).hasSize(2));
    assertThat(os7.eventlogIncludes().get().get(0).typeId()).isEqualTo(0x80000001L);
    assertThat(all.get(3).flavor().meta().schemaUri()).contains("lib:wml:measurements:1.0");
  }

  @Test
  void exportGivesBackTheSameJsonTreeForEveryRealFlavor() throws Exception {
    JsonNode original = JSON.readTree(Vectors.read("ca-data/intel-secl/signed_flavors.json"));
    List<SignedFlavor> all = flavors();
    for (int i = 0; i < all.size(); i++) {
      assertThat((JsonNode) FlavorJson.writeSigned(all.get(i))).isEqualTo(original.get(i));
    }
    assertThat(FlavorJson.readSigned(FlavorJson.writeSigned(all))).isEqualTo(all);
  }

  @Test
  void realFlavorsMatchTheirHostManifestAsTheGoldenReportSays() throws Exception {
    HostEvidence host =
        HostEvidence.fromIseclManifest(Vectors.read("ca-data/intel-secl/host_manifest.json"));
    Map<FlavorPart, MatchPolicy> p = new EnumMap<>(FlavorPart.class);
    MatchPolicy anyRequired =
        new MatchPolicy(MatchPolicy.MatchType.ANY_OF, MatchPolicy.Required.REQUIRED);
    p.put(FlavorPart.PLATFORM, anyRequired);
    p.put(FlavorPart.OS, anyRequired);
    p.put(
        FlavorPart.HOST_UNIQUE,
        new MatchPolicy(MatchPolicy.MatchType.LATEST, MatchPolicy.Required.REQUIRED_IF_DEFINED));
    // ISecL signs with RSA over Go's JSON encoding, which Vouch does not reproduce
    HostTrust trust =
        FlavorMatcher.withoutSignatureChecks()
            .match(new FlavorGroup("intel20", p), flavors(), host);

    var expected =
        TrustReportJson.readFlavorsTrust(
            JSON.readTree(Vectors.read("ca-data/intel-secl/trust_report.json")));
    for (FlavorPart part : List.of(FlavorPart.PLATFORM, FlavorPart.OS)) {
      assertThat(trust.parts().get(part).trusted())
          .as(part.name())
          .isEqualTo(expected.get(part).trusted());
      for (FlavorRuleResult want : expected.get(part).rules()) {
        if (!want.ruleName().startsWith("Pcr") || want.ruleName().equals("PcrEventLogIntegrity")) {
          continue; // AIK and flavor-signature rules are checked elsewhere in Vouch
        }
        assertThat(trust.parts().get(part).rules())
            .as(part + " " + want.ruleName() + " PCR " + want.pcrIndex())
            .anySatisfy(
                got -> {
                  assertThat(got.ruleName()).isEqualTo(want.ruleName());
                  assertThat(got.pcrIndex()).isEqualTo(want.pcrIndex());
                  assertThat(got.flavorId()).isEqualTo(want.flavorId());
                  assertThat(got.trusted()).isEqualTo(want.trusted());
                });
      }
    }
    // the HOST_UNIQUE flavor names another machine (8dbf926c-...), so the group does not link it to
    // this host; the ISecL library test hands it to the verifier directly, which evaluate() mirrors
    assertThat(trust.parts()).doesNotContainKey(FlavorPart.HOST_UNIQUE);
    assertThat(FlavorMatcher.withoutSignatureChecks().evaluate(flavors().get(2), host).trusted())
        .isEqualTo(expected.get(FlavorPart.HOST_UNIQUE).trusted());
    assertThat(trust.overall()).isTrue();
    assertThat(trust.status()).isEqualTo(HostStatus.VERIFIED);
  }

  @Test
  void aChangedManifestPcrFailsThePlatformFlavorWithPcrValueMismatch() throws Exception {
    ObjectNode manifest =
        (ObjectNode) JSON.readTree(Vectors.read("ca-data/intel-secl/host_manifest.json"));
    ((ObjectNode) manifest.path("pcr_manifest").path("sha2pcrs").get(5))
        .put("value", "00".repeat(32));
    HostEvidence host = HostEvidence.fromIseclManifest(JSON.writeValueAsBytes(manifest));
    HostTrust trust =
        FlavorMatcher.withoutSignatureChecks()
            .match(FlavorGroup.automatic(), flavors().subList(0, 2), host);
    assertThat(trust.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
    assertThat(trust.parts().get(FlavorPart.PLATFORM).trusted()).isFalse();
    assertThat(trust.parts().get(FlavorPart.PLATFORM).rules())
        .flatExtracting(FlavorRuleResult::faults)
        .extracting(Fault::name)
        .containsExactly("PcrValueMismatchSHA256");
  }

  @Test
  void importedIseclSignaturesAreNotTrustedByAVouchKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    FlavorMatcher m = FlavorMatcher.trusting(List.of(g.generateKeyPair().getPublic()));
    HostEvidence host =
        HostEvidence.fromIseclManifest(Vectors.read("ca-data/intel-secl/host_manifest.json"));
    FlavorResult r = m.evaluate(flavors().get(0), host);
    assertThat(r.trusted()).isFalse();
    assertThat(r.faults())
        .extracting(Fault::name)
        .containsExactly(Fault.FLAVOR_SIGNATURE_NOT_TRUSTED);
  }

  @Test
  void rejectsFlavorsThatAreNotWellFormed() {
    assertBad("{\"flavor\":{\"meta\":{\"id\":\"x\",\"description\":{\"flavor_part\":\"OS\"}}}}");
    assertBad(
        "{\"meta\":{\"id\":\"b12eadd7-02da-4c9b-aed2-2252afa0260d\",\"description\":{\"flavor_part\":\"BIOS\"}}}");
    String meta =
        "{\"meta\":{\"id\":\"b12eadd7-02da-4c9b-aed2-2252afa0260d\",\"description\":{\"flavor_part\":\"OS\"}},";
    assertBad(
        meta + "\"pcrs\":[{\"pcr\":{\"index\":24,\"bank\":\"SHA256\"},\"measurement\":\"00\"}]}");
    assertBad(
        meta + "\"pcrs\":[{\"pcr\":{\"index\":1,\"bank\":\"SHA256\"},\"measurement\":\"zz\"}]}");
    assertBad(
        meta
            + "\"pcrs\":[{\"pcr\":{\"index\":1,\"bank\":\"SHA256\"},\"measurement\":\"00\","
            + "\"eventlog_equals\":{\"events\":[]},\"eventlog_includes\":[]}]}");
    assertBad("[1,2]");
    assertBad("not json");
  }

  private static void assertBad(String json) {
    assertThatThrownBy(() -> FlavorJson.readSigned(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(Failure.MALFORMED));
  }
}
