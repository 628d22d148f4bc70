package dev.vouch.evidence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.snp.SnpClaims;
import dev.vouch.evidence.tdx.TdxClaims;
import dev.vouch.evidence.tpm.TpmClaims;
import java.security.MessageDigest;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Each verifier owns where init data is bound (Trustee's convention) and how large its report-data
 * field is. Expected values are computed here from the definitions (PCR extend from zero, zero
 * padding or truncation), not by the code under test.
 */
class InitDataBindingTest {
  private static final Verifiers ALL = Verifiers.defaults();
  private static final byte[] DIGEST = sha256("algorithm = \"sha256\"\nversion = \"0.1.0\"\n");

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  private static EvidenceVerifier of(Tee tee) {
    return ALL.forTee(tee).orElseThrow();
  }

  private static VerifiedEvidence evidence(Tee tee, String claim, byte[] value) {
    return new VerifiedEvidence(tee, Claims.builder().put(claim, Hex.encode(value)).build());
  }

  private static byte[] flipped(byte[] b) {
    byte[] c = b.clone();
    c[c.length - 1] ^= 1;
    return c;
  }

  @Test
  void reportDataFieldsHaveTheirSpecifiedSizes() {
    assertThat(of(Tee.TPM).reportDataLength()).isEqualTo(32);
    for (Tee t : new Tee[] {Tee.TDX, Tee.SGX, Tee.SNP, Tee.CCA, Tee.SAMPLE}) {
      assertThat(of(t).reportDataLength()).as(t.wireName()).isEqualTo(64);
    }
  }

  @Test
  void tpmInitDataIsPcr8ExtendedOnceFromZero() throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(new byte[32]);
    md.update(DIGEST);
    byte[] pcr8 = md.digest();
    String claim = TpmClaims.PCR_PREFIX + "sha256.8";
    of(Tee.TPM).checkInitData(evidence(Tee.TPM, claim, pcr8), DIGEST);
    assertFailure(
        Tee.TPM, evidence(Tee.TPM, claim, pcr8), flipped(DIGEST), Failure.INIT_DATA_MISMATCH);
    assertFailure(
        Tee.TPM, evidence(Tee.TPM, claim, flipped(pcr8)), DIGEST, Failure.INIT_DATA_MISMATCH);
    assertFailure(Tee.TPM, evidence(Tee.TPM, claim, pcr8), new byte[48], Failure.UNSUPPORTED);
    assertFailure(
        Tee.TPM,
        evidence(Tee.TPM, TpmClaims.PCR_PREFIX + "sha256.7", pcr8),
        DIGEST,
        Failure.PCR_VALUES_MISSING);
  }

  @Test
  void snpInitDataIsHostDataTheDigestZeroPaddedTo32Bytes() throws Exception {
    byte[] sha384 = Arrays.copyOf(DIGEST, 48); // a 48-byte digest is truncated to 32
    of(Tee.SNP).checkInitData(evidence(Tee.SNP, SnpClaims.HOST_DATA, DIGEST), DIGEST);
    of(Tee.SNP)
        .checkInitData(evidence(Tee.SNP, SnpClaims.HOST_DATA, Arrays.copyOf(sha384, 32)), sha384);
    assertFailure(
        Tee.SNP,
        evidence(Tee.SNP, SnpClaims.HOST_DATA, DIGEST),
        flipped(DIGEST),
        Failure.INIT_DATA_MISMATCH);
  }

  @Test
  void tdxInitDataIsMrConfigIdTheDigestZeroPaddedTo48Bytes() throws Exception {
    byte[] padded = Arrays.copyOf(DIGEST, 48);
    of(Tee.TDX).checkInitData(evidence(Tee.TDX, TdxClaims.MR_CONFIG_ID, padded), DIGEST);
    assertFailure(
        Tee.TDX,
        evidence(Tee.TDX, TdxClaims.MR_CONFIG_ID, padded),
        flipped(DIGEST),
        Failure.INIT_DATA_MISMATCH);
    assertFailure(
        Tee.TDX, evidence(Tee.TDX, "tdx.mr_owner", padded), DIGEST, Failure.PCR_VALUES_MISSING);
  }

  @Test
  void kindsWithoutAnInitDataFieldRefuseIt() {
    for (Tee t : new Tee[] {Tee.SGX, Tee.CCA, Tee.SAMPLE}) {
      assertFailure(t, evidence(t, "x", DIGEST), DIGEST, Failure.UNSUPPORTED);
    }
  }

  private static void assertFailure(Tee tee, VerifiedEvidence v, byte[] digest, Failure f) {
    assertThatThrownBy(() -> of(tee).checkInitData(v, digest))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(f));
  }
}
