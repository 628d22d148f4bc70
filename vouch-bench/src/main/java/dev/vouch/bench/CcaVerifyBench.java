package dev.vouch.bench;

import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.Signatures;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.cca.CcaEvidenceVerifier;
import dev.vouch.evidence.cca.CcaRealmClaims;
import dev.vouch.evidence.cca.CcaToken;
import dev.vouch.evidence.cca.CcaTrustAnchor;
import dev.vouch.evidence.cca.CoseSign1;
import dev.vouch.evidence.cca.EcKey;
import java.io.IOException;
import java.io.InputStream;
import java.security.Signature;
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
 * Arm CCA token verification against the raw operations it needs: two ECDSA P-384 / SHA-384
 * verifies (platform token by the IAK, realm token by the RAK), measured with BouncyCastle and
 * pre-initialised {@link Signature} objects. The full verification uses the IAK parsed once
 * (configured anchor) and checks the nonce; it also decodes CBOR, builds the RAK from the claims
 * and checks the key binding.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CcaVerifyBench {
  private byte[] token;
  private CcaEvidenceVerifier verifier;
  private List<CcaTrustAnchor> anchors;
  private Expectations expected;

  private Signature platformVerify;
  private byte[] platformTbs;
  private byte[] platformSig;
  private Signature realmVerify;
  private byte[] realmTbs;
  private byte[] realmSig;
  private Signature realmFresh;
  private byte[] rakPoint;

  @Setup
  public void setup() throws Exception {
    token = resource("cca-example-token.cbor");
    anchors = CcaTrustAnchor.recognise(resource("cpak-pub.json"));
    verifier = new CcaEvidenceVerifier(anchors);
    CcaToken parsed = CcaToken.parse(token);
    CcaRealmClaims realm = CcaRealmClaims.parse(parsed.realm().payload());
    expected = new Expectations(Optional.of(realm.challenge()), java.time.Instant.now());

    CoseSign1 p = parsed.platform();
    platformTbs = p.toBeSigned();
    platformSig = Signatures.ecdsaDerFromConcatenated(p.signature());
    platformVerify = Signature.getInstance("SHA384withECDSA", Crypto.bouncyCastle());
    platformVerify.initVerify(
        CcaTrustAnchor.recognise(resource("cpak-pub.json")).get(0).key().publicKey());

    CoseSign1 r = parsed.realm();
    realmTbs = r.toBeSigned();
    realmSig = Signatures.ecdsaDerFromConcatenated(r.signature());
    realmVerify = Signature.getInstance("SHA384withECDSA", Crypto.bouncyCastle());
    realmVerify.initVerify(realm.realmKey().publicKey());
    realmFresh = Signature.getInstance("SHA384withECDSA", Crypto.bouncyCastle());
    rakPoint = realm.publicKey();

    if (!platform() || !realm() || verifier.verify(token, expected) == null) {
      throw new IllegalStateException("the sample does not verify");
    }
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = CcaVerifyBench.class.getResourceAsStream("/bench/cca/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing bench resource " + name);
      }
      return in.readAllBytes();
    }
  }

  /**
   * Full verification of a realm seen before (its RAK is in the verifier's cache): CBOR, both COSE
   * signatures, RAK binding, nonce, claims. Compare with {@link #bothSignatures}.
   */
  @Benchmark
  public Object fullVerification() throws Exception {
    return verifier.verify(token, expected);
  }

  /**
   * Full verification of a realm first seen (a fresh verifier, so its RAK cache is empty; the IAK
   * stays parsed once). Compare with {@link #bothSignaturesFreshRealmKey}.
   */
  @Benchmark
  public Object fullVerificationNewRealm() throws Exception {
    return new CcaEvidenceVerifier(anchors).verify(token, expected);
  }

  /** Parsing only (no signature): the CBOR/COSE share of the full verification. */
  @Benchmark
  public Object parseOnly() throws Exception {
    CcaToken t = CcaToken.parse(token);
    return CcaRealmClaims.parse(t.realm().payload()).realmKey();
  }

  /** Raw: the platform token's ECDSA P-384 verify. */
  @Benchmark
  public boolean platform() throws Exception {
    platformVerify.update(platformTbs);
    return platformVerify.verify(platformSig);
  }

  /** Raw: the realm token's ECDSA P-384 verify. */
  @Benchmark
  public boolean realm() throws Exception {
    realmVerify.update(realmTbs);
    return realmVerify.verify(realmSig);
  }

  /**
   * Raw: the realm verify as a verifier meets it, with a key first seen in this token (point
   * decoded and checked, key built, signature initialised): BouncyCastle caches its per-point
   * precomputation on a key object, which {@link #realm} reuses and a fresh RAK cannot.
   */
  @Benchmark
  public boolean realmFreshKey() throws Exception {
    realmFresh.initVerify(EcKey.fromUncompressedPoint(rakPoint).publicKey());
    realmFresh.update(realmTbs);
    return realmFresh.verify(realmSig);
  }

  /** Raw: both verifies with the realm key first seen, the floor for a new token. */
  @Benchmark
  public boolean bothSignaturesFreshRealmKey() throws Exception {
    return platform() & realmFreshKey();
  }

  /** Raw: both verifies, the floor for one token. */
  @Benchmark
  public boolean bothSignatures() throws Exception {
    return platform() & realm();
  }
}
