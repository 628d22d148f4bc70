package dev.vouch.server.monitor;

import static dev.vouch.server.http.JsonSchema.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.HostIds;
import dev.vouch.policy.flavor.Flavor;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.SignedFlavor;
import dev.vouch.server.aas.Permission;
import dev.vouch.server.actions.HostRef;
import dev.vouch.server.actions.NodeActionException;
import dev.vouch.server.actions.NodeActionQueue;
import dev.vouch.server.actions.NodeActions;
import dev.vouch.server.actions.StatusChange;
import dev.vouch.server.hosts.AgentException;
import dev.vouch.server.hosts.RoutedAgentChannel;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.JsonSchema;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.RouteGroup;
import dev.vouch.server.http.Routes;
import dev.vouch.server.manager.Host;
import dev.vouch.server.registrar.EnrollmentException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin routes of continuous monitoring: hosts (list, register, show with status history and golden
 * audit, attest now, onboard afresh, make flavors from), flavors (list, show, import, delete),
 * flavor groups and signed trust reports. Every route but the report CA needs the admin token.
 */
public final class MonitorRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(MonitorRoutes.class);
  private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
  private static final int MAX_REPORTS = 1000;

  // body schemas of the routes below, named for what they describe
  private static final JsonSchema STATUS = oneOf(dev.vouch.policy.flavor.HostStatus.class);
  private static final JsonSchema PART = oneOf(FlavorPart.class);
  private static final JsonSchema HOST =
      object(
          "id",
          STRING,
          "group",
          STRING,
          "flavor_groups",
          arrayOf(STRING),
          "connection",
          STRING,
          "status",
          STATUS,
          "next_due",
          DATE_TIME,
          "last_attested",
          nullable(DATE_TIME),
          "last_report_id",
          nullable(STRING),
          "tpm_reset_count",
          nullable(INTEGER),
          "attesting",
          nullable(STRING));
  private static final JsonSchema HOST_DETAIL =
      HOST.and(
          "history",
          arrayOf(
              object(
                  "time", DATE_TIME,
                  "previous", STATUS,
                  "current", STATUS,
                  "reasons", arrayOf(STRING),
                  "report_id", nullable(STRING))),
          "golden_audit",
          arrayOf(
              object(
                  "time", DATE_TIME,
                  "mode", STRING,
                  "action", STRING,
                  "reset_count", nullable(INTEGER),
                  "previous_reset_count", nullable(INTEGER),
                  "flavor_ids", arrayOf(STRING),
                  "reason", STRING)),
          "node_actions",
          arrayOf(
              object(
                  "kind", STRING,
                  "state", STRING,
                  "reason", STRING,
                  "attempts", INTEGER,
                  "requested", DATE_TIME,
                  "next_attempt", nullable(DATE_TIME),
                  "done", nullable(DATE_TIME),
                  "last_error", nullable(STRING),
                  "result", nullable(STRING))));
  private static final JsonSchema ASSIGNMENTS =
      object(
          "id",
          STRING,
          "flavor_groups",
          arrayOf(
              object(
                  "name", STRING,
                  "assigned_by", STRING,
                  "assigned", nullable(DATE_TIME))));
  private static final JsonSchema FLAVOR_SUMMARY =
      object("id", STRING, "flavor_part", PART, "label", STRING);
  private static final JsonSchema FLAVORS_MADE =
      object(
          "flavors",
          arrayOf(FLAVOR_SUMMARY.and("signature_verified?", BOOLEAN, "approved?", BOOLEAN)));
  private static final JsonSchema FLAVOR =
      FLAVOR_SUMMARY.and(
          "host_id", nullable(STRING),
          "flavor_groups", arrayOf(STRING),
          "origin", oneOf(FlavorStore.Origin.class),
          "approved", BOOLEAN,
          "reset_count", nullable(INTEGER),
          "created", DATE_TIME,
          "retired", nullable(DATE_TIME));
  private static final JsonSchema SIGNED_FLAVOR = object("flavor", OBJECT, "signature", STRING);
  private static final JsonSchema MATCH_POLICIES =
      mapOf(
              object(
                  "match_type", oneOf(dev.vouch.policy.flavor.MatchPolicy.MatchType.class),
                  "required", oneOf(dev.vouch.policy.flavor.MatchPolicy.Required.class)))
          .describedAs("flavor part -> match policy");
  private static final JsonSchema FLAVOR_GROUP =
      object(
          "name", STRING,
          "policies", MATCH_POLICIES,
          "builtin", BOOLEAN,
          "flavors", arrayOf(STRING),
          "hosts", arrayOf(STRING));
  private static final JsonSchema REPORT =
      object(
          "id", STRING,
          "host_id", STRING,
          "status", STATUS,
          "overall", BOOLEAN,
          "created", DATE_TIME,
          "expires", DATE_TIME);

  private final HostMonitor monitor;

  MonitorRoutes(HostMonitor monitor) {
    this.monitor = monitor;
  }

  /** The routes as a group the server registers. */
  public RouteGroup group(
      dev.vouch.server.http.OpenApi api, dev.vouch.server.http.AdminAuth admin) {
    return (JavalinConfig cfg) -> register(new Routes(cfg, api, admin));
  }

  void register(Routes r) {
    List<Integer> read = List.of(200, 401, 404);
    r.admin(
            Permission.HOSTS_READ,
            "GET",
            "/api/v1/hosts",
            "Every registered host with its status",
            null,
            JSON,
            List.of(200, 401),
            this::listHosts)
        .returns(object("hosts", arrayOf(HOST)));
    r.admin(
            Permission.HOSTS_WRITE,
            "POST",
            "/api/v1/hosts",
            "Register an enrolled host for monitoring: {id, group?, connection: nats|https URL}",
            JSON,
            JSON,
            List.of(201, 400, 401, 409),
            this::addHost)
        .takes(
            object(
                "id",
                STRING,
                "group?",
                STRING,
                "connection",
                STRING,
                "flavor_groups?",
                arrayOf(STRING)))
        .returns(HOST);
    r.admin(
            Permission.HOSTS_READ,
            "GET",
            "/api/v1/hosts/{id}",
            "A host, its status history and golden-flavor audit",
            null,
            JSON,
            read,
            this::showHost)
        .returns(HOST_DETAIL);
    r.admin(
        Permission.HOSTS_WRITE,
        "DELETE",
        "/api/v1/hosts/{id}",
        "Stop monitoring a host (reports and flavors stay)",
        null,
        JSON,
        List.of(204, 401, 404),
        this::removeHost);
    r.admin(
            Permission.HOSTS_READ,
            "GET",
            "/api/v1/hosts/{id}/flavor-groups",
            "The flavor groups the host is judged by (automatic when it is assigned to none)",
            null,
            JSON,
            read,
            this::hostGroups)
        .returns(ASSIGNMENTS);
    r.admin(
            Permission.HOSTS_WRITE,
            "PUT",
            "/api/v1/hosts/{id}/flavor-groups/{name}",
            "Assign the host to a flavor group; a host in several groups must satisfy every one",
            null,
            JSON,
            List.of(200, 400, 401, 404),
            this::assign)
        .returns(ASSIGNMENTS);
    r.admin(
        Permission.HOSTS_WRITE,
        "DELETE",
        "/api/v1/hosts/{id}/flavor-groups/{name}",
        "Take the host out of a flavor group",
        null,
        JSON,
        List.of(204, 400, 401, 404),
        this::unassign);
    r.admin(
            Permission.HOSTS_ATTEST,
            "POST",
            "/api/v1/hosts/{id}/attest",
            "Attest the host now (queued for this or another replica)",
            null,
            JSON,
            List.of(202, 401, 404),
            this::attestNow)
        .returns(object("id", STRING, "queued", BOOLEAN));
    r.admin(
            Permission.HOSTS_ATTEST,
            "POST",
            "/api/v1/hosts/{id}/onboard",
            "Onboard afresh: retire golden flavors, lift the Kubernetes cordon, attest now",
            null,
            JSON,
            List.of(200, 401, 404, 502),
            this::onboard)
        .returns(
            object(
                "id",
                STRING,
                "golden_flavors_retired",
                INTEGER,
                "nodes_restored",
                arrayOf(STRING)));
    r.admin(
            Permission.FLAVORS_WRITE,
            "POST",
            "/api/v1/hosts/{id}/flavors",
            "Make approved flavors from the host's freshly verified measurements: {parts: [...],"
                + " flavor_groups?: [...]} (HOST_UNIQUE and ASSET_TAG join host_unique, the others"
                + " the groups named, else automatic)",
            JSON,
            JSON,
            List.of(201, 400, 401, 404, 422, 502),
            this::flavorsFromHost)
        .takes(object("parts", arrayOf(PART), "flavor_groups?", arrayOf(STRING)))
        .returns(FLAVORS_MADE);
    r.admin(
            Permission.FLAVORS_READ,
            "GET",
            "/api/v1/flavors",
            "Flavors (?host=ID, ?retired=true)",
            null,
            JSON,
            List.of(200, 400, 401),
            this::listFlavors)
        .returns(object("flavors", arrayOf(FLAVOR)));
    r.open(
            "GET",
            "/api/v1/flavors/key",
            "The server's flavor-signing certificate (PEM, then its CA): what flavor verify --key takes",
            null,
            "application/x-pem-file",
            List.of(200),
            ctx ->
                ctx.contentType("application/x-pem-file")
                    .result(monitor.flavorKeyPem().getBytes(StandardCharsets.UTF_8)))
        .returns(text("PEM certificates"));
    r.admin(
            Permission.FLAVORS_READ,
            "GET",
            "/api/v1/flavors/{id}",
            "One signed flavor",
            null,
            JSON,
            read,
            this::showFlavor)
        .returns(FLAVOR.and("signed", SIGNED_FLAVOR));
    r.admin(
            Permission.FLAVORS_WRITE,
            "POST",
            "/api/v1/flavors",
            "Import flavors ({flavor, signature} or an array; ?host=ID binds them; ?group=NAME,"
                + " repeatable, the groups they join, else automatic): each signature must"
                + " verify against a flavor-signing key (422 otherwise) unless ?unsigned=true, which"
                + " stores them unapproved (origin IMPORT_UNSIGNED); re-signed by the server",
            JSON,
            JSON,
            List.of(201, 400, 401, 409, 422),
            this::importFlavors)
        .takes(anyOf(SIGNED_FLAVOR, arrayOf(SIGNED_FLAVOR)))
        .returns(FLAVORS_MADE);
    r.admin(
        Permission.FLAVORS_WRITE,
        "DELETE",
        "/api/v1/flavors/{id}",
        "Delete a flavor",
        null,
        JSON,
        List.of(204, 401, 404),
        this::deleteFlavor);
    r.admin(
            Permission.FLAVORS_READ,
            "GET",
            "/api/v1/flavor-groups",
            "Flavor groups and their match policies",
            null,
            JSON,
            List.of(200, 401),
            this::listGroups)
        .returns(object("groups", arrayOf(FLAVOR_GROUP)));
    r.admin(
            Permission.FLAVORS_READ,
            "GET",
            "/api/v1/flavor-groups/{name}",
            "One flavor group",
            null,
            JSON,
            read,
            this::showGroup)
        .returns(FLAVOR_GROUP);
    r.admin(
            Permission.FLAVORS_WRITE,
            "PUT",
            "/api/v1/flavor-groups/{name}",
            "Create or replace a group's match policies: {PART: {match_type, required}}",
            JSON,
            JSON,
            List.of(200, 400, 401),
            this::putGroup)
        .takes(MATCH_POLICIES)
        .returns(object("name", STRING, "policies", MATCH_POLICIES));
    r.admin(
        Permission.FLAVORS_WRITE,
        "DELETE",
        "/api/v1/flavor-groups/{name}",
        "Delete a flavor group and its memberships (409 while hosts are assigned to it)",
        null,
        JSON,
        List.of(204, 401, 404, 409),
        this::deleteGroup);
    r.admin(
            Permission.FLAVORS_WRITE,
            "PUT",
            "/api/v1/flavor-groups/{name}/flavors/{flavor}",
            "Make a flavor a member of the group (HOST_UNIQUE and ASSET_TAG flavors only of host_unique)",
            null,
            JSON,
            List.of(200, 400, 401, 404),
            this::addMember)
        .returns(object("name", STRING, "flavor", STRING, "groups", arrayOf(STRING)));
    r.admin(
        Permission.FLAVORS_WRITE,
        "DELETE",
        "/api/v1/flavor-groups/{name}/flavors/{flavor}",
        "Take a flavor out of the group (the flavor stays)",
        null,
        JSON,
        List.of(204, 400, 401, 404),
        this::removeMember);
    r.admin(
            Permission.REPORTS_READ,
            "GET",
            "/api/v1/reports",
            "A host's trust reports, newest first (?host=ID&limit=N)",
            null,
            JSON,
            List.of(200, 400, 401),
            this::listReports)
        .returns(object("reports", arrayOf(REPORT)));
    r.open(
            "GET",
            "/api/v1/reports/ca",
            "The CA certificate (PEM) that trust reports and flavors chain to",
            null,
            "application/x-pem-file",
            List.of(200),
            ctx ->
                ctx.contentType("application/x-pem-file")
                    .result(monitor.identity().caPem().getBytes(StandardCharsets.UTF_8)))
        .returns(text("PEM certificate"));
    r.admin(
            Permission.REPORTS_READ,
            "GET",
            "/api/v1/reports/{id}",
            "One signed trust report (JWS in 'jws')",
            null,
            JSON,
            read,
            this::showReport)
        .returns(REPORT.and("jws", text("the signed trust report, compact JWS")));
    new RuntimePolicyRoutes(monitor).register(r);
  }

  private static final String JSON = "application/json";

  // ------------------------------------------------------------------ hosts

  private void listHosts(Context ctx) {
    Json.write(
        ctx, 200, Map.of("hosts", monitor.registry().list().stream().map(this::host).toList()));
  }

  private void addHost(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("id", "group", "connection", "flavor_groups"), "host");
    List<String> flavorGroups = groupNames(body.path("flavor_groups"), true);
    String id = Json.text(body, "id");
    if (!HostIds.isValid(id)) {
      throw Problem.badRequest(
          "bad-request", "host id must be 1-128 characters of A-Z a-z 0-9 _ -");
    }
    String group = body.has("group") ? Json.text(body, "group") : "default";
    if (!GROUP.matcher(group).matches()) {
      throw Problem.badRequest("bad-request", "group must be 1-128 of A-Z a-z 0-9 _ . -");
    }
    String connection = Json.text(body, "connection");
    if (!RoutedAgentChannel.NATS.equals(connection)
        && RoutedAgentChannel.httpsUrl(connection).isEmpty()) {
      throw Problem.badRequest(
          "bad-request", "connection must be 'nats' or an https:// URL of the agent");
    }
    if (!monitor.registry().register(id, group, connection, monitor.clock().instant())) {
      throw Problem.of(
              409, "host-exists", "The host is already registered", "host '" + id + "' exists")
          .exception();
    }
    for (String g : flavorGroups) {
      monitor.flavors().assign(id, g, FlavorStore.AssignedBy.ADMIN, monitor.clock().instant());
    }
    LOG.info(
        "host registered id={} group={} connection={} flavor_groups={}",
        id,
        group,
        connection,
        flavorGroups);
    Json.write(ctx, 201, host(monitor.registry().get(id).orElseThrow()));
  }

  private void showHost(Context ctx) {
    Host h = host(ctx);
    Map<String, Object> m = host(h);
    m.put(
        "history", monitor.registry().history(h.id()).stream().map(MonitorRoutes::change).toList());
    m.put(
        "golden_audit",
        monitor.flavors().audit(h.id()).stream().map(MonitorRoutes::audit).toList());
    m.put(
        "node_actions",
        monitor.nodeActions().map(q -> q.of(h.id())).orElse(List.of()).stream()
            .map(MonitorRoutes::nodeAction)
            .toList());
    Json.write(ctx, 200, m);
  }

  private void removeHost(Context ctx) {
    String id = hostId(ctx);
    if (!monitor.registry().remove(id)) {
      throw Problem.notFound("no host '" + id + "'");
    }
    LOG.info("host removed id={}", id);
    ctx.status(204);
  }

  private void attestNow(Context ctx) {
    String id = hostId(ctx);
    if (!monitor.scheduler().triggerNow(id)) {
      throw Problem.notFound("no host '" + id + "'");
    }
    Json.write(ctx, 202, Map.of("id", id, "queued", true));
  }

  private void onboard(Context ctx) {
    Host h = host(ctx);
    int retired =
        monitor
            .flavors()
            .retireGolden(h.id(), monitor.verifier().settings().mode(), monitor.clock().instant());
    List<String> restored = new ArrayList<>();
    // a cordon still queued from before this onboarding must not undo the restore when it runs
    monitor.nodeActions().ifPresent(q -> q.cancelPending(h.id()));
    if (monitor.nodes().isPresent()) {
      NodeActions nodes = monitor.nodes().get();
      try {
        for (String n : nodes.nodesOf(new HostRef(h.id(), h.id()))) {
          nodes.restore(n);
          restored.add(n);
        }
      } catch (NodeActionException e) {
        throw Problem.of(502, "kubernetes-failed", "The Kubernetes API failed", e.getMessage())
            .exception();
      }
    }
    // the node stays 'unknown' until an attestation made after this onboarding passes
    monitor.registry().onboarded(h.id(), monitor.clock().instant());
    monitor.scheduler().triggerNow(h.id());
    LOG.info(
        "host onboarded afresh id={} golden_retired={} nodes_restored={}",
        h.id(),
        retired,
        restored);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", h.id());
    m.put("golden_flavors_retired", retired);
    m.put("nodes_restored", restored);
    Json.write(ctx, 200, m);
  }

  private void flavorsFromHost(Context ctx) {
    Host h = host(ctx);
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("parts", "flavor_groups"), "request");
    List<String> groups = groupNames(body.path("flavor_groups"), true);
    Set<FlavorPart> parts = EnumSet.noneOf(FlavorPart.class);
    JsonNode list = body.path("parts");
    if (!list.isArray() || list.isEmpty()) {
      throw Problem.badRequest("bad-request", "'parts' must be a non-empty list of flavor parts");
    }
    for (JsonNode p : list) {
      try {
        parts.add(FlavorPart.valueOf(p.asText()));
      } catch (IllegalArgumentException e) {
        throw Problem.badRequest("bad-request", "unknown flavor part '" + p.asText() + "'");
      }
    }
    List<SignedFlavor> made;
    try {
      made = monitor.verifier().flavorsFromHost(h.id(), parts, groups);
    } catch (AgentException | EnrollmentException e) {
      throw Problem.of(502, "agent-unavailable", "The host's agent cannot be asked", e.getMessage())
          .exception();
    } catch (VerificationException e) {
      throw Problem.verification(e.failure(), e.getMessage()).exception();
    } catch (FlavorsNotMade e) {
      throw Problem.of(
              400,
              "flavors-not-made",
              "No flavor can be made from the host as asked",
              e.getMessage())
          .with("failure", e.failure().code())
          .exception();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Problem.of(503, "unavailable", "The server is stopping", "try again").exception();
    }
    LOG.info("flavors made from host id={} count={}", h.id(), made.size());
    Json.write(
        ctx, 201, Map.of("flavors", made.stream().map(MonitorRoutes::flavorSummary).toList()));
  }

  // ---------------------------------------------------------------- flavors

  private void listFlavors(Context ctx) {
    Optional<String> host = Optional.ofNullable(ctx.queryParam("host"));
    boolean retired = "true".equals(ctx.queryParam("retired"));
    List<Map<String, Object>> out = new ArrayList<>();
    for (FlavorStore.StoredFlavor f : monitor.flavors().list(host, retired)) {
      out.add(stored(f));
    }
    Json.write(ctx, 200, Map.of("flavors", out));
  }

  private void showFlavor(Context ctx) {
    FlavorStore.StoredFlavor f =
        monitor
            .flavors()
            .get(uuid(ctx.pathParam("id")))
            .orElseThrow(() -> Problem.notFound("no flavor '" + ctx.pathParam("id") + "'"));
    Map<String, Object> m = stored(f);
    m.put("signed", FlavorJson.writeSigned(f.flavor()));
    Json.write(ctx, 200, m);
  }

  private void importFlavors(Context ctx) {
    Optional<String> host = Optional.ofNullable(ctx.queryParam("host"));
    if (host.isPresent() && !HostIds.isValid(host.get())) {
      throw Problem.badRequest("bad-request", "host must be a host id");
    }
    List<SignedFlavor> read;
    try {
      read = FlavorJson.readSigned(ctx.bodyAsBytes());
    } catch (VerificationException e) {
      throw Problem.badRequest("flavor-invalid", e.getMessage());
    }
    if (read.isEmpty()) {
      throw Problem.badRequest("flavor-invalid", "no flavor in the body");
    }
    String unsignedParam = ctx.queryParam("unsigned");
    if (unsignedParam != null && !unsignedParam.equals("true") && !unsignedParam.equals("false")) {
      throw Problem.badRequest("bad-request", "unsigned must be true or false");
    }
    boolean allowUnsigned = "true".equals(unsignedParam);
    List<String> groups = groupNames(Json.MAPPER.valueToTree(ctx.queryParams("group")), true);
    // every signature is checked first: a batch is stored whole or not at all
    List<Flavor> verified = new ArrayList<>();
    List<Flavor> unverified = new ArrayList<>();
    for (SignedFlavor f : read) {
      try {
        dev.vouch.policy.flavor.FlavorSigner.verify(f, monitor.flavorKeys());
        verified.add(f.flavor());
      } catch (VerificationException e) {
        if (!allowUnsigned) {
          throw Problem.verification(
                  e.failure(),
                  "flavor "
                      + f.flavor().meta().id()
                      + ": "
                      + e.getMessage()
                      + " (the signature must verify against the server's flavor key or one of"
                      + " hosts.flavor_signing_keys; import with --unsigned to store it unapproved)")
              .exception();
        }
        unverified.add(f.flavor());
      }
    }
    for (SignedFlavor f : read) {
      if (monitor.flavors().get(f.flavor().meta().id()).isPresent()) {
        throw Problem.of(
                409,
                "flavor-exists",
                "A flavor with this id exists",
                f.flavor().meta().id().toString())
            .exception();
      }
    }
    List<SignedFlavor> approved;
    List<SignedFlavor> unapproved;
    try {
      approved = monitor.verifier().sign(verified);
      unapproved = monitor.verifier().sign(unverified);
    } catch (VerificationException e) {
      throw Problem.badRequest("flavor-invalid", e.getMessage());
    }
    Instant now = monitor.clock().instant();
    monitor.flavors().add(approved, host, FlavorStore.Origin.IMPORT, true, now, groups);
    monitor.flavors().add(unapproved, host, FlavorStore.Origin.IMPORT_UNSIGNED, false, now, groups);
    LOG.info(
        "flavors imported count={} host={} signature_verified={}",
        approved.size(),
        host.orElse("-"),
        approved.stream().map(f -> f.flavor().meta().id().toString()).toList());
    if (!unapproved.isEmpty()) {
      LOG.warn(
          "flavors imported WITHOUT a verified signature (--unsigned), stored unapproved: count={}"
              + " host={} ids={}",
          unapproved.size(),
          host.orElse("-"),
          unapproved.stream().map(f -> f.flavor().meta().id().toString()).toList());
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (SignedFlavor f : approved) {
      Map<String, Object> m = flavorSummary(f);
      m.put("signature_verified", true);
      m.put("approved", true);
      out.add(m);
    }
    for (SignedFlavor f : unapproved) {
      Map<String, Object> m = flavorSummary(f);
      m.put("signature_verified", false);
      m.put("approved", false);
      out.add(m);
    }
    Json.write(ctx, 201, Map.of("flavors", out));
  }

  private void deleteFlavor(Context ctx) {
    if (!monitor.flavors().delete(uuid(ctx.pathParam("id")))) {
      throw Problem.notFound("no flavor '" + ctx.pathParam("id") + "'");
    }
    ctx.status(204);
  }

  // ---------------------------------------------------------- flavor groups

  private void listGroups(Context ctx) {
    List<Map<String, Object>> out = new ArrayList<>();
    Set<String> stored = new java.util.HashSet<>();
    for (FlavorGroup g : monitor.flavors().groups()) {
      out.add(group(g, false));
      stored.add(g.name());
    }
    for (FlavorGroup g : List.of(HostVerifier.defaultGroup(), HostVerifier.hostUniqueGroup())) {
      if (!stored.contains(g.name())) {
        out.add(group(g, true));
      }
    }
    Json.write(ctx, 200, Map.of("groups", out));
  }

  private Map<String, Object> group(FlavorGroup g, boolean builtin) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", g.name());
    m.put("policies", FlavorStore.writeGroup(g));
    m.put("builtin", builtin);
    m.put("flavors", monitor.flavors().members(g.name()).stream().map(UUID::toString).toList());
    m.put("hosts", monitor.flavors().hostsIn(g.name()));
    return m;
  }

  private void showGroup(Context ctx) {
    FlavorGroup g = existingGroup(groupName(ctx));
    Json.write(ctx, 200, group(g, monitor.flavors().group(g.name()).isEmpty()));
  }

  private FlavorGroup existingGroup(String name) {
    return monitor
        .verifier()
        .group(name)
        .orElseThrow(() -> Problem.notFound("no flavor group '" + name + "'"));
  }

  /**
   * The flavor group names of a request (a JSON array, absent = none), each defined; {@code
   * host_unique} is refused where {@code forHosts}, since hosts and shared flavors are not put in
   * it (its flavors count for their own host in every group).
   */
  private List<String> groupNames(JsonNode list, boolean forHosts) {
    if (list.isMissingNode() || list.isNull()) {
      return List.of();
    }
    if (!list.isArray()) {
      throw Problem.badRequest("bad-request", "flavor_groups must be a list of group names");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode n : list) {
      String name = n.asText();
      if (!n.isTextual() || !GROUP.matcher(name).matches()) {
        throw Problem.badRequest("bad-request", "group name must be 1-128 of A-Z a-z 0-9 _ . -");
      }
      if (forHosts && name.equals(FlavorStore.HOST_UNIQUE)) {
        throw Problem.badRequest(
            "flavor-group-invalid",
            "host_unique holds host-bound flavors only; name another group");
      }
      if (monitor.verifier().group(name).isEmpty()) {
        throw Problem.badRequest("flavor-group-unknown", "no flavor group '" + name + "'");
      }
      if (!out.contains(name)) {
        out.add(name);
      }
    }
    return out;
  }

  private void addMember(Context ctx) {
    FlavorGroup g = existingGroup(groupName(ctx));
    FlavorStore.StoredFlavor f = flavor(ctx.pathParam("flavor"));
    // a host-bound part belongs to its host's groups through host_unique; a shared flavor never
    // does
    if (FlavorStore.hostUnique(f.flavor().flavor().part())
        != g.name().equals(FlavorStore.HOST_UNIQUE)) {
      throw Problem.badRequest(
          "flavor-group-invalid",
          "HOST_UNIQUE and ASSET_TAG flavors belong to host_unique, and only they do");
    }
    boolean added = monitor.flavors().addMember(g.name(), f.id());
    LOG.info("flavor group member added group={} flavor={} new={}", g.name(), f.id(), added);
    retrigger(g.name());
    Json.write(
        ctx,
        200,
        Map.of("name", g.name(), "flavor", f.id().toString(), "groups", groupsOf(f.id())));
  }

  private void removeMember(Context ctx) {
    FlavorGroup g = existingGroup(groupName(ctx));
    FlavorStore.StoredFlavor f = flavor(ctx.pathParam("flavor"));
    if (!monitor.flavors().removeMember(g.name(), f.id())) {
      throw Problem.notFound("flavor " + f.id() + " is not in flavor group '" + g.name() + "'");
    }
    LOG.info("flavor group member removed group={} flavor={}", g.name(), f.id());
    retrigger(g.name());
    ctx.status(204);
  }

  private List<String> groupsOf(UUID flavor) {
    return monitor.flavors().groupsOf(flavor);
  }

  /** A changed group is judged again at once (ISecL queues its hosts), as flavor changes are. */
  private void retrigger(String group) {
    List<String> hosts =
        group.equals(HostVerifier.DEFAULT_GROUP) || group.equals(FlavorStore.HOST_UNIQUE)
            ? monitor.registry().list().stream().map(Host::id).toList()
            : monitor.flavors().hostsIn(group);
    hosts.forEach(monitor.scheduler()::triggerNow);
  }

  private void hostGroups(Context ctx) {
    Host h = host(ctx);
    Json.write(ctx, 200, Map.of("id", h.id(), "flavor_groups", assignments(h.id())));
  }

  private void assign(Context ctx) {
    Host h = host(ctx);
    String name = groupName(ctx);
    List<String> one = groupNames(Json.MAPPER.valueToTree(List.of(name)), true);
    boolean added =
        monitor
            .flavors()
            .assign(h.id(), one.get(0), FlavorStore.AssignedBy.ADMIN, monitor.clock().instant());
    LOG.info("host assigned id={} flavor_group={} new={}", h.id(), name, added);
    monitor.scheduler().triggerNow(h.id());
    Json.write(ctx, 200, Map.of("id", h.id(), "flavor_groups", assignments(h.id())));
  }

  private void unassign(Context ctx) {
    Host h = host(ctx);
    String name = groupName(ctx);
    if (!monitor.flavors().unassign(h.id(), name)) {
      throw Problem.notFound("host '" + h.id() + "' is not in flavor group '" + name + "'");
    }
    LOG.info("host unassigned id={} flavor_group={}", h.id(), name);
    monitor.scheduler().triggerNow(h.id());
    ctx.status(204);
  }

  /** The host's assignments; a host in none shows {@code automatic}, assigned by default. */
  private List<Map<String, Object>> assignments(String hostId) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (FlavorStore.Assignment a : monitor.flavors().assignments(hostId)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", a.group());
      m.put("assigned_by", a.by().name());
      m.put("assigned", a.at().toString());
      out.add(m);
    }
    if (out.isEmpty()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", HostVerifier.DEFAULT_GROUP);
      m.put("assigned_by", "DEFAULT");
      m.put("assigned", null);
      out.add(m);
    }
    return out;
  }

  private FlavorStore.StoredFlavor flavor(String id) {
    return monitor
        .flavors()
        .get(uuid(id))
        .orElseThrow(() -> Problem.notFound("no flavor '" + id + "'"));
  }

  private void putGroup(Context ctx) {
    String name = groupName(ctx);
    FlavorGroup g;
    try {
      g = FlavorStore.readGroup(name, Json.object(ctx));
    } catch (VerificationException e) {
      throw Problem.badRequest("flavor-group-invalid", e.getMessage());
    }
    monitor.flavors().putGroup(g, monitor.clock().instant());
    LOG.info("flavor group stored name={}", name);
    Json.write(ctx, 200, Map.of("name", g.name(), "policies", FlavorStore.writeGroup(g)));
  }

  private void deleteGroup(Context ctx) {
    List<String> assigned = monitor.flavors().hostsIn(groupName(ctx));
    if (!assigned.isEmpty()) {
      throw Problem.of(
              409,
              "flavor-group-in-use",
              "Hosts are assigned to the flavor group",
              "unassign " + assigned + " first")
          .exception();
    }
    if (!monitor.flavors().deleteGroup(groupName(ctx))) {
      throw Problem.notFound("no stored flavor group '" + ctx.pathParam("name") + "'");
    }
    ctx.status(204);
  }

  // ---------------------------------------------------------------- reports

  private void listReports(Context ctx) {
    String host = ctx.queryParam("host");
    if (host == null || !HostIds.isValid(host)) {
      throw Problem.badRequest("bad-request", "?host= must name a host id");
    }
    int limit = 20;
    String l = ctx.queryParam("limit");
    if (l != null) {
      try {
        limit = Integer.parseInt(l);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > MAX_REPORTS) {
        throw Problem.badRequest("bad-request", "limit must be 1.." + MAX_REPORTS);
      }
    }
    Json.write(
        ctx,
        200,
        Map.of(
            "reports",
            monitor.reports().forHost(host, limit).stream().map(r -> report(r, false)).toList()));
  }

  private void showReport(Context ctx) {
    TrustReportStore.StoredReport r =
        monitor
            .reports()
            .get(uuid(ctx.pathParam("id")))
            .orElseThrow(() -> Problem.notFound("no report '" + ctx.pathParam("id") + "'"));
    Json.write(ctx, 200, report(r, true));
  }

  // ---------------------------------------------------------------- helpers

  private Host host(Context ctx) {
    String id = hostId(ctx);
    return monitor.registry().get(id).orElseThrow(() -> Problem.notFound("no host '" + id + "'"));
  }

  static String hostId(Context ctx) {
    String id = ctx.pathParam("id");
    if (!HostIds.isValid(id)) {
      throw Problem.badRequest(
          "bad-request", "host id must be 1-128 characters of A-Z a-z 0-9 _ -");
    }
    return id;
  }

  private static String groupName(Context ctx) {
    String name = ctx.pathParam("name");
    if (!GROUP.matcher(name).matches()) {
      throw Problem.badRequest("bad-request", "group name must be 1-128 of A-Z a-z 0-9 _ . -");
    }
    return name;
  }

  private static UUID uuid(String text) {
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      throw Problem.badRequest("bad-request", "'" + text + "' is not a UUID");
    }
  }

  private Map<String, Object> host(Host h) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", h.id());
    m.put("group", h.group());
    m.put("flavor_groups", assignments(h.id()).stream().map(a -> a.get("name")).toList());
    m.put("connection", h.connection());
    m.put("status", h.status().name());
    m.put("next_due", h.nextDue().toString());
    m.put("last_attested", h.lastAttested().map(Instant::toString).orElse(null));
    m.put("last_report_id", h.lastReportId().orElse(null));
    m.put(
        "tpm_reset_count", h.lastResetCount().isPresent() ? h.lastResetCount().getAsLong() : null);
    m.put("attesting", h.leaseOwner().orElse(null));
    return m;
  }

  private static Map<String, Object> change(StatusChange c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", c.time().toString());
    m.put("previous", c.previous().name());
    m.put("current", c.current().name());
    m.put("reasons", c.reasons());
    m.put("report_id", c.reportId().orElse(null));
    return m;
  }

  private static Map<String, Object> nodeAction(NodeActionQueue.Entry a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", a.kind().name());
    m.put("state", a.state().name());
    m.put("reason", a.reason());
    m.put("attempts", a.attempts());
    m.put("requested", a.requested().toString());
    m.put(
        "next_attempt",
        a.state() == NodeActionQueue.State.PENDING ? a.nextAttempt().toString() : null);
    m.put("done", a.done().map(Object::toString).orElse(null));
    m.put("last_error", a.lastError().orElse(null));
    m.put("result", a.result().orElse(null));
    return m;
  }

  private static Map<String, Object> audit(FlavorStore.AuditEntry a) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("time", a.at().toString());
    m.put("mode", a.mode().name());
    m.put("action", a.action());
    m.put("reset_count", a.resetCount().isPresent() ? a.resetCount().getAsLong() : null);
    m.put(
        "previous_reset_count",
        a.previousResetCount().isPresent() ? a.previousResetCount().getAsLong() : null);
    m.put("flavor_ids", a.flavorIds().stream().map(UUID::toString).toList());
    m.put("reason", a.reason());
    return m;
  }

  private static Map<String, Object> flavorSummary(SignedFlavor f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", f.flavor().meta().id().toString());
    m.put("flavor_part", f.flavor().part().name());
    m.put("label", f.flavor().meta().label());
    return m;
  }

  private Map<String, Object> stored(FlavorStore.StoredFlavor f) {
    Map<String, Object> m = flavorSummary(f.flavor());
    m.put("host_id", f.hostId().orElse(null));
    m.put("flavor_groups", monitor.flavors().groupsOf(f.id()));
    m.put("origin", f.origin().name());
    m.put("approved", f.approved());
    m.put("reset_count", f.resetCount().isPresent() ? f.resetCount().getAsLong() : null);
    m.put("created", f.created().toString());
    m.put("retired", f.retired().map(Instant::toString).orElse(null));
    return m;
  }

  private static Map<String, Object> report(TrustReportStore.StoredReport r, boolean withJws) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", r.id().toString());
    m.put("host_id", r.hostId());
    m.put("status", r.status().name());
    m.put("overall", r.overall());
    m.put("created", r.created().toString());
    m.put("expires", r.expires().toString());
    if (withJws) {
      m.put("jws", r.jws());
    }
    return m;
  }
}
