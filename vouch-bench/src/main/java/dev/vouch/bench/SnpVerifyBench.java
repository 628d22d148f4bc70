package dev.vouch.bench;

import dev.vouch.core.crypto.Crypto;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.snp.SnpEvidence;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
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
 * SEV-SNP verification throughput against its raw cost, in one run: a full verification of a real
 * Milan report (parse, VCEK → ASK → ARK chain, validity, TCB and chip-ID binding, ECDSA P-384
 * report signature, claims) with the VCEK passed as collateral on every call (so it is parsed and
 * its chain checked once, then served from the verifier's cache), and the one ECDSA P-384/SHA-384
 * verification over the report's 672 signed bytes that it cannot avoid, with BouncyCastle and the
 * {@link Signature} object reused.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SnpVerifyBench {
  private byte[] report;
  private SnpEvidence parsed;
  private Expectations expectations;
  private SnpEvidenceVerifier verifier;
  private Signature ecdsa;
  private byte[] signed;
  private byte[] signature;

  @Setup
  public void setup() throws Exception {
    report = resource("test-report.bin");
    byte[] vcek = resource("test-vcek.der");
    expectations =
        new Expectations(Optional.empty(), Instant.parse("2025-07-01T00:00:00Z"), List.of(vcek));
    verifier = new SnpEvidenceVerifier();
    parsed = SnpEvidence.parse(report);
    verifier.verify(report, expectations); // warms the collateral cache

    X509Certificate cert =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(vcek));
    PublicKey key =
        KeyFactory.getInstance("EC", Crypto.bouncyCastle())
            .generatePublic(new X509EncodedKeySpec(cert.getPublicKey().getEncoded()));
    signed = Arrays.copyOf(report, 0x2A0);
    signature = parsed.report().signatureDer();
    ecdsa = Signature.getInstance("SHA384withECDSA", Crypto.bouncyCastle());
    ecdsa.initVerify(key);
    if (!rawEcdsaP384Sha384()) {
      throw new IllegalStateException("the sample's signature does not verify");
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = SnpVerifyBench.class.getResourceAsStream("/bench/snp/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing bench resource " + name);
      }
      return in.readAllBytes();
    }
  }

  /** Evidence bytes in, claims out: what a server does per SNP attestation. */
  @Benchmark
  public Object fullVerification() throws Exception {
    return verifier.verify(report, expectations);
  }

  /** The same with the report already parsed. */
  @Benchmark
  public Object fullVerificationParsed() throws Exception {
    return verifier.verify(parsed, expectations);
  }

  /** The raw signature check every verification needs. */
  @Benchmark
  public boolean rawEcdsaP384Sha384() throws Exception {
    ecdsa.update(signed);
    return ecdsa.verify(signature);
  }
}
