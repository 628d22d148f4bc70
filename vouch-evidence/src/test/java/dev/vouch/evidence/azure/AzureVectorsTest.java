package dev.vouch.evidence.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Verifiers;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Trustee's az-snp-vtpm and az-tdx-vtpm vectors verify, with the claims Trustee's tests expect. */
class AzureVectorsTest {

  static Stream<Arguments> snpVectors() {
    String milanPcr0 = "e15c44796beabf46abcec7c57e590942041e47497e4ec27571c8b7664f48dced";
    return Stream.of(
        Arguments.of("az-snp-vtpm/evidence-v0.json", AzureVectors.CHALLENGE, 0L, milanPcr0),
        Arguments.of("az-snp-vtpm/evidence-v1.json", AzureVectors.CHALLENGE, 1L, milanPcr0),
        Arguments.of(
            "az-snp-vtpm/evidence-v2.json",
            AzureVectors.V2_RUNTIME,
            2L,
            "84275b2f4312cd4fc6cbe6b152ad3c3683e513d9f1e23c34fca160c8cca7a6a7"),
        Arguments.of(
            "az-snp-vtpm/evidence-genoa.json",
            AzureVectors.GENOA_RUNTIME,
            0L,
            "afd689d0bb1c5f36f023fbaf574135f555a28a10c1f6b938d2a25e70c7783338"));
  }

  @ParameterizedTest
  @MethodSource("snpVectors")
  void trusteesSnpVectorsVerifyWithTheirRuntimeData(
      String file, byte[] runtime, long version, String pcr0) throws Exception {
    VerifiedEvidence v =
        AzureVectors.snp().verify(AzureVectors.bytes(file), AzureVectors.expect(runtime));
    Claims c = v.claims();
    assertThat(v.tee()).isEqualTo(Tee.AZ_SNP_VTPM);
    assertThat(c.get("tpm.pcr.sha256.0")).isEqualTo(pcr0);
    assertThat(c.get("tpm.extra_data")).isEqualTo(Hex.encode(runtime));
    assertThat(c.get("tpm.ak.trust")).isEqualTo("hcl");
    assertThat(c.get(VtpmBinding.EVIDENCE_VERSION)).isEqualTo(version);
    assertThat(c.get("snp.vmpl")).isEqualTo(0L);
    assertThat(c.get("snp.revocation_checked")).isEqualTo(false);
    for (int i = 0; i < 24; i++) {
      assertThat(c.get("tpm.pcr.sha256." + i)).asString().hasSize(64);
    }
  }

  @ParameterizedTest
  @MethodSource("snpVectors")
  void theServicePaddedDigestIsAcceptedAsTrusteesExactOne(
      String file, byte[] runtime, long version, String pcr0) throws Exception {
    // a service regularizes the runtime-data digest to reportDataLength(): zeros after the digest
    byte[] padded = java.util.Arrays.copyOf(runtime, AzureVectors.snp().reportDataLength());
    assertThat(
            AzureVectors.snp()
                .verify(AzureVectors.bytes(file), AzureVectors.expect(padded))
                .claims()
                .get("tpm.extra_data"))
        .isEqualTo(Hex.encode(runtime));
  }

  @ParameterizedTest
  @MethodSource("tdxVectors")
  void trusteesTdxVectorsVerifyWithTheChallenge(String file, long version) throws Exception {
    VerifiedEvidence v =
        AzureVectors.tdx()
            .verify(AzureVectors.bytes(file), AzureVectors.expect(AzureVectors.CHALLENGE));
    Claims c = v.claims();
    assertThat(v.tee()).isEqualTo(Tee.AZ_TDX_VTPM);
    assertThat(c.get("tpm.extra_data")).isEqualTo(Hex.encode(AzureVectors.CHALLENGE));
    assertThat(c.get(VtpmBinding.EVIDENCE_VERSION)).isEqualTo(version);
    assertThat(c.get("tdx.fmspc")).isEqualTo("00806f050000");
    assertThat(c.get("tdx.mr_td")).asString().hasSize(96);
    // TCB level is not judged: no collateral for this FMSPC offline
    assertThat(c.get("tdx.tcb_status")).isNull();
  }

  static Stream<Arguments> tdxVectors() {
    return Stream.of(
        Arguments.of("az-tdx-vtpm/evidence-v0.json", 0L),
        Arguments.of("az-tdx-vtpm/evidence-v1.json", 1L));
  }

  @Test
  void theDefaultTdxVerifierRequiresCollateralAndHasNoneForThisPlatform() {
    assertThatThrownBy(
            () ->
                new AzTdxVtpmVerifier()
                    .verify(
                        AzureVectors.bytes("az-tdx-vtpm/evidence-v1.json"),
                        AzureVectors.expect(AzureVectors.CHALLENGE)))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.COLLATERAL_MISSING));
  }

  @Test
  void bothKindsAreRegisteredUnderTrusteesWireNames() {
    assertThat(Tee.fromWireName("az-snp-vtpm")).contains(Tee.AZ_SNP_VTPM);
    assertThat(Tee.fromWireName("az-tdx-vtpm")).contains(Tee.AZ_TDX_VTPM);
    assertThat(Verifiers.defaults().tees()).contains(Tee.AZ_SNP_VTPM, Tee.AZ_TDX_VTPM);
  }
}
