package dev.vouch.bench;

import dev.vouch.core.crypto.Crypto;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Random;
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
 * The baseline every verification benchmark is reported against: one signature verification of a
 * TPMS_ATTEST-sized message with the same key type and provider that the quote verifier uses (JDK
 * for RSA, BouncyCastle for ECDSA), with the {@link Signature} object reused.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RawSignatureBench {
  private byte[] message;
  private Signature rsaVerify;
  private byte[] rsaSig;
  private Signature ecVerify;
  private byte[] ecSig;

  @Setup
  public void setup() throws Exception {
    message = new byte[129];
    new Random(7).nextBytes(message);

    KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
    rsaGen.initialize(2048);
    KeyPair rsa = rsaGen.generateKeyPair();
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(rsa.getPrivate());
    s.update(message);
    rsaSig = s.sign();
    rsaVerify = Signature.getInstance("SHA256withRSA");
    rsaVerify.initVerify(rsa.getPublic());

    KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
    ecGen.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ec = ecGen.generateKeyPair();
    Signature e = Signature.getInstance("SHA256withECDSA");
    e.initSign(ec.getPrivate());
    e.update(message);
    ecSig = e.sign();
    ecVerify = Signature.getInstance("SHA256withECDSA", Crypto.bouncyCastle());
    ecVerify.initVerify(ec.getPublic());
  }

  @Benchmark
  public boolean rsa2048Pkcs1Sha256() throws Exception {
    rsaVerify.update(message);
    return rsaVerify.verify(rsaSig);
  }

  @Benchmark
  public boolean ecdsaP256Sha256() throws Exception {
    ecVerify.update(message);
    return ecVerify.verify(ecSig);
  }
}
