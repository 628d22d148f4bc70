package dev.vouch.bench;

import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.Signatures;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapCollateral;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import java.io.InputStream;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Intel DCAP verification throughput with collateral already parsed and cached, against the raw
 * signature operations every quote needs (two ECDSA P-256 verifications: the QE report by the PCK
 * key and the quote by the attestation key), measured in the same run. The collateral signatures,
 * CRL signatures and PCK chain are verified once and cached by content, so they do not recur.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TdxVerifyBench {
  private byte[] tdxQuote;
  private byte[] sgxQuote;
  private Expectations tdxExpected;
  private Expectations sgxExpected;
  private DcapCollateral tdxCollateral;
  private TdxEvidenceVerifier tdx;
  private SgxEvidenceVerifier sgx;

  private Signature qeVerify;
  private Signature quoteVerify;
  private byte[] qeReport;
  private byte[] qeSignature;
  private byte[] signedQuote;
  private byte[] quoteSignature;

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = TdxVerifyBench.class.getResourceAsStream("/bench/tdx/" + name)) {
      return in.readAllBytes();
    }
  }

  @Setup
  public void setup() throws Exception {
    tdxQuote = resource("tdx_quote");
    sgxQuote = resource("sgx_quote");
    tdxExpected =
        new Expectations(
            Optional.empty(),
            Instant.parse("2025-07-19T10:00:34Z"),
            List.of(resource("tdx_quote_collateral.json")));
    sgxExpected =
        new Expectations(
            Optional.empty(),
            Instant.parse("2025-07-19T10:01:17Z"),
            List.of(resource("sgx_quote_collateral.json")));
    DcapQuoteVerifier dcap = DcapQuoteVerifier.defaults();
    tdx = new TdxEvidenceVerifier(dcap);
    sgx = new SgxEvidenceVerifier(dcap);
    tdxCollateral = dcap.collateral(tdxExpected.collateral());

    DcapQuote q = DcapQuote.parse(tdxQuote);
    String pem = new String(q.pckChainPem(), java.nio.charset.StandardCharsets.US_ASCII);
    X509Certificate pck =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new java.io.ByteArrayInputStream(
                        pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    qeVerify = Signature.getInstance("SHA256withECDSA", Crypto.bouncyCastle());
    qeVerify.initVerify(pck.getPublicKey());
    qeReport = q.qeReportBytes();
    qeSignature = Signatures.ecdsaDerFromConcatenated(q.qeReportSignature());
    quoteVerify = Signature.getInstance("SHA256withECDSA", Crypto.bouncyCastle());
    quoteVerify.initVerify(point(q.attestationKey()));
    signedQuote = Arrays.copyOf(tdxQuote, q.signedLength());
    quoteSignature = Signatures.ecdsaDerFromConcatenated(q.signature());
    if (!rawBothSignatures()) {
      throw new IllegalStateException("sample signatures do not verify");
    }
    tdx.verify(tdxQuote, tdxExpected);
    sgx.verify(sgxQuote, sgxExpected);
  }

  private static PublicKey point(byte[] xy) throws Exception {
    AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
    p.init(new ECGenParameterSpec("secp256r1"));
    ECPoint w =
        new ECPoint(
            new BigInteger(1, Arrays.copyOf(xy, 32)),
            new BigInteger(1, Arrays.copyOfRange(xy, 32, 64)));
    return KeyFactory.getInstance("EC")
        .generatePublic(new ECPublicKeySpec(w, p.getParameterSpec(ECParameterSpec.class)));
  }

  /** Full TDX verification: evidence bytes + collateral files as the caller passes them. */
  @Benchmark
  public VerifiedEvidence tdxVerify() throws Exception {
    return tdx.verify(tdxQuote, tdxExpected);
  }

  /** Full TDX verification with the collateral handed over already parsed. */
  @Benchmark
  public VerifiedEvidence tdxVerifyParsedCollateral() throws Exception {
    return tdx.verify(tdxQuote, tdxExpected, tdxCollateral);
  }

  /** Full SGX verification. */
  @Benchmark
  public VerifiedEvidence sgxVerify() throws Exception {
    return sgx.verify(sgxQuote, sgxExpected);
  }

  /** One raw ECDSA P-256 verification: the QE report by the PCK key. */
  @Benchmark
  public boolean rawQeReportSignature() throws Exception {
    qeVerify.update(qeReport);
    return qeVerify.verify(qeSignature);
  }

  /** The raw signature work of one quote: QE report and quote ECDSA P-256 verifications. */
  @Benchmark
  public boolean rawBothSignatures() throws Exception {
    qeVerify.update(qeReport);
    boolean a = qeVerify.verify(qeSignature);
    quoteVerify.update(signedQuote);
    return a & quoteVerify.verify(quoteSignature);
  }
}
