package dev.vouch.evidence.cca;

import static dev.vouch.evidence.cca.CborWriter.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.Verifiers;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CcaEvidenceVerifierTest {
  private static final byte[] TRUSTEE = CcaVectors.bytes(CcaVectors.TRUSTEE_TOKEN);
  private static final byte[] RMM = CcaVectors.bytes(CcaVectors.RMM_TOKEN);
  private static final String TRUSTEE_CHALLENGE =
      "57e979ae2618de0c1ab73144c440d741cf9236dc9d52ed190053382a4d190252"
          + "f9f0370403c35dcb155fb4362d73c66d5b0494bf939315d3dc52b8cdc8b85a96";

  private static Expectations withCollateral(Optional<byte[]> nonce, String... files) {
    return new Expectations(
        nonce, Instant.now(), Arrays.stream(files).map(CcaVectors::bytes).toList());
  }

  private static VerifiedEvidence verify(byte[] token, Expectations e)
      throws VerificationException {
    return new CcaEvidenceVerifier().verify(token, e);
  }

  private static void assertFails(ThrowingRunnable r, Failure failure) {
    assertThatThrownBy(r::run)
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(failure));
  }

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void verifiesTheTrusteeExampleTokenWithItsJwkCpak() throws Exception {
    VerifiedEvidence v = verify(TRUSTEE, withCollateral(Optional.empty(), CcaVectors.TRUSTEE_CPAK));
    assertThat(v.tee()).isEqualTo(Tee.CCA);
    assertThat(v.claims().get(CcaClaims.REALM_CHALLENGE)).isEqualTo(TRUSTEE_CHALLENGE);
    assertThat(v.claims().get(CcaClaims.REPORT_DATA)).isEqualTo(TRUSTEE_CHALLENGE);
    assertThat(v.claims().get(CcaClaims.PLATFORM_LIFECYCLE)).isEqualTo(12291L);
    assertThat(v.claims().get(CcaClaims.PLATFORM_LIFECYCLE_STATE)).isEqualTo("secured");
    assertThat(v.claims().get(CcaClaims.PLATFORM_SW_COMPONENTS)).isEqualTo(13L);
    assertThat(v.claims().get("cca.platform.sw.8.type")).isEqualTo("RMM");
    assertThat(v.claims().get("cca.platform.sw.8.measurement"))
        .isEqualTo("a1fb50e6c86fae1679ef3351296fd6713411a08cf8dd1790a4fd05fae8688164");
    assertThat(v.claims().get(CcaClaims.REALM_HASH_ALGO)).isEqualTo("sha-512");
    assertThat(v.claims().get(CcaClaims.REALM_PROFILE)).isNull();
  }

  @Test
  void verifiesTheTfRmmTokenWithItsPemCpak() throws Exception {
    VerifiedEvidence v = verify(RMM, withCollateral(Optional.empty(), CcaVectors.RMM_CPAK));
    assertThat(v.claims().get(CcaClaims.REALM_CHALLENGE)).isEqualTo("ab".repeat(64));
    assertThat(v.claims().get("cca.platform.sw.0.version")).isEqualTo("3.4.2");
    assertThat(v.claims().get("cca.platform.sw.1.hash_algo")).isNull();
    assertThat(v.claims().get(CcaClaims.REALM_PERSONALIZATION_VALUE))
        .isEqualTo(
            Hex.encode(
                "The quick brown fox jumps over 13 lazy dogs.The quick brown fox "
                    .getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void verifiesWithATrustAnchorStoreThatNamesThePlatform() throws Exception {
    assertThat(verify(RMM, withCollateral(Optional.empty(), CcaVectors.TRUSTEE_TA_STORE)).claims())
        .isEqualTo(verify(RMM, withCollateral(Optional.empty(), CcaVectors.RMM_CPAK)).claims());
  }

  @Test
  void verifiesWithAConfiguredAnchorAndNoCollateral() throws Exception {
    List<CcaTrustAnchor> anchors =
        CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.TRUSTEE_CPAK));
    VerifiedEvidence v = new CcaEvidenceVerifier(anchors).verify(TRUSTEE, Expectations.none());
    assertThat(v.claims().get(CcaClaims.PLATFORM_CONFIG)).isEqualTo("cfcfcfcf");
  }

  @Test
  void isTheRegisteredVerifierForCca() throws Exception {
    var verifier = Verifiers.defaults().forTee(Tee.CCA).orElseThrow();
    assertThat(
            verifier
                .verify(TRUSTEE, withCollateral(Optional.empty(), CcaVectors.TRUSTEE_CPAK))
                .tee())
        .isEqualTo(Tee.CCA);
  }

  @Test
  void acceptsTrusteeEvidenceJsonWithTheTokenAsAByteArray() throws Exception {
    String json =
        IntStream.range(0, TRUSTEE.length)
            .mapToObj(i -> Integer.toString(TRUSTEE[i] & 0xff))
            .collect(Collectors.joining(",", "{\"token\":[", "]}"));
    VerifiedEvidence v =
        verify(
            json.getBytes(StandardCharsets.UTF_8),
            withCollateral(Optional.empty(), CcaVectors.TRUSTEE_CPAK));
    assertThat(v.claims().get(CcaClaims.REALM_CHALLENGE)).isEqualTo(TRUSTEE_CHALLENGE);
    assertFails(
        () -> verify("{\"token\":[1,256]}".getBytes(StandardCharsets.UTF_8), Expectations.none()),
        Failure.MALFORMED);
    assertFails(
        () -> verify("{\"evidence\":1}".getBytes(StandardCharsets.UTF_8), Expectations.none()),
        Failure.MALFORMED);
  }

  @Test
  void acceptsARealmChallengeThatIsTheNonceFollowedByZeros() throws Exception {
    TokenForge forge = new TokenForge();
    byte[] nonce = TokenForge.filled(32, 0x5a);
    byte[] token = forge.token(Arrays.copyOf(nonce, 64));
    VerifiedEvidence v =
        new CcaEvidenceVerifier(List.of(CcaTrustAnchor.of(forge.iakKey())))
            .verify(token, Expectations.withNonce(nonce));
    assertThat(v.claims().get(CcaClaims.REPORT_DATA)).isEqualTo("5a".repeat(32) + "00".repeat(32));
    assertThat(v.claims().get(CcaClaims.PLATFORM_PROFILE))
        .isEqualTo("tag:arm.com,2023:cca_platform#1.0.0");
  }

  @Test
  void acceptsTheWholeRealChallengeAsNonce() throws Exception {
    verify(
        TRUSTEE,
        withCollateral(Optional.of(Hex.decode(TRUSTEE_CHALLENGE)), CcaVectors.TRUSTEE_CPAK));
  }

  @Test
  void rejectsAnotherNonceAsReportDataMismatch() {
    byte[] wrong = Hex.decode(TRUSTEE_CHALLENGE);
    wrong[63] ^= 1;
    assertFails(
        () -> verify(TRUSTEE, withCollateral(Optional.of(wrong), CcaVectors.TRUSTEE_CPAK)),
        Failure.REPORT_DATA_MISMATCH);
    // a prefix of the challenge is not enough: the rest must be zero
    assertFails(
        () ->
            verify(
                TRUSTEE,
                withCollateral(
                    Optional.of(Arrays.copyOf(Hex.decode(TRUSTEE_CHALLENGE), 32)),
                    CcaVectors.TRUSTEE_CPAK)),
        Failure.REPORT_DATA_MISMATCH);
    assertFails(
        () -> verify(TRUSTEE, withCollateral(Optional.of(new byte[65]), CcaVectors.TRUSTEE_CPAK)),
        Failure.REPORT_DATA_MISMATCH);
  }

  @Test
  void rejectsATokenWithoutAnyPlatformKeyAsCollateralMissing() {
    assertFails(() -> verify(TRUSTEE, Expectations.none()), Failure.COLLATERAL_MISSING);
    // an unrelated file (a PSA device's P-256 key is a key, but not on the token's curve)
    assertFails(
        () -> verify(TRUSTEE, withCollateral(Optional.empty(), CcaVectors.PSA_KEY)),
        Failure.KEY_MISMATCH);
    // a file that is no key at all is ignored
    assertFails(
        () -> verify(TRUSTEE, withCollateral(Optional.empty(), "trustee/cca-claims.json")),
        Failure.COLLATERAL_MISSING);
  }

  @Test
  void rejectsAPlatformTokenSignedByAnotherIak() throws Exception {
    TokenForge other = new TokenForge();
    CcaEvidenceVerifier v = new CcaEvidenceVerifier(List.of(CcaTrustAnchor.of(other.iakKey())));
    assertFails(() -> v.verify(TRUSTEE, Expectations.none()), Failure.SIGNATURE_INVALID);
  }

  @Test
  void rejectsAStoreKeyBoundToAnotherPlatform() throws Exception {
    EcKey cpak = CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.TRUSTEE_CPAK)).get(0).key();
    CcaTrustAnchor elsewhere =
        new CcaTrustAnchor(cpak, Optional.of(new byte[32]), Optional.empty());
    assertFails(
        () -> new CcaEvidenceVerifier(List.of(elsewhere)).verify(TRUSTEE, Expectations.none()),
        Failure.KEY_MISMATCH);
  }

  @Test
  void rejectsARealmKeyThePlatformDidNotVouchFor() throws Exception {
    TokenForge forge = new TokenForge();
    byte[] rak = forge.rakClaim();
    byte[] wrongChallenge = HashAlg.SHA256.digest(rak);
    wrongChallenge[0] ^= 1;
    byte[] token =
        forge.token(forge.platformClaims(wrongChallenge), forge.realmClaims(new byte[64], rak));
    assertFails(
        () ->
            new CcaEvidenceVerifier(List.of(CcaTrustAnchor.of(forge.iakKey())))
                .verify(token, Expectations.none()),
        Failure.KEY_MISMATCH);
  }

  @Test
  void rejectsARealmTokenNotSignedByTheKeyItCarries() throws Exception {
    TokenForge forge = new TokenForge();
    TokenForge impostor = new TokenForge();
    // the realm token names impostor's RAK (and the platform vouches for it) but forge's RAK signs
    byte[] rak = impostor.rakClaim();
    byte[] token =
        forge.token(
            forge.platformClaims(HashAlg.SHA256.digest(rak)), forge.realmClaims(new byte[64], rak));
    assertFails(
        () ->
            new CcaEvidenceVerifier(List.of(CcaTrustAnchor.of(forge.iakKey())))
                .verify(token, Expectations.none()),
        Failure.SIGNATURE_INVALID);
  }

  @Test
  void acceptsARealmKeyGivenAsCoseKeyWithTheRealmProfile() throws Exception {
    TokenForge forge = new TokenForge();
    byte[] point = TokenForge.point(forge.rak);
    byte[] coseKey =
        CborWriter.encode(
            map(
                1,
                2,
                -1,
                2,
                -2,
                Arrays.copyOfRange(point, 1, 49),
                -3,
                Arrays.copyOfRange(point, 49, 97)));
    Map<Object, Object> realm = forge.realmClaims(new byte[64], coseKey);
    realm.put(265, CcaRealmClaims.PROFILE_1_0);
    realm.put(44240, "sha-384");
    byte[] token = forge.token(forge.platformClaims(HashAlg.SHA384.digest(coseKey)), realm);
    VerifiedEvidence v =
        new CcaEvidenceVerifier(List.of(CcaTrustAnchor.of(forge.iakKey())))
            .verify(token, Expectations.none());
    assertThat(v.claims().get(CcaClaims.REALM_PUBLIC_KEY)).isEqualTo(Hex.encode(coseKey));
    assertThat(v.claims().get(CcaClaims.REALM_PROFILE)).isEqualTo(CcaRealmClaims.PROFILE_1_0);
  }

  @Test
  void rejectsUnknownProfilesAndHashAlgorithmsAsUnsupported() throws Exception {
    TokenForge forge = new TokenForge();
    CcaEvidenceVerifier v = new CcaEvidenceVerifier(List.of(CcaTrustAnchor.of(forge.iakKey())));
    byte[] rak = forge.rakClaim();
    Map<Object, Object> platform = forge.platformClaims(HashAlg.SHA256.digest(rak));
    platform.put(265, "http://arm.com/psa/2.0.0");
    byte[] badProfile = forge.token(platform, forge.realmClaims(new byte[64], rak));
    assertFails(() -> v.verify(badProfile, Expectations.none()), Failure.UNSUPPORTED);

    Map<Object, Object> realm = forge.realmClaims(new byte[64], rak);
    realm.put(44240, "md5");
    byte[] badHash = forge.token(forge.platformClaims(HashAlg.SHA256.digest(rak)), realm);
    assertFails(() -> v.verify(badHash, Expectations.none()), Failure.UNSUPPORTED);
  }

  @Test
  void rejectsClaimsOfTheWrongShapeAsMalformed() throws Exception {
    TokenForge forge = new TokenForge();
    CcaEvidenceVerifier v = new CcaEvidenceVerifier(List.of(CcaTrustAnchor.of(forge.iakKey())));
    byte[] rak = forge.rakClaim();
    byte[] challenge = HashAlg.SHA256.digest(rak);

    Map<Object, Object> threeRems = forge.realmClaims(new byte[64], rak);
    threeRems.put(44239, List.of(new byte[64], new byte[64], new byte[64]));
    assertFails(
        () ->
            v.verify(forge.token(forge.platformClaims(challenge), threeRems), Expectations.none()),
        Failure.MALFORMED);

    Map<Object, Object> shortRim = forge.realmClaims(new byte[64], rak);
    shortRim.put(44238, new byte[32]); // sha-512 RIM must be 64 bytes
    assertFails(
        () -> v.verify(forge.token(forge.platformClaims(challenge), shortRim), Expectations.none()),
        Failure.MALFORMED);

    Map<Object, Object> noChallenge = forge.realmClaims(new byte[64], rak);
    noChallenge.remove(10);
    assertFails(
        () ->
            v.verify(
                forge.token(forge.platformClaims(challenge), noChallenge), Expectations.none()),
        Failure.MALFORMED);

    Map<Object, Object> textChallenge = forge.platformClaims(challenge);
    textChallenge.put(10, Hex.encode(challenge));
    assertFails(
        () ->
            v.verify(
                forge.token(textChallenge, forge.realmClaims(new byte[64], rak)),
                Expectations.none()),
        Failure.MALFORMED);
  }

  @Test
  void rejectsACollectionWithWrongTagExtraEntriesOrUnwrappedTokens() throws Exception {
    TokenForge forge = new TokenForge();
    CcaEvidenceVerifier v = new CcaEvidenceVerifier(List.of(CcaTrustAnchor.of(forge.iakKey())));
    CborValue.Map parts = Cbor.decode(forge.token(new byte[64]), "t").untag(399, "t").asMap("t");
    byte[] platform = parts.get(44234).orElseThrow().asBytes("p");
    byte[] realm = parts.get(44241).orElseThrow().asBytes("r");

    byte[] tag400 = CborWriter.encode(new CborWriter.Tag(400, map(44234, platform, 44241, realm)));
    byte[] untagged = CborWriter.encode(map(44234, platform, 44241, realm));
    byte[] extra =
        CborWriter.encode(new CborWriter.Tag(399, map(44234, platform, 44241, realm, 1, 1)));
    byte[] missing = CborWriter.encode(new CborWriter.Tag(399, map(44234, platform, 1, realm)));
    byte[] swapped = CborWriter.encode(new CborWriter.Tag(399, map(44234, realm, 44241, platform)));
    byte[] notWrapped =
        CborWriter.encode(
            new CborWriter.Tag(
                399,
                map(
                    44234,
                    Cbor.decode(platform, "p").untag(18, "p").asArray("p").size(),
                    44241,
                    realm)));
    for (byte[] bad : List.of(tag400, untagged, extra, missing, notWrapped)) {
      assertFails(() -> v.verify(bad, Expectations.none()), Failure.MALFORMED);
    }
    // the realm token's claims do not parse as platform claims
    assertFails(() -> v.verify(swapped, Expectations.none()), Failure.MALFORMED);
  }

  @Test
  void aRealmKeyAlreadySeenIsStillCheckedOnEveryToken() throws Exception {
    CcaEvidenceVerifier v =
        new CcaEvidenceVerifier(
            CcaTrustAnchor.recognise(CcaVectors.bytes(CcaVectors.TRUSTEE_CPAK)));
    // expected values from the vector's expected.json, never from an earlier run of the verifier
    var expected = CcaVectors.json("expected.json");
    var trustee = expected.get("trustee/cca-example-token.cbor");
    for (int run = 0; run < 2; run++) {
      var claims = v.verify(TRUSTEE, Expectations.none()).claims();
      assertThat(claims.get(CcaClaims.REALM_CHALLENGE))
          .as("run %d", run)
          .isEqualTo(trustee.at("/realm_claims/10").asText());
      assertThat(claims.get(CcaClaims.PLATFORM_CONFIG))
          .isEqualTo(trustee.at("/platform_claims/2401").asText());
      assertThat(claims.get("cca.platform.sw.8.measurement"))
          .isEqualTo(trustee.at("/platform_claims/2399/8/2").asText());
    }
    // same RAK, realm signature broken: the cached key must not stand in for the check
    byte[] forged = TRUSTEE.clone();
    forged[forged.length - 1] ^= 1;
    assertFails(() -> v.verify(forged, Expectations.none()), Failure.SIGNATURE_INVALID);
    // the same collateral file seen twice gives the same anchors: both runs verify the RMM token
    var rmm = expected.get("ccatoken/cca_token.cbor");
    Expectations e = withCollateral(Optional.empty(), CcaVectors.RMM_CPAK);
    for (int run = 0; run < 2; run++) {
      var claims = v.verify(RMM, e).claims();
      assertThat(claims.get(CcaClaims.REALM_CHALLENGE))
          .as("run %d", run)
          .isEqualTo(rmm.at("/realm_claims/10").asText());
      assertThat(claims.get("cca.platform.sw.0.version"))
          .isEqualTo(rmm.at("/platform_claims/2399/0/4").asText());
    }
  }
}
