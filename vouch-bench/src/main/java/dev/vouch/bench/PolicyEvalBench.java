package dev.vouch.bench;

import dev.vouch.core.crypto.Crypto;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.DefaultPolicies;
import dev.vouch.policy.Policy;
import dev.vouch.policy.PolicyEngine;
import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.policy.ear.EarIssuer;
import dev.vouch.policy.ear.InMemorySigningKeys;
import dev.vouch.policy.ear.Submod;
import dev.vouch.policy.ear.VerifierId;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
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
 * Policy appraisal cost against the signature check it follows: evaluations per second of the
 * default TPM policy over a realistic claim set (two banks of 24 PCRs, AK, clock, event log and IMA
 * claims; three known values per boot PCR), raw ECDSA P-256 verification with BouncyCastle in the
 * same run, and EAR tokens issued (ES256, BouncyCastle) per second.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PolicyEvalBench {
  private Policy policy;
  private Map<String, Object> claims;
  private Map<String, Object> reference;
  private EarIssuer issuer;
  private Appraisal appraisal;
  private byte[] message;
  private Signature ecVerify;
  private byte[] ecSig;

  @Setup
  public void setup() throws Exception {
    Random rnd = new Random(11);
    policy = DefaultPolicies.load("tpm");
    TreeMap<String, Object> c = new TreeMap<>();
    for (String bank : List.of("sha1", "sha256")) {
      for (int i = 0; i < 24; i++) {
        c.put("tpm.pcr." + bank + "." + i, hex(rnd, bank.equals("sha1") ? 20 : 32));
      }
    }
    c.put("tpm.ak.name", "000b" + hex(rnd, 32));
    c.put("tpm.ak.spki_sha256", hex(rnd, 32));
    c.put("tpm.ak.certified", false);
    c.put("tpm.extra_data", hex(rnd, 32));
    c.put("tpm.clock", 123456789L);
    c.put("tpm.reset_count", 12L);
    c.put("tpm.restart_count", 0L);
    c.put("tpm.clock_safe", true);
    c.put("tpm.firmware_version", "2023021700000000");
    c.put("tpm.eventlog.verified", true);
    c.put("tpm.eventlog.events", 97L);
    c.put("tpm.eventlog.pcrs", List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L));
    c.put("tpm.secure_boot", true);
    c.put("tpm.secure_boot.pk", true);
    c.put("tpm.secure_boot.kek", true);
    c.put("tpm.secure_boot.db", true);
    c.put("tpm.secure_boot.dbx", true);
    c.put("tpm.ima.verified", true);
    c.put("tpm.ima.entries", 1500L);
    c.put("tpm.ima.quoted_entries", 1500L);
    c.put("tpm.ima.violations", 0L);
    c.put("tpm.ima.mode", "per_bank");
    claims = c;
    Map<String, Object> r = new HashMap<>();
    r.put("tpm.trusted_aks", List.of(hex(rnd, 32), c.get("tpm.ak.spki_sha256")));
    for (int i : new int[] {0, 2, 4, 7}) {
      String name = "tpm.pcr.sha256." + i;
      r.put(name, List.of(hex(rnd, 32), hex(rnd, 32), c.get(name)));
    }
    reference = r;
    appraisal = PolicyEngine.evaluate(policy, claims, reference, Map.of());
    if (!appraisal.affirming()) {
      throw new IllegalStateException("bench claims are not affirming: " + appraisal.failures());
    }

    issuer =
        new EarIssuer(
            new InMemorySigningKeys(EarAlgorithm.ES256, Clock.systemUTC()),
            new VerifierId("https://vouch.dev", "vouch-bench"),
            Duration.ofMinutes(5),
            Clock.systemUTC());

    message = new byte[129];
    rnd.nextBytes(message);
    KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
    ecGen.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair ec = ecGen.generateKeyPair();
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(ec.getPrivate());
    s.update(message);
    ecSig = s.sign();
    ecVerify = Signature.getInstance("SHA256withECDSA", Crypto.bouncyCastle());
    ecVerify.initVerify(ec.getPublic());
  }

  private static String hex(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }

  @Benchmark
  public Appraisal defaultTpmPolicyEvaluation() {
    return PolicyEngine.evaluate(policy, claims, reference, Map.of());
  }

  @Benchmark
  public boolean rawEcdsaP256Verify() throws Exception {
    ecVerify.update(message);
    return ecVerify.verify(ecSig);
  }

  @Benchmark
  public String earTokenIssueEs256() {
    return issuer.issue(Map.of("tpm", Submod.of(appraisal, claims)), "bench-nonce");
  }
}
