package dev.vouch.server.registrar;

import static dev.vouch.server.http.JsonSchema.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.bytes.Hex;
import dev.vouch.server.aas.Permission;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.JsonSchema;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.Routes;
import dev.vouch.server.manager.Host;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.nats.NatsAuthority;
import io.javalin.http.Context;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registrar over HTTP. Agents enroll without credentials (the TPM proves who they are):
 *
 * <ul>
 *   <li>{@code POST /api/v1/registrar/enrollments} with the EK, its certificate and the AK answers
 *       201 with a challenge only that TPM can open;
 *   <li>{@code POST /api/v1/registrar/enrollments/{challenge_id}/activation} with the recovered
 *       secret answers 200 with the enrolled host, which is also handed to the attestation manager
 *       ({@link HostRegistry}) under the host group and connection given at enrollment. An agent
 *       that sends its own NATS user key ({@code nats_user_key}, {@code U...}) with the secret gets
 *       {@code nats_jwt}, a user JWT for that key limited to its host's subjects, when the server
 *       has a {@link NatsAuthority} ({@code hosts.nats_auth_dir}); the key's seed never leaves the
 *       agent.
 * </ul>
 *
 * Admins read and remove enrollments under {@code /api/v1/registrar/hosts/{id}}; a host enrolled
 * with one TPM can enroll with another only after its enrollment was removed. Every refusal is a
 * problem document whose type ends in the kebab-case {@link EnrollmentError} (e.g. {@code
 * .../problems/ek-chain-untrusted}), with the error's name in {@code error}.
 */
public final class RegistrarRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(RegistrarRoutes.class);
  private static final String JSON = "application/json";

  /** An enrolled host; the placement members are there once the manager schedules it. */
  private static final JsonSchema ENROLLED =
      object(
          "host_id", STRING,
          "ak_name", STRING,
          "ak_public", STRING,
          "ek_certificate_sha256", STRING,
          "enrolled_at", DATE_TIME,
          "host_group?", STRING,
          "connection?", STRING,
          "status?", STRING);

  private static final Set<String> ENROLL_FIELDS =
      Set.of(
          "host_id",
          "ek_public",
          "ek_certificate",
          "ak_public",
          "host_group",
          "connection",
          "flavor_groups");

  private final Registrar registrar;
  private final HostRegistry hosts;
  private final Clock clock;
  private final Optional<NatsAuthority> natsAuth;

  /**
   * @param registrar checks and records enrollments
   * @param hosts the attestation manager's registry, which enrolled hosts join
   * @param clock the time hosts are registered at
   * @param natsAuth signs enrolled agents' NATS user keys, when NATS authentication is configured
   */
  public RegistrarRoutes(
      Registrar registrar, HostRegistry hosts, Clock clock, Optional<NatsAuthority> natsAuth) {
    this.registrar = registrar;
    this.hosts = hosts;
    this.clock = clock;
    this.natsAuth = natsAuth;
  }

  public void register(Routes r) {
    r.open(
            "POST",
            "/api/v1/registrar/enrollments",
            "Start enrolling a TPM attestation key: returns a credential only that TPM can activate",
            JSON,
            JSON,
            List.of(201, 400, 409, 413, 422),
            this::begin)
        .takes(
            object(
                "host_id", STRING,
                "ek_public", STRING,
                "ek_certificate", STRING,
                "ak_public", STRING,
                "host_group?", STRING,
                "connection?", STRING,
                "flavor_groups?", arrayOf(STRING)))
        .returns(
            object(
                "challenge_id", STRING,
                "credential_blob", STRING,
                "encrypted_secret", STRING,
                "expires", DATE_TIME));
    r.open(
            "POST",
            "/api/v1/registrar/enrollments/{challenge_id}/activation",
            "Finish enrolling with the secret the TPM recovered; the host joins attestation",
            JSON,
            JSON,
            List.of(200, 400, 404, 409, 410, 422),
            this::activate)
        .takes(object("secret", STRING, "nats_user_key?", STRING))
        .returns(ENROLLED.and("nats_jwt?", STRING));
    r.admin(
            Permission.REGISTRAR_READ,
            "GET",
            "/api/v1/registrar/hosts/{id}",
            "An enrolled host: its attestation key and where the manager attests it",
            null,
            JSON,
            List.of(200, 401, 404),
            this::get)
        .returns(ENROLLED);
    r.admin(
        Permission.REGISTRAR_WRITE,
        "DELETE",
        "/api/v1/registrar/hosts/{id}",
        "Remove a host's enrollment (e.g. before it enrolls with a replaced TPM)",
        null,
        JSON,
        List.of(204, 401, 404),
        this::delete);
  }

  private void begin(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, ENROLL_FIELDS, "an enrollment");
    String hostId = Json.text(body, "host_id");
    byte[] ekPublic = Json.base64(Json.text(body, "ek_public"), "ek_public");
    byte[] ekCertificate = Json.base64(Json.text(body, "ek_certificate"), "ek_certificate");
    byte[] akPublic = Json.base64(Json.text(body, "ak_public"), "ak_public");
    EnrollmentChallenge c;
    try {
      Placement placement =
          Placement.of(
              optionalText(body, "host_group").orElse(Placement.DEFAULT.group()),
              optionalText(body, "connection").orElse(Placement.DEFAULT.connection()),
              flavorGroups(body.path("flavor_groups")));
      c =
          registrar.begin(
              new EnrollmentRequest(hostId, ekPublic, ekCertificate, akPublic, placement));
    } catch (EnrollmentException e) {
      throw refused(e);
    }
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("challenge_id", c.id());
    res.put("credential_blob", Base64.getEncoder().encodeToString(c.credentialBlob()));
    res.put("encrypted_secret", Base64.getEncoder().encodeToString(c.encryptedSecret()));
    res.put("expires", c.expiresAt().toString());
    Json.write(ctx, 201, res);
  }

  /** The agent's {@code flavor_groups}: absent, or an array of names. */
  private static java.util.List<String> flavorGroups(JsonNode list) throws EnrollmentException {
    if (list.isMissingNode() || list.isNull()) {
      return java.util.List.of();
    }
    if (!list.isArray() || list.size() > Placement.MAX_FLAVOR_GROUPS) {
      throw new EnrollmentException(
          EnrollmentError.MALFORMED_REQUEST,
          "flavor_groups must be a list of at most " + Placement.MAX_FLAVOR_GROUPS + " names");
    }
    java.util.List<String> out = new java.util.ArrayList<>();
    for (JsonNode n : list) {
      if (!n.isTextual()) {
        throw new EnrollmentException(
            EnrollmentError.MALFORMED_REQUEST, "flavor_groups must hold names");
      }
      out.add(n.asText());
    }
    return out;
  }

  private void activate(Context ctx) {
    String challengeId = ctx.pathParam("challenge_id");
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("secret", "nats_user_key"), "an activation");
    byte[] secret = Json.base64(Json.text(body, "secret"), "secret");
    Optional<String> natsUserKey = optionalText(body, "nats_user_key");
    if (natsUserKey.isPresent() && !NatsAuthority.isUserKey(natsUserKey.get())) {
      // refused before the challenge is used up, so a corrected request can still answer it
      throw Problem.badRequest(
          "bad-request", "'nats_user_key' must be a public NATS user NKey (U..., 56 characters)");
    }
    Registrar.Activation a;
    try {
      a = registrar.activate(challengeId, secret);
    } catch (EnrollmentException e) {
      throw refused(e);
    }
    EnrolledHost host = a.host();
    // the enrollment is recorded first: a host in the registry without an AK would only fail its
    // attestations, and an agent that retries after a failure here re-enrolls idempotently
    boolean added =
        hosts.enrolled(
            host.hostId(),
            a.placement().group(),
            a.placement().connection(),
            a.placement().flavorGroups(),
            clock.instant());
    LOG.info(
        "host enrolled host={} ak_name={} scheduled={}",
        host.hostId(),
        Hex.encode(host.akName()),
        added ? "new" : "already");
    Map<String, Object> res = json(host, hosts.get(host.hostId()));
    if (natsUserKey.isPresent() && natsAuth.isPresent()) {
      res.put("nats_jwt", natsAuth.get().agentJwt(host.hostId(), natsUserKey.get()));
      LOG.info("NATS credentials issued host={} user={}", host.hostId(), natsUserKey.get());
    }
    Json.write(ctx, 200, res);
  }

  private void get(Context ctx) {
    String id = ctx.pathParam("id");
    EnrolledHost host =
        registrar
            .host(id)
            .orElseThrow(
                () ->
                    refused(
                        new EnrollmentException(
                            EnrollmentError.HOST_NOT_ENROLLED, "host " + id + " is not enrolled")));
    Json.write(ctx, 200, json(host, hosts.get(id)));
  }

  private void delete(Context ctx) {
    String id = ctx.pathParam("id");
    if (!registrar.remove(id)) {
      throw refused(
          new EnrollmentException(
              EnrollmentError.HOST_NOT_ENROLLED, "host " + id + " is not enrolled"));
    }
    LOG.info("host enrollment removed host={}", id);
    ctx.status(204);
  }

  private static Map<String, Object> json(EnrolledHost h, Optional<Host> managed) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("host_id", h.hostId());
    m.put("ak_name", Hex.encode(h.akName()));
    m.put("ak_public", Base64.getEncoder().encodeToString(h.akPublic()));
    m.put("ek_certificate_sha256", h.ekCertificateSha256());
    m.put("enrolled_at", h.enrolledAt().toString());
    managed.ifPresent(
        host -> {
          m.put("host_group", host.group());
          m.put("connection", host.connection());
          m.put("status", host.status().name());
        });
    return m;
  }

  private static Optional<String> optionalText(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw Problem.badRequest("bad-request", "'" + field + "' must be text");
    }
    return Optional.of(v.textValue());
  }

  /** The problem document for a refusal, typed by its {@link EnrollmentError}. */
  static Problem.ProblemException refused(EnrollmentException e) {
    EnrollmentError error = e.error();
    int status =
        switch (error) {
          case MALFORMED_REQUEST -> 400;
          case CHALLENGE_UNKNOWN, HOST_NOT_ENROLLED -> 404;
          case CHALLENGE_REPLAYED, HOST_BOUND_TO_OTHER_TPM -> 409;
          case CHALLENGE_EXPIRED -> 410;
          case EK_ROOTS_NOT_CONFIGURED,
              EK_CHAIN_UNTRUSTED,
              EK_CERT_EXPIRED,
              EK_CERT_REVOKED,
              EK_REVOCATION_UNKNOWN,
              EK_KEY_MISMATCH,
              EK_UNSUPPORTED,
              AK_NOT_RESTRICTED_SIGNING,
              ACTIVATION_FAILED ->
              422;
        };
    Problem p =
        Problem.of(
                status,
                error.name().toLowerCase(Locale.ROOT).replace('_', '-'),
                "The enrollment was refused",
                e.getMessage())
            .with("error", error.name());
    if (error.failure().isPresent()) {
      p = p.with("failure", error.failure().get().code());
    }
    return p.exception();
  }
}
