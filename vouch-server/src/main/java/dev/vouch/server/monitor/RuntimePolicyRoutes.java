package dev.vouch.server.monitor;

import static dev.vouch.server.http.JsonSchema.*;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.evidence.runtime.RuntimeAppraiser;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.server.aas.Permission;
import dev.vouch.server.http.Json;
import dev.vouch.server.http.JsonSchema;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.Routes;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admin routes of runtime appraisal: runtime policies (Keylime runtime policy JSON, stored and
 * versioned), their assignment to hosts and host groups (a host's own wins), and a host's
 * incremental IMA state. Registered with the other monitoring routes; every route needs the admin
 * token.
 */
final class RuntimePolicyRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(RuntimePolicyRoutes.class);
  private static final String JSON = "application/json";

  private final HostMonitor monitor;

  private static final JsonSchema SUMMARY =
      object("name", STRING, "version", INTEGER, "sha256", STRING, "created", DATE_TIME);
  private static final JsonSchema ASSIGN = object("policy", STRING);

  RuntimePolicyRoutes(HostMonitor monitor) {
    this.monitor = monitor;
  }

  void register(Routes r) {
    r.admin(
            Permission.POLICIES_READ,
            "GET",
            "/api/v1/runtime-policies",
            "Runtime policies: the newest version of each",
            null,
            JSON,
            List.of(200, 401),
            this::list)
        .returns(object("policies", arrayOf(SUMMARY)));
    r.admin(
            Permission.POLICIES_WRITE,
            "PUT",
            "/api/v1/runtime-policies/{name}",
            "Store a Keylime runtime policy (JSON, version 1) as the next version of {name}; hosts"
                + " assigned the name are appraised by it from their next attestation",
            JSON,
            JSON,
            List.of(201, 400, 401),
            this::put)
        .takes(
            object(
                    "meta",
                    object("version", INTEGER),
                    "digests?",
                    mapOf(arrayOf(STRING)),
                    "excludes?",
                    arrayOf(STRING))
                .describedAs("a Keylime runtime policy, version 1"))
        .returns(SUMMARY);
    r.admin(
            Permission.POLICIES_READ,
            "GET",
            "/api/v1/runtime-policies/{name}",
            "The newest version of a runtime policy, with its SHA-256 and the policy itself",
            null,
            JSON,
            List.of(200, 401, 404),
            this::show)
        .returns(SUMMARY.and("policy", OBJECT));
    r.admin(
            Permission.HOSTS_WRITE,
            "PUT",
            "/api/v1/hosts/{id}/runtime-policy",
            "Appraise the host's IMA entries by runtime policy {policy: NAME} (its newest version)",
            JSON,
            JSON,
            List.of(200, 400, 401, 404),
            this::assign)
        .takes(ASSIGN)
        .returns(SUMMARY.and("host", STRING));
    r.admin(
        Permission.HOSTS_WRITE,
        "DELETE",
        "/api/v1/hosts/{id}/runtime-policy",
        "Stop appraising the host by a runtime policy",
        null,
        JSON,
        List.of(204, 401, 404),
        this::unassign);
    r.admin(
            Permission.HOSTS_WRITE,
            "PUT",
            "/api/v1/host-groups/{group}/runtime-policy",
            "Appraise the IMA entries of the group's hosts by runtime policy {policy: NAME} (its newest"
                + " version); a host's own assignment wins",
            JSON,
            JSON,
            List.of(200, 400, 401, 404),
            this::assignGroup)
        .takes(ASSIGN)
        .returns(SUMMARY.and("group", STRING));
    r.admin(
            Permission.HOSTS_READ,
            "GET",
            "/api/v1/host-groups/{group}/runtime-policy",
            "The runtime policy assigned to a host group",
            null,
            JSON,
            List.of(200, 400, 401, 404),
            this::showGroup)
        .returns(SUMMARY.and("group", STRING));
    r.admin(
        Permission.HOSTS_WRITE,
        "DELETE",
        "/api/v1/host-groups/{group}/runtime-policy",
        "Stop appraising the group's hosts by a runtime policy (their own assignments stay)",
        null,
        JSON,
        List.of(204, 400, 401, 404),
        this::unassignGroup);
    r.admin(
            Permission.HOSTS_READ,
            "GET",
            "/api/v1/hosts/{id}/ima",
            "The host's incremental IMA state: entries verified, boot, policy, findings, last restart",
            null,
            JSON,
            List.of(200, 401, 404),
            this::imaState)
        .returns(
            object(
                "host", STRING,
                "entries", INTEGER,
                "mode", STRING,
                "reset_count", INTEGER,
                "restart_count", INTEGER,
                "pcr10", mapOf(STRING),
                "policy", nullable(STRING),
                "boot_aggregate", ANY,
                "findings_total", INTEGER,
                "findings", arrayOf(OBJECT),
                "last_restart", ANY,
                "updated", DATE_TIME));
  }

  private void list(Context ctx) {
    Json.write(
        ctx,
        200,
        Map.of(
            "policies",
            monitor.runtimePolicies().list().stream().map(RuntimePolicyRoutes::summary).toList()));
  }

  private void put(Context ctx) {
    String name = policyName(ctx);
    RuntimePolicyStore.Stored s;
    try {
      s = monitor.runtimePolicies().put(name, ctx.bodyAsBytes(), monitor.clock().instant());
    } catch (RuntimePolicy.Invalid e) {
      throw Problem.badRequest("invalid-runtime-policy", e.getMessage());
    }
    LOG.info("runtime policy stored name={} version={} sha256={}", name, s.version(), s.sha256());
    Json.write(ctx, 201, summary(s));
  }

  private void show(Context ctx) {
    String name = policyName(ctx);
    RuntimePolicyStore.Stored s =
        monitor
            .runtimePolicies()
            .latest(name)
            .orElseThrow(() -> Problem.notFound("no runtime policy '" + name + "'"));
    Map<String, Object> m = summary(s);
    try {
      m.put("policy", Json.MAPPER.readTree(s.json()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // it parsed when it was stored
    }
    Json.write(ctx, 200, m);
  }

  private void assign(Context ctx) {
    String id = knownHost(ctx);
    String name = assignedName(ctx);
    if (!monitor.runtimePolicies().assign(id, name, monitor.clock().instant())) {
      throw Problem.notFound("no runtime policy '" + name + "'");
    }
    RuntimePolicyStore.Stored s = monitor.runtimePolicies().assigned(id).orElseThrow();
    LOG.info("runtime policy assigned host={} policy={}", id, s.ref());
    Map<String, Object> m = summary(s);
    m.put("host", id);
    Json.write(ctx, 200, m);
  }

  private void unassign(Context ctx) {
    String id = knownHost(ctx);
    if (!monitor.runtimePolicies().unassign(id)) {
      throw Problem.notFound("host '" + id + "' has no runtime policy");
    }
    LOG.info("runtime policy unassigned host={}", id);
    ctx.status(204);
  }

  /** The {@code policy} of an assignment body. */
  private static String assignedName(Context ctx) {
    JsonNode body = Json.object(ctx);
    Json.onlyFields(body, Set.of("policy"), "assignment");
    String name = Json.text(body, "policy");
    if (!RuntimePolicyStore.NAME.matcher(name).matches()) {
      throw Problem.badRequest("bad-request", "policy must be 1-128 of A-Z a-z 0-9 _ . -");
    }
    return name;
  }

  private void assignGroup(Context ctx) {
    String group = groupName(ctx);
    String name = assignedName(ctx);
    if (!monitor.runtimePolicies().assignGroup(group, name, monitor.clock().instant())) {
      throw Problem.notFound("no runtime policy '" + name + "'");
    }
    LOG.info("runtime policy assigned group={} policy={}", group, name);
    showGroup(ctx);
  }

  private void showGroup(Context ctx) {
    String group = groupName(ctx);
    RuntimePolicyStore.Stored s =
        monitor
            .runtimePolicies()
            .assignedToGroup(group)
            .orElseThrow(
                () -> Problem.notFound("host group '" + group + "' has no runtime policy"));
    Map<String, Object> m = summary(s);
    m.put("group", group);
    Json.write(ctx, 200, m);
  }

  private void unassignGroup(Context ctx) {
    String group = groupName(ctx);
    if (!monitor.runtimePolicies().unassignGroup(group)) {
      throw Problem.notFound("host group '" + group + "' has no runtime policy");
    }
    LOG.info("runtime policy unassigned group={}", group);
    ctx.status(204);
  }

  /** Host groups are named as policies are (the host registry's rule). */
  private static String groupName(Context ctx) {
    String group = ctx.pathParam("group");
    if (!RuntimePolicyStore.NAME.matcher(group).matches()) {
      throw Problem.badRequest("bad-request", "group must be 1-128 of A-Z a-z 0-9 _ . -");
    }
    return group;
  }

  private void imaState(Context ctx) {
    String id = knownHost(ctx);
    ImaStateStore.HostImaState s =
        monitor
            .imaStates()
            .get(id)
            .orElseThrow(() -> Problem.notFound("no verified IMA state for host '" + id + "'"));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("host", id);
    m.put("entries", s.progress().checkpoint().entries());
    m.put("mode", s.progress().checkpoint().mode().name().toLowerCase(java.util.Locale.ROOT));
    m.put("reset_count", s.progress().resetCount());
    m.put("restart_count", s.progress().restartCount());
    m.put("pcr10", s.progress().checkpoint().pcr10().toHexMap());
    m.put("policy", s.policy().orElse(null));
    m.put("boot_aggregate", s.bootAggregate().claim());
    m.put("findings_total", s.findingsTotal());
    m.put("findings", s.findings().stream().map(RuntimeAppraiser.Finding::toMap).toList());
    m.put("last_restart", s.lastRestart().orElse(null));
    m.put("updated", s.updated().toString());
    Json.write(ctx, 200, m);
  }

  private String knownHost(Context ctx) {
    String id = MonitorRoutes.hostId(ctx);
    if (monitor.registry().get(id).isEmpty()) {
      throw Problem.notFound("no host '" + id + "'");
    }
    return id;
  }

  private static String policyName(Context ctx) {
    String name = ctx.pathParam("name");
    if (!RuntimePolicyStore.NAME.matcher(name).matches()) {
      throw Problem.badRequest("bad-request", "policy name must be 1-128 of A-Z a-z 0-9 _ . -");
    }
    return name;
  }

  private static Map<String, Object> summary(RuntimePolicyStore.Stored s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("version", s.version());
    m.put("sha256", s.sha256());
    m.put("created", s.created().toString());
    return m;
  }
}
