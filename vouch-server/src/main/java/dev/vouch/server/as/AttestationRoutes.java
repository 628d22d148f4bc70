package dev.vouch.server.as;

import static dev.vouch.server.http.JsonSchema.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.policy.ear.SigningKeys;
import dev.vouch.server.http.ClientRateLimiter;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.JsonSchema;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.Routes;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * HTTP routes of the attestation service: the Vouch request ({@code POST /api/v1/attest}), the
 * Trustee AS REST request ({@code POST /attestation}, answering with the bare JWT) and the token
 * keys ({@code GET /api/v1/jwks}, {@code GET /.well-known/jwks.json}).
 *
 * <p>A verification failure is answered 422 with the {@link dev.vouch.core.Failure} code and no
 * token; evidence that verifies gets a signed token whatever the policy says (its status is then
 * contraindicated or warning, and {@code policy_failures} in the annotated evidence says why).
 */
public final class AttestationRoutes {
  private static final Set<String> VOUCH_FIELDS =
      Set.of(
          "tee",
          "evidence",
          "nonce",
          "runtime_data",
          "runtime_data_hash_algorithm",
          "init_data",
          "policy_ids",
          "freshness",
          "runtime_policy");
  private static final List<Integer> ATTEST_STATUSES = List.of(200, 400, 413, 422, 429);
  private static final JsonSchema JWKS =
      object("keys", arrayOf(object("kty", STRING, "kid", STRING)));

  private final AttestationService service;
  private final SigningKeys keys;
  private final ClientRateLimiter limiter;

  public AttestationRoutes(AttestationService service, SigningKeys keys) {
    this(service, keys, new ClientRateLimiter(ClientRateLimiter.Limit.unlimited()));
  }

  /**
   * @param limiter each client's rate on both attestation routes together (one bucket per client)
   */
  public AttestationRoutes(
      AttestationService service, SigningKeys keys, ClientRateLimiter limiter) {
    this.service = service;
    this.keys = keys;
    this.limiter = limiter;
  }

  public void register(Routes r) {
    r.open(
            "POST",
            "/api/v1/attest",
            "Verify evidence, appraise it and return a signed EAR token",
            "application/json",
            "application/json",
            ATTEST_STATUSES,
            limited(this::attest))
        .takes(
            object(
                "tee", STRING,
                "evidence", text("base64 evidence"),
                "nonce?", text("hex"),
                "runtime_data?", ANY,
                "runtime_data_hash_algorithm?", STRING,
                "init_data?", text("base64"),
                "policy_ids?", arrayOf(STRING),
                "freshness?", ANY,
                "runtime_policy?", ANY))
        .returns(object("token", text("EAR JWT"), "status", STRING, "claims", OBJECT));
    r.open(
            "POST",
            "/attestation",
            "Trustee AS REST request; answers with the EAR JWT as text",
            "application/json",
            "text/plain",
            ATTEST_STATUSES,
            limited(this::trustee))
        .takes(
            object(
                    "verification_requests?",
                    arrayOf(OBJECT),
                    "tee?",
                    STRING,
                    "evidence?",
                    STRING,
                    "policy_ids?",
                    arrayOf(STRING))
                .describedAs("Trustee's AS request: one verification request, or a list"))
        .returns(text("EAR JWT"));
    r.open(
            "GET",
            "/api/v1/jwks",
            "Public keys of the token signing keys (current and still-valid older ones)",
            null,
            "application/json",
            List.of(200),
            this::jwks)
        .returns(JWKS);
    r.open(
            "GET",
            "/.well-known/jwks.json",
            "The same JWKS at its well-known place",
            null,
            "application/json",
            List.of(200),
            this::jwks)
        .returns(JWKS);
  }

  /**
   * Refuses the request before its body is read when the client (its TCP peer address) has used up
   * its rate: 429 {@code rate-limited} with Retry-After in whole seconds.
   */
  private io.javalin.http.Handler limited(io.javalin.http.Handler h) {
    return ctx -> {
      Optional<java.time.Duration> wait = limiter.acquire(ctx.req().getRemoteAddr());
      if (wait.isPresent()) {
        long s = Math.max(1, (wait.get().toMillis() + 999) / 1000);
        ctx.header("Retry-After", String.valueOf(s));
        throw Problem.of(
                429,
                "rate-limited",
                "Too many requests",
                "too many attestation requests from this client; retry in " + s + " s")
            .exception();
      }
      h.handle(ctx);
    };
  }

  private void jwks(Context ctx) {
    ctx.contentType("application/json").result(keys.jwksJson());
  }

  /**
   * {@code {tee, evidence (base64), nonce? (hex, used as raw runtime data), runtime_data? {raw |
   * structured}, runtime_data_hash_algorithm?, init_data? (base64 of the init data document),
   * policy_ids?, freshness? ("none"), runtime_policy? (name of a stored runtime policy; container
   * evidence only)}}. Without a nonce or runtime data the request must say {@code "freshness":
   * "none"} (400 {@code freshness-required} otherwise).
   */
  private void attest(Context ctx) throws VerificationException {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, VOUCH_FIELDS, "an attest request");
    Tee tee = tee(Json.text(body, "tee"));
    byte[] evidence = Json.base64(Json.text(body, "evidence"), "evidence");
    Optional<RuntimeData> runtime = runtimeData(body.get("runtime_data"));
    if (body.has("nonce")) {
      if (runtime.isPresent()) {
        throw Problem.badRequest("bad-request", "give either 'nonce' or 'runtime_data', not both");
      }
      String hex = Json.text(body, "nonce");
      if (!Hex.isHex(hex)) {
        throw Problem.badRequest("bad-request", "'nonce' must be hex");
      }
      runtime = Optional.of(new RuntimeData.Raw(Hex.decode(hex)));
    }
    Optional<byte[]> initData =
        body.has("init_data")
            ? Optional.of(Json.base64(Json.text(body, "init_data"), "init_data"))
            : Optional.empty();
    AttestationInput in =
        new AttestationInput(
            tee,
            evidence,
            runtime,
            hashName(body),
            initData,
            policyIds(body.get("policy_ids")),
            freshness(body),
            runtimePolicy(body, tee));
    checkFreshness(in);
    AttestationOutcome out = service.attest(in);
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("token", out.token());
    res.put("status", out.status());
    res.put("claims", out.claims());
    Json.write(ctx, 200, res);
  }

  /** Trustee's {@code POST /attestation}, with one verification request. */
  private void trustee(Context ctx) throws VerificationException {
    JsonNode body = Json.object(ctx);
    JsonNode req = body;
    if (body.has("verification_requests")) {
      JsonNode list = body.get("verification_requests");
      if (!list.isArray() || list.size() != 1) {
        throw Problem.badRequest(
            "bad-request", "'verification_requests' must hold exactly one request");
      }
      req = list.get(0);
    }
    Tee tee = tee(Json.text(req, "tee"));
    byte[] evidence = Json.base64(Json.text(req, "evidence"), "evidence");
    Optional<RuntimeData> runtime = runtimeData(req.get("runtime_data"));
    Optional<byte[]> initDigest = Optional.empty();
    JsonNode init = req.get("init_data");
    if (init != null && !init.isNull()) {
      if (init.hasNonNull("init_data_digest") || init.hasNonNull("raw")) {
        String f = init.hasNonNull("init_data_digest") ? "init_data_digest" : "raw";
        initDigest = Optional.of(Json.base64(Json.text(init, f), "init_data." + f));
      } else if (init.hasNonNull("init_data_toml")) {
        initDigest =
            Optional.of(
                AttestationService.initDataDigest(
                    Json.text(init, "init_data_toml").getBytes(StandardCharsets.UTF_8)));
      } else {
        throw Problem.badRequest(
            "bad-request", "'init_data' needs init_data_digest, init_data_toml or raw");
      }
    }
    JsonNode ids = body.has("policy_ids") ? body.get("policy_ids") : req.get("policy_ids");
    AttestationInput in =
        new AttestationInput(
            tee,
            evidence,
            runtime,
            hashName(req),
            Optional.empty(),
            policyIds(ids),
            freshness(body.has("freshness") ? body : req));
    checkFreshness(in);
    AttestationOutcome out = service.attest(in, initDigest);
    ctx.contentType("text/plain").result(out.token());
  }

  /** {@code runtime_policy}: a policy name, for container evidence only (400 otherwise). */
  private static Optional<String> runtimePolicy(JsonNode body, Tee tee) {
    if (!body.has("runtime_policy")) {
      return Optional.empty();
    }
    String name = Json.text(body, "runtime_policy");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
      throw Problem.badRequest(
          "bad-request", "'runtime_policy' must be 1-128 of A-Z a-z 0-9 _ . -");
    }
    if (tee != Tee.CONTAINER) {
      throw Problem.badRequest(
          "bad-request", "'runtime_policy' appraises container evidence, not " + tee.wireName());
    }
    return Optional.of(name);
  }

  /** {@code "freshness": "none"} waives the freshness check; absent means runtime data binds. */
  private static AttestationInput.Freshness freshness(JsonNode n) {
    JsonNode f = n.get("freshness");
    if (f == null || f.isNull()) {
      return AttestationInput.Freshness.RUNTIME_DATA;
    }
    if (f.isTextual() && f.textValue().equals("none")) {
      return AttestationInput.Freshness.NONE;
    }
    throw Problem.badRequest(
        "bad-request", "'freshness' may only be \"none\" (omit it to bind runtime data)");
  }

  /** A request that neither binds runtime data nor waives freshness is a client error. */
  private static void checkFreshness(AttestationInput in) {
    try {
      AttestationService.requireFreshness(in);
    } catch (AttestationService.FreshnessException e) {
      throw Problem.of(400, "freshness-required", "Freshness is required", e.getMessage())
          .exception();
    }
  }

  private static Tee tee(String name) {
    return Tee.fromWireName(name)
        .orElseThrow(
            () ->
                Problem.of(
                        400,
                        "unknown-tee",
                        "Unknown evidence kind",
                        "tee '"
                            + name
                            + "' is not one of "
                            + Arrays.stream(Tee.values()).map(Tee::wireName).toList())
                    .exception());
  }

  private static String hashName(JsonNode n) {
    JsonNode h = n.get("runtime_data_hash_algorithm");
    if (h == null || h.isNull()) {
      return "sha384";
    }
    if (!h.isTextual()) {
      throw Problem.badRequest("bad-request", "'runtime_data_hash_algorithm' must be text");
    }
    return h.textValue();
  }

  private static Optional<RuntimeData> runtimeData(JsonNode n) {
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isObject() || n.size() != 1 || !(n.has("raw") || n.has("structured"))) {
      throw Problem.badRequest(
          "bad-request", "'runtime_data' must be {\"raw\": base64} or {\"structured\": JSON}");
    }
    if (n.has("raw")) {
      return Optional.of(new RuntimeData.Raw(Json.base64(Json.text(n, "raw"), "runtime_data.raw")));
    }
    return Optional.of(new RuntimeData.Structured(n.get("structured")));
  }

  private static List<String> policyIds(JsonNode n) {
    if (n == null || n.isNull()) {
      return List.of();
    }
    if (!n.isArray()) {
      throw Problem.badRequest("bad-request", "'policy_ids' must be a list of text");
    }
    List<String> out = new java.util.ArrayList<>();
    for (JsonNode id : n) {
      if (!id.isTextual()) {
        throw Problem.badRequest("bad-request", "'policy_ids' must be a list of text");
      }
      out.add(id.textValue());
    }
    return out;
  }
}
