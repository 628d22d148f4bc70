package dev.vouch.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.crypto.ECDHDecrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.vouch.agent.kbs.EvidenceProvider;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.SampleEvidenceProvider;
import dev.vouch.agent.sim.SimulatedTpm;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.PcrSelection;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.DefaultPolicies;
import dev.vouch.policy.Policy;
import dev.vouch.policy.PolicyEngine;
import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.policy.ear.EarIssuer;
import dev.vouch.policy.ear.EarVerifier;
import dev.vouch.policy.ear.InMemorySigningKeys;
import dev.vouch.policy.ear.Submod;
import dev.vouch.policy.ear.VerifierId;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.as.AttestationInput;
import dev.vouch.server.as.AttestationOutcome;
import dev.vouch.server.as.RuntimeData;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.InMemorySessionStore;
import dev.vouch.server.kbs.KbsConfig;
import dev.vouch.server.kbs.KbsRoutes;
import dev.vouch.server.kbs.KbsService;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import dev.vouch.server.kbs.ResponseEncryptor;
import dev.vouch.server.kbs.RuntimeDataBinding;
import dev.vouch.server.kbs.TeePublicKey;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load generator for the KBS: complete handshakes (auth → attest → resource, a fresh client and TEE
 * key each) per second with p50/p99 latency over loopback, with sample evidence and with TPM
 * evidence (quotes signed by a software ECDSA P-256 attestation key, verified in full by the TPM
 * verifier and appraised by the default TPM policy). In the same run it measures the crypto each
 * handshake needs: JWE encrypt and decrypt, EAR token sign and verify, TPM quote verify, ephemeral
 * key generation.
 *
 * <p>Run: {@code java -cp vouch-bench/target/benchmarks.jar dev.vouch.bench.KbsLoad [seconds]
 * [concurrency]} (defaults 10 s, 8 clients).
 */
public final class KbsLoad {
  private static final ObjectMapper JSON = new ObjectMapper();

  private KbsLoad() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    java.util.logging.LogManager.getLogManager().reset();
    SoftwareTpm tpm = new SoftwareTpm();
    BenchBackend backend = new BenchBackend(tpm);
    InMemoryResourceStore resources = new InMemoryResourceStore();
    resources.put(new ResourcePath("default", "key", "luks"), new byte[32]);
    KbsService kbs =
        new KbsService(
            // every load client shares 127.0.0.1: the per-client limits would measure themselves
            KbsConfig.defaults()
                .withTees(EnumSet.of(Tee.TPM, Tee.SAMPLE))
                .withLimits(
                    dev.vouch.server.http.ClientRateLimiter.Limit.unlimited(),
                    dev.vouch.server.http.ClientRateLimiter.Limit.unlimited(),
                    Integer.MAX_VALUE),
            java.util.Optional.<AttestationBackend>of(backend),
            java.util.Optional.empty(),
            new InMemorySessionStore(),
            resources,
            AdminAuth.denyAll(),
            ResourcePolicy.defaultPolicy(),
            Clock.systemUTC(),
            new SecureRandom());
    Javalin app = Javalin.create(new KbsRoutes(kbs)::register).start("127.0.0.1", 0);
    URI url = URI.create("http://127.0.0.1:" + app.port());
    HttpClient http = HttpClient.newHttpClient();
    try {
      System.out.printf(
          "KBS load, %d s per mode, %d concurrent clients, loopback%n", seconds, concurrency);
      for (String mode : List.of("sample", "tpm")) {
        EvidenceProvider ev =
            mode.equals("sample") ? SampleEvidenceProvider.explicitlyEnabled() : tpm;
        run(url, http, ev, 2, concurrency); // warm-up
        Result r = run(url, http, ev, seconds, concurrency);
        System.out.printf(
            "%-7s %8.0f handshakes/s  p50 %6.2f ms  p99 %6.2f ms  (%d ok, %d failed)%n",
            mode, r.perSecond(), r.p50Ms(), r.p99Ms(), r.ok(), r.failed());
      }
      crypto(tpm, backend);
    } finally {
      app.stop();
    }
  }

  record Result(double perSecond, double p50Ms, double p99Ms, long ok, long failed) {}

  static Result run(URI url, HttpClient http, EvidenceProvider ev, int seconds, int concurrency)
      throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    AtomicLong failed = new AtomicLong();
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    List<Future<?>> fs = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < concurrency; i++) {
      fs.add(
          pool.submit(
              () -> {
                while (System.nanoTime() < end) {
                  long t0 = System.nanoTime();
                  try {
                    new KbsClient(url, ev, http, Clock.systemUTC(), KbsClient.KeyKind.EC_P256)
                        .getResource("default", "key", "luks");
                    latencies.add(System.nanoTime() - t0);
                  } catch (Exception e) {
                    failed.incrementAndGet();
                  }
                }
              }));
    }
    for (Future<?> f : fs) {
      f.get();
    }
    pool.shutdown();
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    if (sorted.length == 0) {
      return new Result(0, 0, 0, 0, failed.get());
    }
    return new Result(
        sorted.length / elapsed,
        sorted[(int) (sorted.length * 0.50)] / 1e6,
        sorted[Math.min(sorted.length - 1, (int) (sorted.length * 0.99))] / 1e6,
        sorted.length,
        failed.get());
  }

  /** Mean microseconds per call of each crypto step of one handshake. */
  static void crypto(SoftwareTpm tpm, BenchBackend backend) throws Exception {
    ECKey tee = new ECKeyGenerator(Curve.P_256).generate();
    TeePublicKey teeKey =
        TeePublicKey.parse(
            JSON.readTree(
                "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES+A256KW\",\"x\":\""
                    + tee.getX()
                    + "\",\"y\":\""
                    + tee.getY()
                    + "\"}"));
    byte[] secret = new byte[32];
    ResponseEncryptor encryptor = new ResponseEncryptor();
    String jwe = encryptor.encrypt(secret, teeKey);
    JsonNode j = JSON.readTree(jwe);
    String compact =
        String.join(
            ".",
            j.get("protected").asText(),
            j.get("encrypted_key").asText(),
            j.get("iv").asText(),
            j.get("ciphertext").asText(),
            j.get("tag").asText());
    String token = backend.issuer.issue(Map.of("cpu0", backend.sampleSubmod()), null);
    EarVerifier verifier = EarVerifier.fromJwks(backend.keys.jwksJson(), Clock.systemUTC());
    byte[] digest = new byte[48];
    byte[] quoteEvidence = JSON.writeValueAsBytes(tpm.evidence(digest));
    TpmEvidenceVerifier quoteVerifier = TpmEvidenceVerifier.trustingSuppliedAk();
    Expectations exp = Expectations.withNonce(Arrays.copyOf(digest, 32));

    System.out.println("crypto per handshake step (mean µs per call, same run):");
    time("JWE encrypt (ECDH-ES+A256KW P-256, A256GCM)", () -> encryptor.encrypt(secret, teeKey));
    time(
        "JWE decrypt",
        () -> {
          JWEObject o = JWEObject.parse(compact);
          o.decrypt(new ECDHDecrypter(tee));
          return o;
        });
    time(
        "EAR token sign (ES256)",
        () -> backend.issuer.issue(Map.of("cpu0", backend.sampleSubmod()), null));
    time("EAR token verify (ES256)", () -> verifier.verify(token));
    time(
        "TPM quote verify (ECDSA P-256 AK, 24 PCRs)",
        () -> quoteVerifier.verify(quoteEvidence, exp));
    time("TPM quote sign (software AK)", () -> tpm.evidence(digest));
    time("ephemeral TEE key (EC P-256)", () -> new ECKeyGenerator(Curve.P_256).generate());
  }

  interface Step {
    Object run() throws Exception;
  }

  static void time(String what, Step s) throws Exception {
    for (int i = 0; i < 500; i++) {
      s.run();
    }
    int n = 3000;
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      s.run();
    }
    System.out.printf("  %-46s %8.1f%n", what, (System.nanoTime() - t0) / 1e3 / n);
  }

  /**
   * A TPM stand-in for load: the simulated TPM's TPMS_ATTEST quotes over SHA-256 PCRs 0-23 (all
   * zero), signed with its software ECDSA P-256 AK, in the Vouch TPM evidence bundle.
   */
  static final class SoftwareTpm implements EvidenceProvider {
    private static final int[] ALL_PCRS = java.util.stream.IntStream.range(0, 24).toArray();
    final SimulatedTpm tpm = new SimulatedTpm(new java.security.SecureRandom());
    final String akSpkiSha256;

    SoftwareTpm() throws Exception {
      akSpkiSha256 = Hex.encode(HashAlg.SHA256.digest(tpm.akKey().publicKey().getEncoded()));
    }

    @Override
    public String tee() {
      return "tpm";
    }

    @Override
    public JsonNode evidence(byte[] digest) {
      SimulatedTpm.Quote q =
          tpm.quote(Arrays.copyOf(digest, 32), PcrSelection.of(HashAlg.SHA256, ALL_PCRS));
      return new TpmEvidenceBundle(
              tpm.akKey(),
              Optional.empty(),
              List.of(),
              List.of(new TpmEvidenceBundle.Quote(q.attest(), q.signature())),
              q.values(),
              Optional.empty(),
              Optional.empty(),
              Optional.empty())
          .toJsonNode();
    }
  }

  /**
   * The bench's in-process attestation backend (the server's attestation service is the production
   * one): sample and TPM verification, default policies, EAR tokens.
   */
  static final class BenchBackend implements AttestationBackend {
    final InMemorySigningKeys keys = new InMemorySigningKeys(EarAlgorithm.ES256, Clock.systemUTC());
    final EarIssuer issuer =
        new EarIssuer(
            keys,
            new VerifierId("https://vouch.dev", "kbs-load"),
            Duration.ofMinutes(5),
            Clock.systemUTC());
    final TpmEvidenceVerifier tpmVerifier = TpmEvidenceVerifier.trustingSuppliedAk();
    final Policy tpmPolicy = DefaultPolicies.load("tpm");
    final Policy samplePolicy = DefaultPolicies.load("sample");
    final Map<String, Object> reference;

    BenchBackend(SoftwareTpm tpm) {
      String zero = "00".repeat(32);
      reference =
          Map.of(
              "tpm.trusted_aks", List.of(tpm.akSpkiSha256),
              "tpm.pcr.sha256.0", List.of(zero),
              "tpm.pcr.sha256.2", List.of(zero),
              "tpm.pcr.sha256.4", List.of(zero),
              "tpm.pcr.sha256.7", List.of(zero),
              "sample.launch_digest", List.of("ab".repeat(48)),
              "sample.svn", List.of("1"));
    }

    Submod sampleSubmod() {
      Claims c = sampleClaims();
      return Submod.of(PolicyEngine.evaluate(samplePolicy, c, reference, Map.of()), c.asMap());
    }

    static Claims sampleClaims() {
      return Claims.builder()
          .put("sample.svn", "1")
          .put("sample.debug", false)
          .put("sample.launch_digest", "ab".repeat(48))
          .build();
    }

    @Override
    public AttestationOutcome attest(AttestationInput in) throws VerificationException {
      RuntimeData.Structured s = (RuntimeData.Structured) in.runtimeData().orElseThrow();
      byte[] digest = RuntimeDataBinding.digest(s.json(), in.runtimeDataHash());
      VerifiedEvidence v;
      Policy p;
      if (in.tee() == Tee.TPM) {
        v =
            tpmVerifier.verify(
                in.evidence(),
                Expectations.withNonce(Arrays.copyOf(digest, tpmVerifier.reportDataLength())));
        p = tpmPolicy;
      } else {
        JsonNode e;
        try {
          e = JSON.readTree(in.evidence());
        } catch (java.io.IOException x) {
          throw new VerificationException(Failure.MALFORMED, "sample evidence");
        }
        if (!Arrays.equals(Base64.getDecoder().decode(e.path("report_data").asText()), digest)) {
          throw new VerificationException(Failure.REPORT_DATA_MISMATCH, "sample report_data");
        }
        v = new VerifiedEvidence(Tee.SAMPLE, sampleClaims());
        p = samplePolicy;
      }
      Appraisal a = PolicyEngine.evaluate(p, v.claims(), reference, Map.of());
      String token = issuer.issue(Map.of("cpu0", Submod.of(a, v.claims().asMap())), null);
      return new AttestationOutcome(token, a.status().earName(), v.claims().asMap());
    }
  }
}
