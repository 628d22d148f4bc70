package dev.vouch.evidence.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.snp.SnpProduct;
import dev.vouch.evidence.snp.TestAmdPki;
import dev.vouch.evidence.tpm.PcrSelection;
import dev.vouch.evidence.tpm.TpmAttest;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What Trustee's vectors cannot show, because changing them breaks a signature first: evidence
 * built like an Azure CVM's under a test AMD hierarchy, every signature valid, with one binding
 * wrong at a time (VMPL, HCL user-data, the variable data hash type).
 */
class AzSnpVtpmSyntheticTest {
  private static final TestAmdPki.Tcb TCB = new TestAmdPki.Tcb(0, 4, 0, 22, 213);
  private static final byte[] RUNTIME = HashAlg.SHA384.digest("kbs binding".getBytes());
  private static TestAmdPki pki;
  private static AzSnpVtpmVerifier verifier;
  private static KeyPair ak;
  private static byte[] chipId;

  @BeforeAll
  static void hierarchy() throws Exception {
    pki = new TestAmdPki(SnpProduct.MILAN);
    verifier = new AzSnpVtpmVerifier(new SnpEvidenceVerifier(pki.roots()));
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    ak = g.generateKeyPair();
    chipId = new byte[64];
    Arrays.fill(chipId, (byte) 0x5c);
  }

  /** How one piece of evidence is built; each test changes one thing. */
  static final class Spec {
    int version = 2;
    long vmpl = 0;
    int hashType = 1;
    Optional<byte[]> userData = Optional.of(Arrays.copyOf(RUNTIME, 64));
    byte[] quoteNonce = RUNTIME;
    byte[] pcr8 = new byte[32];
  }

  static byte[] varData(Spec s) {
    byte[] mod = ((RSAPublicKey) ak.getPublic()).getModulus().toByteArray();
    String n =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(mod[0] == 0 ? Arrays.copyOfRange(mod, 1, mod.length) : mod);
    String json =
        "{\"keys\":[{\"kid\":\"HCLAkPub\",\"key_ops\":[\"sign\"],\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\""
            + n
            + "\"}],\"vm-configuration\":{\"secure-boot\":true}"
            + s.userData
                .map(u -> ",\"user-data\":\"" + Hex.encode(u).toUpperCase() + "\"")
                .orElse("")
            + "}";
    return json.getBytes(StandardCharsets.US_ASCII);
  }

  /** An HCL report as the az-cvm-vtpm crate lays it out, in a 2600-byte buffer. */
  static byte[] hcl(Spec s) throws Exception {
    byte[] var = varData(s);
    TestAmdPki.ReportSpec r = TestAmdPki.milan(TCB, chipId);
    r.vmpl = s.vmpl;
    r.reportData = Arrays.copyOf(HashAlg.SHA256.digest(var), 64);
    byte[] report = pki.report(r);
    ByteBuffer b = ByteBuffer.allocate(2600).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt((int) HclReport.SIGNATURE).putInt(1).putInt(1236 + var.length).putInt(2).putInt(0);
    b.position(32);
    b.put(report);
    b.position(1216);
    b.putInt(20 + var.length).putInt(1).putInt(2).putInt(s.hashType).putInt(var.length);
    b.put(var);
    return b.array();
  }

  static byte[] evidence(Spec s) throws Exception {
    List<byte[]> pcrs = new java.util.ArrayList<>();
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (int i = 0; i < 24; i++) {
      byte[] p = new byte[32];
      p[0] = (byte) i;
      if (i == 8) {
        p = s.pcr8;
      }
      pcrs.add(p);
      all.writeBytes(p);
    }
    int[] indexes = java.util.stream.IntStream.range(0, 24).toArray();
    byte[] message =
        TpmAttest.encodeQuote(
            new byte[34],
            s.quoteNonce,
            new TpmAttest.ClockInfo(1000, 1, 0, true),
            0x20190823L,
            new TpmAttest.QuoteInfo(
                PcrSelection.of(HashAlg.SHA256, indexes),
                HashAlg.SHA256.digest(all.toByteArray())));
    Signature sig = Signature.getInstance("SHA256withRSA");
    sig.initSign(ak.getPrivate());
    sig.update(message);
    ObjectNode quote = AzureVectors.JSON.createObjectNode();
    quote.put("signature", Hex.encode(sig.sign()));
    quote.put("message", Hex.encode(message));
    ArrayNode list = quote.putArray("pcrs");
    pcrs.forEach(p -> list.add(Hex.encode(p)));
    ObjectNode ev = AzureVectors.JSON.createObjectNode();
    ev.put("version", s.version);
    ev.set("tpm_quote", quote);
    AzureVectors.putB64(ev, "hcl_report", hcl(s));
    AzureVectors.putB64(ev, "vcek", pki.vcek(TCB, chipId));
    return AzureVectors.write(ev);
  }

  static Expectations expect() throws Exception {
    return new Expectations(
        Optional.of(Arrays.copyOf(RUNTIME, 64)),
        TestAmdPki.AT,
        List.of(pki.crl(true, TestAmdPki.NOT_AFTER)));
  }

  static Failure failure(Spec s) throws Exception {
    return failure(s, expect());
  }

  static Failure failure(Spec s, Expectations expected) throws Exception {
    try {
      verifier.verify(evidence(s), expected);
    } catch (VerificationException e) {
      return e.failure();
    }
    throw new AssertionError("verified, but should have failed");
  }

  @Test
  void evidenceBuiltLikeAnAzureCvmsVerifiesWithTheCrlChecked() throws Exception {
    var c = verifier.verify(evidence(new Spec()), expect()).claims();
    assertThat(c.get("snp.revocation_checked")).isEqualTo(true);
    assertThat(c.get("tpm.extra_data")).isEqualTo(Hex.encode(RUNTIME));
    assertThat(c.get(VtpmBinding.USER_DATA)).isEqualTo(Hex.encode(Arrays.copyOf(RUNTIME, 64)));
    assertThat(c.get("tpm.pcr.sha256.23")).isEqualTo("17" + "00".repeat(31));
  }

  @Test
  void initDataIsBoundThroughPcr8ExtendedOnceFromZero() throws Exception {
    byte[] digest = HashAlg.SHA256.digest("policy.rego".getBytes());
    Spec s = new Spec();
    s.pcr8 =
        HashAlg.SHA256.digest(java.nio.ByteBuffer.allocate(64).position(32).put(digest).array());
    var verified = verifier.verify(evidence(s), expect());
    verifier.checkInitData(verified, digest);
    byte[] other = digest.clone();
    other[0] ^= 1;
    try {
      verifier.checkInitData(verified, other);
      throw new AssertionError("another init data digest was accepted");
    } catch (VerificationException e) {
      assertThat(e.failure()).isEqualTo(Failure.INIT_DATA_MISMATCH);
    }
  }

  @Test
  void rejectsAReportFromAnotherVmplThanTheParavisors() throws Exception {
    Spec s = new Spec();
    s.vmpl = 2;
    assertThat(failure(s)).isEqualTo(Failure.VMPL_MISMATCH);
  }

  @Test
  void rejectsVersionTwoEvidenceWhoseSignedUserDataIsAnotherRuntimeData() throws Exception {
    Spec s = new Spec();
    byte[] other = RUNTIME.clone();
    other[47] ^= 1;
    s.userData = Optional.of(other);
    assertThat(failure(s)).isEqualTo(Failure.REPORT_DATA_MISMATCH);
    s.userData = Optional.empty();
    assertThat(failure(s)).isEqualTo(Failure.REPORT_DATA_MISMATCH);
    // version 1 promises no user-data: the same evidence then verifies
    s.version = 1;
    assertThat(verifier.verify(evidence(s), expect())).isNotNull();
  }

  @Test
  void rejectsAQuoteWhoseNonceIsAnotherRuntimeDataEvenWithMatchingUserData() throws Exception {
    Spec s = new Spec();
    s.quoteNonce = HashAlg.SHA384.digest("another handshake".getBytes());
    assertThat(failure(s)).isEqualTo(Failure.NONCE_MISMATCH);
  }

  @Test
  void rejectsAVariableDataHashOtherThanSha256AsTrusteeDoes() throws Exception {
    Spec s = new Spec();
    s.hashType = 2;
    assertThat(failure(s)).isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void withoutTheArkCrlTheChainIsNotTakenOnTrust() throws Exception {
    Expectations noCrl = new Expectations(Optional.of(RUNTIME), TestAmdPki.AT);
    assertThat(failure(new Spec(), noCrl)).isEqualTo(Failure.COLLATERAL_MISSING);
  }
}
