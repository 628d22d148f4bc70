package dev.vouch.evidence.cca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Claims;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.psa.PsaClaims;
import dev.vouch.evidence.psa.PsaTokenVerifier;
import dev.vouch.evidence.testing.ResearchData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every sample in the shared {@code vectors/cca/expected.json} gives exactly the result recorded
 * there: validity and every listed claim, mapped from claim keys to Vouch claim names, and no
 * platform or realm claim that the record does not list.
 */
class CcaExpectedResultsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The platform key shipped beside each CCA sample (see the MANIFEST). */
  private static final Map<String, String> CCA_KEYS =
      Map.of("ccatoken", "ccatoken/cca_platform.pub", "trustee", "trustee/cpak-pub.json");

  private static final Map<String, String> PLATFORM_NAMES =
      Map.of(
          "265", CcaClaims.PLATFORM_PROFILE,
          "10", CcaClaims.PLATFORM_CHALLENGE,
          "2396", CcaClaims.PLATFORM_IMPLEMENTATION_ID,
          "256", CcaClaims.PLATFORM_INSTANCE_ID,
          "2401", CcaClaims.PLATFORM_CONFIG,
          "2395", CcaClaims.PLATFORM_LIFECYCLE,
          "2402", CcaClaims.PLATFORM_HASH_ALGO,
          "2400", CcaClaims.PLATFORM_VERIFICATION_SERVICE);
  private static final Map<String, String> SW_NAMES =
      Map.of("1", "type", "2", "measurement", "4", "version", "5", "signer_id", "6", "hash_algo");
  private static final Map<String, String> REALM_NAMES =
      Map.of(
          "10", CcaClaims.REALM_CHALLENGE,
          "44235", CcaClaims.REALM_PERSONALIZATION_VALUE,
          "44236", CcaClaims.REALM_HASH_ALGO,
          "44237", CcaClaims.REALM_PUBLIC_KEY,
          "44238", CcaClaims.REALM_RIM,
          "44240", CcaClaims.REALM_PUBLIC_KEY_HASH_ALGO);
  private static final Map<String, String> PSA_NAMES = new HashMap<>();

  static {
    String[][] psa = {
      {"265", "-75000", PsaClaims.PROFILE},
      {"10", "-75008", PsaClaims.NONCE},
      {"256", "-75009", PsaClaims.INSTANCE_ID},
      {"2396", "-75003", PsaClaims.IMPLEMENTATION_ID},
      {"2394", "-75001", PsaClaims.CLIENT_ID},
      {"2395", "-75002", PsaClaims.LIFECYCLE},
      {"2397", "-75004", PsaClaims.BOOT_SEED},
      {"2398", "-75005", PsaClaims.CERTIFICATION_REFERENCE},
      {"2400", "-75010", PsaClaims.VERIFICATION_SERVICE},
    };
    for (String[] row : psa) {
      PSA_NAMES.put(row[0], row[2]);
      PSA_NAMES.put(row[1], row[2]);
    }
  }

  static Stream<String> samples() throws Exception {
    List<String> names = new ArrayList<>();
    expected().fieldNames().forEachRemaining(names::add);
    return names.stream();
  }

  private static JsonNode expected() throws Exception {
    return JSON.readTree(ResearchData.vectors("cca").resolve("expected.json").toFile());
  }

  private static byte[] file(String name) throws Exception {
    return Files.readAllBytes(ResearchData.vectors("cca").resolve(name));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void sampleGivesTheRecordedResult(String sample) throws Exception {
    JsonNode want = expected().get(sample);
    if (sample.startsWith("psatoken/")) {
      assertPsa(sample, want);
    } else {
      assertCca(sample, want);
    }
  }

  private static void assertCca(String sample, JsonNode want) throws Exception {
    assertThat(want.path("platform_signature_valid").asBoolean()).isTrue();
    assertThat(want.path("realm_signature_valid_with_RAK_from_claim_44237").asBoolean()).isTrue();
    assertThat(want.path("binding").path("holds").asBoolean()).isTrue();
    String keyFile = CCA_KEYS.get(Path.of(sample).getParent().toString());
    Claims claims =
        new CcaEvidenceVerifier()
            .verify(file(sample), Expectations.none().withCollateral(List.of(file(keyFile))))
            .claims();

    Map<String, Object> expectedClaims = new TreeMap<>();
    JsonNode platform = want.path("platform_claims");
    for (Iterator<String> it = platform.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (key.equals("2399")) {
        JsonNode sw = platform.get(key);
        expectedClaims.put(CcaClaims.PLATFORM_SW_COMPONENTS, (long) sw.size());
        for (int i = 0; i < sw.size(); i++) {
          for (Iterator<String> f = sw.get(i).fieldNames(); f.hasNext(); ) {
            String k = f.next();
            expectedClaims.put(
                CcaClaims.PLATFORM_SW + i + "." + SW_NAMES.get(k), value(sw.get(i).get(k)));
          }
        }
      } else {
        assertThat(PLATFORM_NAMES).containsKey(key);
        expectedClaims.put(PLATFORM_NAMES.get(key), value(platform.get(key)));
      }
    }
    JsonNode realm = want.path("realm_claims");
    for (Iterator<String> it = realm.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (key.equals("44239")) {
        for (int i = 0; i < realm.get(key).size(); i++) {
          expectedClaims.put(CcaClaims.REALM_REM + i, realm.get(key).get(i).asText());
        }
      } else {
        assertThat(REALM_NAMES).containsKey(key);
        expectedClaims.put(REALM_NAMES.get(key), value(realm.get(key)));
      }
    }
    Map<String, Object> actual = new TreeMap<>(claims.asMap());
    // derived claims the record does not list
    actual.remove(CcaClaims.PLATFORM_LIFECYCLE_STATE);
    assertThat(actual.remove(CcaClaims.REPORT_DATA))
        .isEqualTo(expectedClaims.get(CcaClaims.REALM_CHALLENGE));
    assertThat(actual).isEqualTo(expectedClaims);
  }

  private static void assertPsa(String sample, JsonNode want) throws Exception {
    assertThat(want.path("signature_valid").asBoolean()).isTrue();
    EcKey key =
        CcaTrustAnchor.recognise(file(want.path("signature_valid_with").asText())).get(0).key();
    Claims claims = new PsaTokenVerifier(List.of(key)).verify(file(sample), Optional.empty());
    JsonNode expected = want.path("claims");
    for (Iterator<String> it = expected.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      assertThat(PSA_NAMES).containsKey(k);
      assertThat(claims.get(PSA_NAMES.get(k))).as(k).isEqualTo(value(expected.get(k)));
    }
  }

  private static Object value(JsonNode n) {
    return n.isNumber() ? (Object) n.asLong() : n.asText();
  }
}
