package dev.vouch.server.kbs;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.as.AttestationInput;
import dev.vouch.server.as.AttestationOutcome;
import dev.vouch.server.as.RuntimeData;
import dev.vouch.server.metrics.VouchMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * The key broker: Trustee's KBS protocol 0.4.0 (Request, Challenge, Attestation, Response) and its
 * admin operations, without HTTP types. {@link KbsRoutes} maps requests and {@link KbsError}s to
 * HTTP.
 *
 * <p>Background-check mode: {@code /attest} passes the evidence and the structured runtime data to
 * an {@link AttestationBackend} and keeps its token in the session. Passport mode: resource
 * requests may carry a token from a trusted attestation service, checked by a {@link
 * TokenVerifier}. Either may be absent; a KBS with neither releases nothing.
 *
 * <p>Each nonce is usable once: an attest request moves its session from AUTHED to ATTESTING in one
 * atomic store step before anything is verified, so replays, concurrent duplicates and attests
 * after success or failure are refused. Thread-safe.
 */
public final class KbsService {
  private static final Logger LOG = Logger.getLogger(KbsService.class.getName());
  private static final JsonMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  static {
    JSON.getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder()
                .maxNestingDepth(64)
                .maxStringLength(64 * 1024 * 1024)
                .build());
  }

  // for one value inside a body being parsed: the body's own end is checked by its reader
  private static final ObjectReader NODE =
      JSON.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  // sessions free up as they attest or expire; a full table is worth asking again shortly
  private static final java.time.Duration RETRY_WHEN_FULL = java.time.Duration.ofSeconds(5);

  private final KbsConfig config;
  private final Optional<AttestationBackend> backend;
  private final Optional<TokenVerifier> passport;
  private final SessionStore sessions;
  private final ResourceStore resources;
  private final AdminAuth admin;
  private final ResponseEncryptor encryptor = new ResponseEncryptor();
  private final ResourcePolicyStore policyStore;
  private final ResourcePolicy defaultPolicy;
  // the last compiled policy, reused while the stored source is unchanged
  private final AtomicReference<ResourcePolicy> compiled;
  private final Clock clock;
  private final SecureRandom random;
  // the number of live unattested sessions: counted in the store at most once a second (other
  // replicas add theirs), counted locally in between, so a flood costs no query per request
  private final Object unattestedLock = new Object();
  private long unattested;
  private Instant unattestedCountedAt;

  /**
   * @param backend the attestation service for background-check mode, if any
   * @param passport the verifier of bearer tokens for passport mode, if any
   */
  public KbsService(
      KbsConfig config,
      Optional<AttestationBackend> backend,
      Optional<TokenVerifier> passport,
      SessionStore sessions,
      ResourceStore resources,
      AdminAuth admin,
      ResourcePolicy policy,
      Clock clock,
      SecureRandom random) {
    this(
        config,
        backend,
        passport,
        sessions,
        resources,
        admin,
        policy,
        ResourcePolicyStore.inMemory(),
        clock,
        random);
  }

  /**
   * @param backend the attestation service for background-check mode, if any
   * @param passport the verifier of bearer tokens for passport mode, if any
   * @param policy the resource policy in force until an admin stores one
   * @param policyStore where the admin's policy is kept; shared by replicas on one database
   */
  public KbsService(
      KbsConfig config,
      Optional<AttestationBackend> backend,
      Optional<TokenVerifier> passport,
      SessionStore sessions,
      ResourceStore resources,
      AdminAuth admin,
      ResourcePolicy policy,
      ResourcePolicyStore policyStore,
      Clock clock,
      SecureRandom random) {
    this.config = Objects.requireNonNull(config);
    this.backend = Objects.requireNonNull(backend);
    this.passport = Objects.requireNonNull(passport);
    this.sessions = Objects.requireNonNull(sessions);
    this.resources = Objects.requireNonNull(resources);
    this.admin = Objects.requireNonNull(admin);
    this.defaultPolicy = Objects.requireNonNull(policy);
    this.policyStore = Objects.requireNonNull(policyStore);
    this.compiled = new AtomicReference<>(policy);
    this.clock = Objects.requireNonNull(clock);
    this.random = Objects.requireNonNull(random);
  }

  public KbsConfig config() {
    return config;
  }

  /** The answer to {@code /auth}: the session to set as cookie and the Challenge document. */
  public record Challenge(String sessionId, Instant expiresAt, String json) {
    @Override
    public String toString() {
      return "Challenge[" + Session.logId(sessionId) + "]";
    }
  }

  /** The answer to {@code /attest}: the token document and the (unchanged) session cookie. */
  public record Attested(String sessionId, Instant expiresAt, String json) {
    @Override
    public String toString() {
      return "Attested[" + Session.logId(sessionId) + "]";
    }
  }

  /**
   * Handles a Request: checks the version and TEE, opens a session with a fresh 32-byte nonce.
   *
   * @throws KbsError version mismatch (401, as Trustee), malformed request or refused TEE (400)
   */
  public Challenge auth(byte[] body) throws KbsError {
    JsonNode req = parseObject(body, "Request");
    String version = text(req, "version", "Request");
    if (!KbsConfig.PROTOCOL_VERSION.equals(version)) {
      throw new KbsError(
          KbsError.Kind.AttestationError,
          "KBS Client Protocol Version Mismatch: expect ="
              + KbsConfig.PROTOCOL_VERSION
              + " while the request is "
              + abbreviate(version));
    }
    String teeName = text(req, "tee", "Request");
    Tee tee =
        Tee.fromWireName(teeName)
            .filter(t -> t.wireName().equals(teeName))
            .orElseThrow(
                () ->
                    new KbsError(
                        KbsError.Kind.SerdeError,
                        "tee \"" + abbreviate(teeName) + "\" is not supported by this KBS"));
    if (!config.tees().contains(tee)) {
      throw new KbsError(
          KbsError.Kind.SerdeError, "tee \"" + teeName + "\" is not accepted by this KBS");
    }
    if (!req.has("extra-params")) {
      throw new KbsError(KbsError.Kind.SerdeError, "Request lacks \"extra-params\"");
    }
    Instant now = clock.instant();
    admitUnattested(now);
    byte[] nonceBytes = new byte[32];
    random.nextBytes(nonceBytes);
    byte[] idBytes = new byte[16];
    random.nextBytes(idBytes);
    String nonce = Base64.getEncoder().encodeToString(nonceBytes);
    String id = Hex.encode(idBytes);
    Instant expires = now.plus(config.sessionTimeout());
    sessions.create(Session.authed(id, tee, nonce, expires));
    ObjectNode challenge = JSON.createObjectNode();
    challenge.put("nonce", nonce);
    // Trustee sends the empty string when nothing is negotiated; clients then use sha384
    challenge.put("extra-params", "");
    LOG.fine(() -> "kbs session " + Session.logId(id) + ": challenge for " + tee.wireName());
    return new Challenge(id, expires, write(challenge));
  }

  /**
   * Handles an Attestation: claims the session's nonce, checks it, has the backend verify the
   * evidence bound to {@code {"additional-evidence", "nonce", "tee-pubkey"}}, and keeps the token.
   *
   * @throws KbsError no, unknown, expired or already used session, nonce mismatch or failed
   *     verification (401); malformed attestation or refused key (400)
   */
  public Attested attest(Optional<String> sessionId, byte[] body) throws KbsError {
    if (body.length > config.maxRequestBytes()) {
      throw tooLarge(body.length);
    }
    Instant now = clock.instant();
    String id = sessionId.orElseThrow(() -> attestationError("cookie not found"));
    Session session =
        sessions
            .claimable(id, now)
            .orElseThrow(
                () ->
                    attestationError("unknown or expired session; start again with /kbs/v0/auth"));
    // parse before claiming, so a client's malformed request does not burn its nonce
    AttestationBody parsed = parseAttestation(body);
    JsonNode att = parsed.tree();
    JsonNode runtime = att.get("runtime-data");
    if (runtime == null || !runtime.isObject()) {
      throw new KbsError(KbsError.Kind.SerdeError, "Attestation lacks \"runtime-data\"");
    }
    String nonce = text(runtime, "nonce", "runtime-data");
    TeePublicKey teeKey = TeePublicKey.parse(runtime.get("tee-pubkey"));
    JsonNode evidence = att.get("tee-evidence");
    if (evidence == null || !evidence.isObject()) {
      throw new KbsError(KbsError.Kind.SerdeError, "Attestation lacks \"tee-evidence\"");
    }
    JsonNode primary = evidence.get("primary_evidence");
    if (primary == null || primary.isNull()) {
      throw new KbsError(KbsError.Kind.SerdeError, "tee-evidence lacks \"primary_evidence\"");
    }
    String additional = text(evidence, "additional_evidence", "tee-evidence", true);
    if (!additional.isEmpty()) {
      refuseAdditionalEvidence(additional);
    }
    Optional<byte[]> initData = initData(att.get("init-data"));
    AttestationBackend as =
        backend.orElseThrow(
            () ->
                attestationError(
                    "this KBS verifies no evidence; present a token from a trusted attestation"
                        + " service"));

    if (session.state() != Session.State.AUTHED
        || !sessions.transition(Session.State.AUTHED, session.with(Session.State.ATTESTING), now)) {
      LOG.info(() -> "kbs session " + Session.logId(id) + ": refused a repeated attest request");
      throw attestationError(
          "this session's nonce was already used; start again with /kbs/v0/auth");
    }
    if (!Crypto.constantTimeEquals(
        nonce.getBytes(StandardCharsets.UTF_8), session.nonce().getBytes(StandardCharsets.UTF_8))) {
      fail(session, now);
      throw attestationError(
          "the nonce in the handshake session is different from the client side in KBS"
              + " protocol's Attestation message");
    }
    ObjectNode structured = RuntimeDataBinding.structured(session.nonce(), teeKey, additional);
    AttestationInput input =
        new AttestationInput(
            session.tee(),
            parsed.primaryEvidence().isPresent()
                ? parsed.primaryEvidence().get()
                : evidenceBytes(primary),
            Optional.of(new RuntimeData.Structured(structured)),
            config.runtimeDataHash(),
            initData,
            config.policyIds());
    AttestationOutcome outcome;
    try {
      outcome = as.attest(input);
    } catch (VerificationException e) {
      fail(session, now);
      LOG.info(
          () ->
              "kbs session "
                  + Session.logId(id)
                  + ": "
                  + session.tee().wireName()
                  + " attestation failed: "
                  + e.failure().code());
      throw attestationError(
          "verify TEE evidence failed: " + e.failure().code() + ": " + e.getMessage());
    } catch (RuntimeException e) {
      fail(session, now);
      throw e;
    }
    TokenClaims claims;
    try {
      claims = TokenClaims.parse(outcome.token());
    } catch (VerificationException e) {
      fail(session, now);
      throw new KbsError(
          KbsError.Kind.TokenVerifierError, "the attestation service returned no valid token");
    }
    Instant tokenExpiry = claims.expiresAt().orElse(session.expiresAt());
    Session done =
        session.attested(
            new Session.Attested(outcome.token(), claims.asPolicyValues(), teeKey, tokenExpiry));
    if (!sessions.transition(Session.State.ATTESTING, done, clock.instant())) {
      throw attestationError("session expired during attestation; start again with /kbs/v0/auth");
    }
    synchronized (unattestedLock) {
      unattested = Math.max(0, unattested - 1);
    }
    LOG.info(
        () ->
            "kbs session "
                + Session.logId(id)
                + ": "
                + session.tee().wireName()
                + " attested, status "
                + outcome.status());
    ObjectNode out = JSON.createObjectNode();
    out.put("token", outcome.token());
    return new Attested(id, session.expiresAt(), write(out));
  }

  /**
   * Releases a resource as a JWE to the attested TEE key, if the resource policy allows it for the
   * token's claims. The token comes from the attested session, else from {@code Authorization:
   * Bearer} (passport mode).
   *
   * @throws KbsError no token (401), token invalid or expired (401), policy denial (403), no such
   *     resource (404; asked only after the policy allowed the request)
   */
  public String resource(
      Optional<String> sessionId, Optional<String> authorization, ResourcePath path)
      throws KbsError {
    Instant now = clock.instant();
    Grant grant;
    try {
      grant = grant(sessionId, authorization, now);
    } catch (KbsError e) {
      VouchMetrics.kbsRelease("unauthenticated");
      throw e;
    }
    ResourcePolicy.Decision d = policy().decide(grant.claims(), path);
    if (!d.allowed()) {
      LOG.info(() -> "kbs " + grant.who() + ": policy denied " + path + ": " + d.reasons());
      VouchMetrics.kbsRelease("denied");
      throw new KbsError(
          KbsError.Kind.PolicyDeny,
          "resource policy denied " + path + ": " + String.join("; ", d.reasons()));
    }
    byte[] value =
        resources
            .get(path)
            .orElseThrow(
                () -> {
                  VouchMetrics.kbsRelease("not_found");
                  return new KbsError(
                      KbsError.Kind.ResourceNotFound, "resource " + path + " not found");
                });
    try {
      String jwe = encryptor.encrypt(value, grant.key());
      LOG.info(() -> "kbs " + grant.who() + ": released " + path);
      VouchMetrics.kbsRelease("released");
      return jwe;
    } finally {
      java.util.Arrays.fill(value, (byte) 0);
    }
  }

  /** The claims and key a resource request is authorised by. */
  private record Grant(java.util.Map<String, Object> claims, TeePublicKey key, String who) {}

  private Grant grant(Optional<String> sessionId, Optional<String> authorization, Instant now)
      throws KbsError {
    Optional<Session> session = sessionId.flatMap(id -> sessions.find(id, now));
    if (session.isPresent() && session.get().state() == Session.State.ATTESTED) {
      Session.Attested a = session.get().attested().orElseThrow();
      if (!now.isBefore(a.tokenExpiresAt())) {
        throw new KbsError(
            KbsError.Kind.TokenVerifierError, "the session's attestation token has expired");
      }
      return new Grant(a.claims(), a.teeKey(), "session " + Session.logId(session.get().id()));
    }
    Optional<String> bearer =
        authorization
            .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
            .map(h -> h.substring(7).trim());
    if (bearer.isEmpty()) {
      if (sessionId.isPresent()) {
        throw new KbsError(
            KbsError.Kind.TokenNotFound,
            session.isEmpty()
                ? "unknown or expired session; attest again"
                : "the session is not attested");
      }
      throw new KbsError(
          KbsError.Kind.TokenNotFound, "no attested session cookie and no bearer token");
    }
    TokenVerifier verifier =
        passport.orElseThrow(
            () ->
                new KbsError(
                    KbsError.Kind.TokenVerifierError,
                    "this KBS accepts no bearer tokens: no trusted attestation service is"
                        + " configured"));
    TokenClaims claims;
    try {
      claims = verifier.verify(bearer.get());
    } catch (VerificationException e) {
      throw new KbsError(
          KbsError.Kind.TokenVerifierError,
          "bearer token refused: " + e.failure().code() + ": " + e.getMessage());
    }
    JsonNode keyJson =
        claims
            .teePublicKey()
            .orElseThrow(
                () ->
                    new KbsError(
                        KbsError.Kind.TokenVerifierError,
                        "the token binds no tee-pubkey to encrypt the resource to"));
    TeePublicKey key;
    try {
      key = TeePublicKey.parse(keyJson);
    } catch (KbsError e) {
      throw new KbsError(KbsError.Kind.TokenVerifierError, "token tee-pubkey: " + e.detail());
    }
    return new Grant(claims.asPolicyValues(), key, "bearer token");
  }

  // ---- admin ----

  /** Stores or replaces a resource (admin). */
  public void putResource(Optional<String> authorization, ResourcePath path, byte[] value)
      throws KbsError {
    admin.authorize(authorization, RESOURCE_PREFIX + path);
    if (value.length > config.maxRequestBytes()) {
      throw tooLarge(value.length);
    }
    resources.put(path, value);
    LOG.info(() -> "kbs admin: stored resource " + path + " (" + value.length + " bytes)");
  }

  /** Deletes a resource (admin). */
  public void deleteResource(Optional<String> authorization, ResourcePath path) throws KbsError {
    admin.authorize(authorization, RESOURCE_PREFIX + path);
    if (!resources.delete(path)) {
      throw new KbsError(KbsError.Kind.ResourceNotFound, "resource " + path + " not found");
    }
    LOG.info(() -> "kbs admin: deleted resource " + path);
  }

  /** Lists resource paths (admin): a JSON array of {@code "repository/type/tag"}, no values. */
  public String listResources(Optional<String> authorization) throws KbsError {
    admin.authorize(authorization, "/kbs/v0/resource");
    List<String> paths = resources.list().stream().map(ResourcePath::toString).toList();
    return write(JSON.valueToTree(paths));
  }

  /**
   * Replaces the resource policy (admin): body {@code {"policy": "<base64url of the policy
   * document>"}} as Trustee's {@code /resource-policy} takes it.
   */
  public void setPolicy(Optional<String> authorization, byte[] body) throws KbsError {
    admin.authorize(authorization, RESOURCE_POLICY_PATH);
    if (body.length > config.maxRequestBytes()) {
      throw tooLarge(body.length);
    }
    JsonNode req = parseObject(body, "policy request");
    String encoded = text(req, "policy", "policy request");
    String source;
    try {
      source = new String(Base64.getUrlDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new KbsError(KbsError.Kind.SerdeError, "policy must be base64url");
    }
    ResourcePolicy p = ResourcePolicy.compile(source);
    policyStore.save(source);
    compiled.set(p);
    LOG.info("kbs admin: resource policy replaced");
  }

  /** The resource policy's id. */
  public static final String RESOURCE_POLICY_ID = "resource-policy";

  // the request paths the admin ACL judges, as Trustee matches its regex_acl on the request URI
  private static final String RESOURCE_PREFIX = "/kbs/v0/resource/";
  private static final String RESOURCE_POLICY_PATH = "/kbs/v0/" + RESOURCE_POLICY_ID;

  /**
   * The resource policy ids (admin), as Trustee v0.19 and later answer {@code GET
   * /kbs/v0/resource-policy}: {@code ["resource-policy"]}.
   */
  public String listPolicies(Optional<String> authorization) throws KbsError {
    admin.authorize(authorization, RESOURCE_POLICY_PATH);
    return write(JSON.createArrayNode().add(RESOURCE_POLICY_ID));
  }

  /**
   * The resource policy in force (admin): {@code {"policy": "<base64url>"}}, the body {@link
   * #setPolicy} takes. {@code id} must be {@value #RESOURCE_POLICY_ID}.
   */
  public String getPolicy(Optional<String> authorization, String id) throws KbsError {
    admin.authorize(authorization, RESOURCE_POLICY_PATH + "/" + id);
    if (!RESOURCE_POLICY_ID.equals(id)) {
      throw new KbsError(
          KbsError.Kind.PolicyEngineError, "policy " + abbreviate(id) + " not found");
    }
    ObjectNode out = JSON.createObjectNode();
    out.put(
        "policy",
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(policy().source().getBytes(StandardCharsets.UTF_8)));
    return write(out);
  }

  /**
   * Counts a new unattested session against {@link KbsConfig#maxUnattestedSessions()}, or refuses
   * it: the global bound that keeps the session table small when many addresses flood {@code /auth}
   * (each address alone is held by the per-client rate limit). Replicas count each other's sessions
   * at the next refresh, so they may overshoot the bound by what they admit in a second.
   */
  private void admitUnattested(Instant now) throws KbsError {
    synchronized (unattestedLock) {
      if (unattestedCountedAt == null
          || !now.isBefore(unattestedCountedAt.plusSeconds(1))
          || now.isBefore(unattestedCountedAt)) {
        unattested = sessions.countUnattested(now);
        unattestedCountedAt = now;
        if (unattested >= config.maxUnattestedSessions()) {
          // once per refresh, not per refused request: a flood must not flood the log too
          LOG.warning("kbs: " + unattested + " unattested sessions, the maximum; refusing /auth");
        }
      }
      if (unattested >= config.maxUnattestedSessions()) {
        throw new KbsError(
            KbsError.Kind.TooManyRequests,
            "this KBS holds as many unattested sessions as it allows; retry later",
            Optional.of(RETRY_WHEN_FULL));
      }
      unattested++;
    }
  }

  /** Removes expired sessions; the server's scheduler calls this every minute. */
  public int sweepSessions() {
    return sessions.removeExpired(clock.instant());
  }

  // ---- helpers ----

  /**
   * The policy in force: the stored one (which another replica may have replaced), else the
   * default.
   */
  private ResourcePolicy policy() throws KbsError {
    Optional<String> stored = policyStore.load();
    if (stored.isEmpty()) {
      return defaultPolicy;
    }
    ResourcePolicy cur = compiled.get();
    if (cur.source().equals(stored.get())) {
      return cur;
    }
    ResourcePolicy fresh = ResourcePolicy.compile(stored.get());
    compiled.set(fresh);
    return fresh;
  }

  private void fail(Session session, Instant now) {
    sessions.transition(Session.State.ATTESTING, session.with(Session.State.FAILED), now);
  }

  private static Optional<byte[]> initData(JsonNode node) throws KbsError {
    if (node == null || node.isNull()) {
      return Optional.empty();
    }
    if (!node.isObject()) {
      throw new KbsError(KbsError.Kind.SerdeError, "init-data must be an object");
    }
    String format = text(node, "format", "init-data");
    if (!"toml".equals(format)) {
      throw new KbsError(
          KbsError.Kind.SerdeError, "Unsupported initdata format: " + abbreviate(format));
    }
    return Optional.of(text(node, "body", "init-data", true).getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] evidenceBytes(JsonNode primary) throws KbsError {
    if (primary.isTextual()) {
      return primary.textValue().getBytes(StandardCharsets.UTF_8);
    }
    try {
      return JSON.writeValueAsBytes(primary);
    } catch (JsonProcessingException e) {
      throw new KbsError(KbsError.Kind.SerdeError, "primary_evidence cannot be serialised");
    }
  }

  /**
   * An Attestation as a tree, except a {@code primary_evidence} object or array: its bytes as
   * received, which the evidence verifier parses itself (in the tree it is an empty object).
   */
  private record AttestationBody(JsonNode tree, Optional<byte[]> primaryEvidence) {}

  // one pass with the same strict parser as parseObject: the evidence, most of the body, is neither
  // built into a tree nor written out again for the verifier to parse
  private AttestationBody parseAttestation(byte[] body) throws KbsError {
    if (body.length > config.maxRequestBytes()) {
      throw tooLarge(body.length);
    }
    try (JsonParser p = JSON.createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new KbsError(KbsError.Kind.SerdeError, "Attestation must be a JSON object");
      }
      ObjectNode root = JSON.createObjectNode();
      byte[] primary = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (p.nextToken() != JsonToken.START_OBJECT || !name.equals("tee-evidence")) {
          root.set(name, NODE.readValue(p));
          continue;
        }
        ObjectNode evidence = root.putObject(name);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String field = p.currentName();
          JsonToken value = p.nextToken();
          if (field.equals("primary_evidence")
              && (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY)) {
            long start = p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            primary =
                Arrays.copyOfRange(body, (int) start, (int) p.currentLocation().getByteOffset());
            evidence.putObject(field);
          } else {
            evidence.set(field, NODE.readValue(p));
          }
        }
      }
      if (p.nextToken() != null) {
        throw new KbsError(KbsError.Kind.SerdeError, "Attestation is not valid JSON");
      }
      return new AttestationBody(root, Optional.ofNullable(primary));
    } catch (IOException e) {
      throw new KbsError(KbsError.Kind.SerdeError, "Attestation is not valid JSON");
    }
  }

  private JsonNode parseObject(byte[] body, String what) throws KbsError {
    if (body.length > config.maxRequestBytes()) {
      throw tooLarge(body.length);
    }
    JsonNode n;
    try {
      n = JSON.readTree(body);
    } catch (IOException e) {
      throw new KbsError(KbsError.Kind.SerdeError, what + " is not valid JSON");
    }
    if (n == null || !n.isObject()) {
      throw new KbsError(KbsError.Kind.SerdeError, what + " must be a JSON object");
    }
    return n;
  }

  private static String text(JsonNode n, String name, String where) throws KbsError {
    return text(n, name, where, false);
  }

  private static String text(JsonNode n, String name, String where, boolean mayBeEmpty)
      throws KbsError {
    JsonNode v = n.get(name);
    if (v == null || !v.isTextual() || (!mayBeEmpty && v.textValue().isEmpty())) {
      throw new KbsError(
          KbsError.Kind.SerdeError, where + " lacks the string member \"" + name + "\"");
    }
    return v.textValue();
  }

  private KbsError tooLarge(long size) {
    return new KbsError(
        KbsError.Kind.PayloadTooLarge,
        "request of " + size + " bytes exceeds the limit of " + config.maxRequestBytes());
  }

  private static KbsError attestationError(String detail) {
    return new KbsError(KbsError.Kind.AttestationError, detail);
  }

  /**
   * Refuses non-empty {@code additional_evidence}, which Trustee reads as a JSON object of evidence
   * by device kind ({@code {"nvidia": {...}}}): malformed is {@link KbsError.Kind#SerdeError};
   * well-formed is {@link KbsError.Kind#AdditionalEvidenceUnsupported}, because no device verifier
   * is configured and the primary evidence alone must not be taken for the whole (fail closed).
   * Checked before the session's nonce is claimed, so the client may retry without it.
   */
  private static void refuseAdditionalEvidence(String additional) throws KbsError {
    JsonNode devices;
    try {
      devices = JSON.readTree(additional);
    } catch (JsonProcessingException e) {
      devices = null;
    }
    if (devices == null || !devices.isObject() || devices.isEmpty()) {
      throw new KbsError(
          KbsError.Kind.SerdeError,
          "additional_evidence is neither \"\" nor a JSON object of evidence by device kind");
    }
    List<String> kinds = new ArrayList<>();
    devices.fieldNames().forEachRemaining(k -> kinds.add(abbreviate(k)));
    throw new KbsError(
        KbsError.Kind.AdditionalEvidenceUnsupported,
        "ADDITIONAL_EVIDENCE_UNSUPPORTED: no device verifier is configured for the additional"
            + " evidence "
            + (kinds.size() > 4 ? kinds.subList(0, 4) + "..." : kinds)
            + "; send \"\" to attest the primary evidence alone");
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  private static String write(JsonNode n) {
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot happen for a JSON tree", e);
    }
  }
}
