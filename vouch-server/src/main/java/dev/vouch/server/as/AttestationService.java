package dev.vouch.server.as;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.json.Jcs;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.Verifiers;
import dev.vouch.evidence.cima.ContainerEvidenceVerifier;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.policy.Appraisal;
import dev.vouch.policy.DefaultPolicies;
import dev.vouch.policy.Policy;
import dev.vouch.policy.PolicyEngine;
import dev.vouch.policy.RuleResult;
import dev.vouch.policy.TrustVector;
import dev.vouch.policy.ear.EarIssuer;
import dev.vouch.policy.ear.Submod;
import dev.vouch.policy.rvps.ReferenceValueStore;
import dev.vouch.policy.trustee.Ar4siPolicy;
import dev.vouch.server.metrics.VouchMetrics;
import dev.vouch.server.policy.AppraisalPolicy;
import dev.vouch.server.policy.PolicyStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attestation service: evidence → verifier driver → claims → policy → signed EAR token.
 *
 * <p>Runtime-data binding follows Trustee: raw runtime data is used as it is, structured runtime
 * data is hashed after RFC 8785 canonicalisation with the requested hash (default SHA-384). The
 * result, zero-padded or truncated to the verifier's {@link EvidenceVerifier#reportDataLength()},
 * must sit in the TEE's report-data field. A mismatch is {@link Failure#REPORT_DATA_MISMATCH}.
 * Freshness fails closed: a request without runtime data is refused unless it says {@link
 * AttestationInput.Freshness#NONE} explicitly, and then the token's annotated evidence and the
 * policy input carry {@code freshness: none} (else {@code freshness: runtime_data}).
 *
 * <p>Init data is checked by the verifier ({@link EvidenceVerifier#checkInitData}) against the
 * claims it verified; a mismatch is {@link Failure#INIT_DATA_MISMATCH}.
 *
 * <p>Collateral (Intel TCB info, AMD certificates, CCA platform keys, ...) comes from the {@link
 * CollateralFiles} given at construction and is handed to every verification; each verifier picks
 * what it recognises.
 *
 * <p>Verification failures throw and issue no token; a policy that does not affirm still gives a
 * signed token whose status says so (as Trustee does: gating is the relying party's job). With no
 * policy ids, or the id {@code default}, the default policy of the evidence kind ({@code
 * default-<kind>}, replaceable by storing a policy under that id) appraises; only the first id
 * counts, as in Trustee. A trust claim policy ({@link AppraisalPolicy.TrustClaims}, e.g. the
 * built-in {@code trustee-default-cpu}) appraises Trustee's claim tree ({@link TrusteeClaimTree})
 * and sets the token's trust vector to its values; the status is the worst tier of that vector, as
 * Trustee's {@code update_status_from_trust_vector}. Thread-safe.
 */
public final class AttestationService implements AttestationBackend {
  /** The EAR submod name of the primary evidence, as Trustee names it. */
  public static final String SUBMOD = "cpu0";

  private static final Logger LOG = LoggerFactory.getLogger(AttestationService.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TOML_ALGORITHM =
      Pattern.compile("(?m)^\\s*algorithm\\s*=\\s*\"([A-Za-z0-9-]+)\"");

  private final Verifiers verifiers;
  private final CollateralFiles collateral;
  private final PolicyStore policies;
  private final ReferenceValueStore referenceValues;
  private final EarIssuer issuer;
  private final Clock clock;

  /** Offline collateral the service hands to every verification; read each time it is needed. */
  @FunctionalInterface
  public interface CollateralFiles {
    /** The current files (cached by the implementation as it sees fit). */
    List<byte[]> current();

    /** No collateral. */
    static CollateralFiles none() {
      return List::of;
    }
  }

  /**
   * Stored runtime policies by name, for requests that name one ({@link
   * AttestationInput#runtimePolicy()}).
   */
  @FunctionalInterface
  public interface RuntimePolicies {
    /**
     * The newest version of policy {@code name}.
     *
     * @throws RuntimePolicy.Invalid when the stored policy no longer parses
     */
    Optional<RuntimePolicy> latest(String name) throws RuntimePolicy.Invalid;

    /** No stored runtime policies. */
    static RuntimePolicies none() {
      return name -> Optional.empty();
    }
  }

  private final RuntimePolicies runtimePolicies;

  /** A service without offline collateral. */
  public AttestationService(
      Verifiers verifiers,
      PolicyStore policies,
      ReferenceValueStore referenceValues,
      EarIssuer issuer,
      Clock clock) {
    this(verifiers, CollateralFiles.none(), policies, referenceValues, issuer, clock);
  }

  public AttestationService(
      Verifiers verifiers,
      CollateralFiles collateral,
      PolicyStore policies,
      ReferenceValueStore referenceValues,
      EarIssuer issuer,
      Clock clock) {
    this(verifiers, collateral, policies, referenceValues, issuer, clock, RuntimePolicies.none());
  }

  /** A service whose requests may name a runtime policy from {@code runtimePolicies}. */
  public AttestationService(
      Verifiers verifiers,
      CollateralFiles collateral,
      PolicyStore policies,
      ReferenceValueStore referenceValues,
      EarIssuer issuer,
      Clock clock,
      RuntimePolicies runtimePolicies) {
    this.runtimePolicies = java.util.Objects.requireNonNull(runtimePolicies, "runtimePolicies");
    this.verifiers = verifiers;
    this.collateral = collateral;
    this.policies = policies;
    this.referenceValues = referenceValues;
    this.issuer = issuer;
    this.clock = clock;
  }

  /** The evidence kinds this service verifies (those whose trust material is configured). */
  public java.util.Set<Tee> acceptedTees() {
    return verifiers.tees();
  }

  /**
   * Attests with {@link AttestationInput#initData()} read as the init data document (Trustee's
   * TOML): its digest uses the document's {@code algorithm} (sha256, sha384 or sha512; sha256 when
   * it names none).
   */
  @Override
  public AttestationOutcome attest(AttestationInput input) throws VerificationException {
    Optional<byte[]> digest = Optional.empty();
    if (input.initData().isPresent()) {
      digest = Optional.of(initDataDigest(input.initData().get()));
    }
    return attest(input, digest);
  }

  /** The digest of an init data document, with the hash its {@code algorithm} line names. */
  public static byte[] initDataDigest(byte[] document) throws VerificationException {
    Matcher m = TOML_ALGORITHM.matcher(new String(document, StandardCharsets.UTF_8));
    String alg = m.find() ? m.group(1) : "sha256";
    return hash(alg).digest(document);
  }

  /**
   * Attests with the init data given as its digest (Trustee's {@code init_data_digest}), ignoring
   * {@code input.initData()}.
   */
  public AttestationOutcome attest(AttestationInput input, Optional<byte[]> initDataDigest)
      throws VerificationException {
    long started = System.nanoTime();
    Tee tee = input.tee();
    requireFreshness(input);
    EvidenceVerifier registered =
        verifiers
            .forTee(tee)
            .orElseThrow(
                () -> new VerificationException(Failure.UNSUPPORTED, verifiers.whyRefused(tee)));
    EvidenceVerifier verifier =
        input.runtimePolicy().isPresent()
            ? withRuntimePolicy(registered, input.runtimePolicy().get())
            : registered;
    AppraisalPolicy policy = policy(tee, input.policyIds());
    Optional<byte[]> reportData = reportData(input);
    Optional<byte[]> expected = reportData.map(d -> regularize(d, verifier.reportDataLength()));
    Instant now = clock.instant();
    VerifiedEvidence verified;
    try {
      verified =
          verifier.verify(input.evidence(), new Expectations(expected, now, collateral.current()));
    } catch (VerificationException e) {
      VerificationException out = e;
      if (e.failure() == Failure.NONCE_MISMATCH && reportData.isPresent()) {
        // for a service the nonce is the runtime-data binding: name it as such
        out =
            new VerificationException(
                Failure.REPORT_DATA_MISMATCH, "runtime data binding: " + e.getMessage(), e);
      }
      LOG.info(
          "attestation refused tee={} failure={} detail={}",
          tee.wireName(),
          out.failure(),
          out.getMessage());
      VouchMetrics.attestation(tee.wireName(), "refused", System.nanoTime() - started);
      throw out;
    }
    Map<String, Object> claims = verified.claims().asMap();
    if (initDataDigest.isPresent()) {
      verifier.checkInitData(verified, initDataDigest.get());
    }
    Map<String, Object> policyInput = new LinkedHashMap<>();
    policyInput.put("freshness", input.freshness().wireName());
    reportData.ifPresent(d -> policyInput.put("report_data", Hex.encode(d)));
    initDataDigest.ifPresent(d -> policyInput.put("init_data", Hex.encode(d)));
    if (initDataDigest.isPresent() && input.initData().isPresent()) {
      byte[] document = input.initData().get();
      // claims only from the document the evidence bound (not from one sent beside a digest)
      if (java.util.Arrays.equals(initDataDigest(document), initDataDigest.get())) {
        Object initDataClaims = InitDataClaims.of(document);
        if (initDataClaims != null) {
          policyInput.put("init_data_claims", initDataClaims);
        }
      }
    }
    // plain maps and lists: the token's JSON writer and the policy engine know no Jackson nodes
    structured(input)
        .ifPresent(j -> policyInput.put("runtime_data_claims", JSON.convertValue(j, Object.class)));
    Map<String, List<Object>> reference = referenceValues.referenceMap(now);
    Optional<Map<String, Object>> tree = TrusteeClaimTree.of(tee, claims);
    Verdict verdict =
        switch (policy) {
          case AppraisalPolicy.Rules r -> rules(r.policy(), claims, reference, policyInput);
          case AppraisalPolicy.TrustClaims t ->
              trustClaims(t.policy(), tee, tree.orElse(Map.of()), reference, policyInput);
        };

    Map<String, Object> annotated = new LinkedHashMap<>(claims);
    annotated.putAll(policyInput);
    // Trustee's per-TEE tree beside the flat names, for relying parties written for Trustee
    tree.ifPresent(t -> annotated.put(tee.wireName(), t));
    annotated.put("policy_version", policy.version());
    annotated.putAll(verdict.annotations());
    TrustVector vector = verdict.vector();
    Submod submod = new Submod(vector.status(), vector, policy.id(), annotated);
    String token = issuer.issue(Map.of(SUBMOD, submod), null);
    LOG.info(
        "attestation tee={} status={} policy={} v{} {} ms={}",
        tee.wireName(),
        vector.status().earName(),
        policy.id(),
        policy.version(),
        verdict.logDetail(),
        (System.nanoTime() - started) / 1_000_000);
    VouchMetrics.attestation(
        tee.wireName(), vector.status().earName(), System.nanoTime() - started);
    return new AttestationOutcome(token, vector.status().earName(), claims);
  }

  /**
   * {@code verifier} appraising against stored runtime policy {@code name}: the container verifier
   * refuses evidence with an entry the policy does not allow ({@link Failure#POLICY_DENIED}, naming
   * the entry, path, digest and rule).
   */
  private EvidenceVerifier withRuntimePolicy(EvidenceVerifier verifier, String name)
      throws VerificationException {
    if (!(verifier instanceof ContainerEvidenceVerifier container)) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "a runtime policy appraises container evidence, not " + verifier.tee().wireName());
    }
    try {
      return container.withRuntimePolicy(
          runtimePolicies
              .latest(name)
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.POLICY_DENIED, "no runtime policy '" + name + "' is stored")));
    } catch (RuntimePolicy.Invalid e) {
      throw new VerificationException(
          Failure.POLICY_DENIED, "runtime policy '" + name + "': " + e.getMessage());
    }
  }

  /** What a policy of either form said: the vector and what the token adds to explain it. */
  private record Verdict(TrustVector vector, Map<String, Object> annotations, String logDetail) {}

  private Verdict rules(
      Policy policy,
      Map<String, Object> claims,
      Map<String, List<Object>> reference,
      Map<String, Object> policyInput) {
    Appraisal appraisal = PolicyEngine.evaluate(policy, claims, reference, policyInput);
    return new Verdict(
        appraisal.trustVector(),
        Map.of("policy_failures", appraisal.failures().stream().map(this::reason).toList()),
        "failed_rules=" + appraisal.failures().stream().map(RuleResult::rule).toList());
  }

  /**
   * A trust claim policy sees what Trustee's EAR policy sees ({@code transform_claims} in Trustee's
   * attestation-service/src/ear_token/broker.rs): the TEE's claim tree under its wire name with
   * {@code init_data} and {@code report_data} lifted to the top, beside {@code init_data_claims}
   * and {@code runtime_data_claims}.
   */
  private static Verdict trustClaims(
      Ar4siPolicy policy,
      Tee tee,
      Map<String, Object> tree,
      Map<String, List<Object>> reference,
      Map<String, Object> policyInput) {
    Ar4siPolicy.Appraisal a = policy.evaluate(trusteeInput(tee, tree, policyInput), reference);
    Map<String, Object> cases = new LinkedHashMap<>();
    a.decidedBy().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> cases.put(e.getKey().earName(), e.getValue()));
    return new Verdict(
        a.vector(),
        Map.of("policy_cases", cases, "policy_errors", a.errors()),
        "cases=" + cases.values() + " errors=" + a.errors().size());
  }

  /**
   * Trustee's policy input for one TEE, built from its claim tree and the request's data; the
   * claims of raw or absent init or runtime data are null, as Trustee's {@code parse_init_data} and
   * {@code parse_runtime_data} give them.
   *
   * @param tree the TEE's {@link TrusteeClaimTree}
   * @param policyInput the request's {@code init_data_claims} and {@code runtime_data_claims}, if
   *     any
   */
  public static Map<String, Object> trusteeInput(
      Tee tee, Map<String, Object> tree, Map<String, Object> policyInput) {
    Map<String, Object> teeClaims = new LinkedHashMap<>(tree);
    Map<String, Object> in = new LinkedHashMap<>();
    Object initData = teeClaims.remove("init_data");
    if (initData != null) {
      in.put("init_data", initData);
      in.put("init_data_claims", policyInput.get("init_data_claims"));
    }
    Object reportData = teeClaims.remove("report_data");
    if (reportData != null) {
      in.put("report_data", reportData);
      in.put("runtime_data_claims", policyInput.get("runtime_data_claims"));
    }
    in.put(tee.wireName(), teeClaims);
    return in;
  }

  private Map<String, Object> reason(RuleResult r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rule", r.rule());
    m.put("category", r.category().earName());
    m.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
    m.put("explanation", r.explanation());
    return m;
  }

  private AppraisalPolicy policy(Tee tee, List<String> ids) throws VerificationException {
    String id =
        ids.isEmpty() || ids.get(0).equals("default")
            ? DefaultPolicies.id(tee.wireName())
            : ids.get(0);
    return policies
        .resolve(id)
        .orElseThrow(
            () -> new VerificationException(Failure.UNSUPPORTED, "no policy with id '" + id + "'"));
  }

  private static Optional<com.fasterxml.jackson.databind.JsonNode> structured(AttestationInput in) {
    return in.runtimeData()
        .filter(RuntimeData.Structured.class::isInstance)
        .map(r -> ((RuntimeData.Structured) r).json());
  }

  /**
   * Refuses a request that neither binds runtime data nor says explicitly that it skips freshness,
   * and one that does both.
   *
   * @throws FreshnessException for either
   */
  static void requireFreshness(AttestationInput in) {
    boolean none = in.freshness() == AttestationInput.Freshness.NONE;
    if (in.runtimeData().isEmpty() && !none) {
      throw new FreshnessException(
          "the request carries no runtime data (nonce); send one, or say \"freshness\": \"none\""
              + " to appraise without a freshness check");
    }
    if (in.runtimeData().isPresent() && none) {
      throw new FreshnessException(
          "the request carries runtime data and \"freshness\": \"none\"; give one or the other");
    }
  }

  /** A request whose freshness is neither bound nor explicitly waived. */
  public static final class FreshnessException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    FreshnessException(String message) {
      super(message);
    }
  }

  /** The bytes the evidence's report data must carry: raw as given, structured hashed. */
  static Optional<byte[]> reportData(AttestationInput in) throws VerificationException {
    if (in.runtimeData().isEmpty()) {
      return Optional.empty();
    }
    return switch (in.runtimeData().get()) {
      case RuntimeData.Raw raw -> Optional.of(raw.bytes());
      case RuntimeData.Structured s ->
          Optional.of(hash(in.runtimeDataHash()).digest(Jcs.canonicalize(s.json())));
    };
  }

  private static HashAlg hash(String name) throws VerificationException {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "sha256" -> HashAlg.SHA256;
      case "sha384" -> HashAlg.SHA384;
      case "sha512" -> HashAlg.SHA512;
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, "hash algorithm " + name + " (sha256, sha384 or sha512)");
    };
  }

  /** Right-pads with zeros or truncates, as Trustee's {@code regularize_data}. */
  static byte[] regularize(byte[] data, int size) {
    return Arrays.copyOf(data, size);
  }
}
