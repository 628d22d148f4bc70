package dev.vouch.evidence.cca;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Claims;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Trustee's CCA verifier output ({@code cca-claims.json}, from another, synthetic token) names the
 * claims by their CCA field names with base64 bytes. Every one of them has a Vouch claim of the
 * matching kind for the Trustee example token, so a Trustee policy can be ported name for name.
 */
class TrusteeClaimNamesTest {
  private static final Map<String, String> PLATFORM =
      Map.of(
          "cca-platform-profile", CcaClaims.PLATFORM_PROFILE,
          "cca-platform-implementation-id", CcaClaims.PLATFORM_IMPLEMENTATION_ID,
          "cca-platform-instance-id", CcaClaims.PLATFORM_INSTANCE_ID,
          "cca-platform-challenge", CcaClaims.PLATFORM_CHALLENGE,
          "cca-platform-config", CcaClaims.PLATFORM_CONFIG,
          "cca-platform-lifecycle", CcaClaims.PLATFORM_LIFECYCLE,
          "cca-platform-service-indicator", CcaClaims.PLATFORM_VERIFICATION_SERVICE,
          "cca-platform-hash-algo-id", CcaClaims.PLATFORM_HASH_ALGO);
  private static final Map<String, String> SW =
      Map.of(
          "measurement-type", "type",
          "measurement-value", "measurement",
          "signer-id", "signer_id",
          "version", "version");
  private static final Map<String, String> REALM =
      Map.of(
          "cca-realm-challenge", CcaClaims.REALM_CHALLENGE,
          "cca-realm-personalization-value", CcaClaims.REALM_PERSONALIZATION_VALUE,
          "cca-realm-initial-measurement", CcaClaims.REALM_RIM,
          "cca-realm-hash-algo-id", CcaClaims.REALM_HASH_ALGO,
          "cca-realm-public-key", CcaClaims.REALM_PUBLIC_KEY,
          "cca-realm-public-key-hash-algo-id", CcaClaims.REALM_PUBLIC_KEY_HASH_ALGO);

  @Test
  void everyTrusteeCcaClaimHasAVouchClaimOfTheSameKind() throws Exception {
    JsonNode trustee = CcaVectors.json("trustee/cca-claims.json");
    Claims ours =
        new CcaEvidenceVerifier(CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.TRUSTEE_CPAK)))
            .verify(CcaVectors.bytes(CcaVectors.TRUSTEE_TOKEN), Expectations.none())
            .claims();
    List<String> checked = new ArrayList<>();

    JsonNode platform = trustee.path("platform");
    for (Iterator<String> it = platform.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (field.equals("cca-platform-sw-components")) {
        JsonNode sw = platform.get(field).get(0);
        for (Iterator<String> f = sw.fieldNames(); f.hasNext(); ) {
          String k = f.next();
          assertThat(SW).containsKey(k);
          // the Trustee token's components carry no version; the TF-RMM token's do
          if (!k.equals("version")) {
            assertSameKind(sw.get(k), ours.get(CcaClaims.PLATFORM_SW + "0." + SW.get(k)));
          }
          checked.add(k);
        }
        continue;
      }
      assertThat(PLATFORM).as(field).containsKey(field);
      assertSameKind(platform.get(field), ours.get(PLATFORM.get(field)));
      checked.add(field);
    }
    JsonNode realm = trustee.path("realm");
    for (Iterator<String> it = realm.fieldNames(); it.hasNext(); ) {
      String field = it.next();
      if (field.equals("cca-realm-extensible-measurements")) {
        for (int i = 0; i < realm.get(field).size(); i++) {
          assertSameKind(realm.get(field).get(i), ours.get(CcaClaims.REALM_REM + i));
        }
        checked.add(field);
        continue;
      }
      assertThat(REALM).as(field).containsKey(field);
      assertSameKind(realm.get(field), ours.get(REALM.get(field)));
      checked.add(field);
    }
    // Trustee's report_data is the realm challenge; ours says so under cca.report_data
    assertThat(ours.get(CcaClaims.REPORT_DATA)).isEqualTo(ours.get(CcaClaims.REALM_CHALLENGE));
    assertThat(checked).hasSize(8 + 4 + 7);
  }

  /** base64 bytes map to hex, numbers to longs, names to the same text form. */
  private static void assertSameKind(JsonNode trustee, Object ours) {
    assertThat(ours).isNotNull();
    if (trustee.isNumber()) {
      assertThat(ours).isInstanceOf(Long.class);
    } else if (trustee.asText().matches("[A-Za-z0-9+/]+=*") && trustee.asText().length() >= 4) {
      assertThat(ours).isInstanceOf(String.class);
      assertThat(Hex.isHex((String) ours)).isTrue();
    } else {
      assertThat(ours).isInstanceOf(String.class);
      assertThat((String) ours).doesNotMatch("^[0-9a-f]+$");
    }
  }
}
