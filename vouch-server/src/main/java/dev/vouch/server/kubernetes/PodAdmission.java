package dev.vouch.server.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.server.actions.NodeActions;
import dev.vouch.server.actions.NodeTrust;
import dev.vouch.server.http.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The mutating admission webhook for pods (admission.k8s.io/v1 {@code AdmissionReview} in and out).
 *
 * <p>A pod asks for trusted compute when it carries the label {@code vouch.dev/trusted-compute:
 * "true"} or names one of the configured runtime classes. On CREATE such a pod gets a JSONPatch
 * that adds the node-affinity requirement {@code vouch.dev/trust In [verified]} to every required
 * node selector term (terms are ORed, so each must carry it), or a new required term when it has
 * none. A trusted pod that names a {@code nodeName} (bypassing the scheduler) is refused unless
 * that node is labelled {@code verified} right now; plain pods are never refused for their node,
 * since DaemonSet and static pods must keep running on untrusted nodes.
 *
 * <p>Every input gets an AdmissionReview back, never an exception: malformed reviews are refused
 * with {@code allowed: false} and a message starting with a stable code ({@code malformed-review},
 * {@code not-a-pod}, {@code node-not-verified}, {@code node-unreadable}, {@code pod-unreadable}).
 * Thread-safe.
 *
 * <p>{@code pods/binding} reviews (CREATE of a Binding) are checked too: a pod that asks for
 * trusted compute may be bound only to a verified node, whichever scheduler binds it.
 */
public final class PodAdmission {
  private static final Logger LOG = Logger.getLogger(PodAdmission.class.getName());

  /** The pod label that asks for trusted compute (value {@code "true"}). */
  public static final String TRUSTED_COMPUTE_LABEL = "vouch.dev/trusted-compute";

  /** Larger reviews are refused unread (an object is at most 1.5 MiB in etcd; old + new object). */
  public static final int MAX_REVIEW_BYTES = 4 * 1024 * 1024;

  private static final String API_VERSION = "admission.k8s.io/v1";
  private static final String AFFINITY = "/spec/affinity";
  private static final String NODE_AFFINITY = AFFINITY + "/nodeAffinity";
  private static final String REQUIRED =
      NODE_AFFINITY + "/requiredDuringSchedulingIgnoredDuringExecution";

  // the server's strict reader: duplicate members refused, so the API server and this webhook
  // cannot read two different pods from one review
  private static final ObjectMapper JSON = Json.MAPPER;

  /** A node's trust as the API server shows it now. */
  public sealed interface NodeState {}

  /** The node exists; {@code trust} is empty when it has no (or a foreign) trust label. */
  public record Present(Optional<NodeTrust> trust) implements NodeState {}

  /** No node (or, for {@link NodeLookup#pod}, no pod) of that name. */
  public record Absent() implements NodeState, PodState {}

  /** The node or pod could not be read (API down, or no Kubernetes API configured). */
  public record Unreadable(String why) implements NodeState, PodState {}

  /** A pod as the binding check needs it, for {@code pods/binding} reviews. */
  public sealed interface PodState {}

  /**
   * The pod exists.
   *
   * @param trustedComputeLabel its {@link #TRUSTED_COMPUTE_LABEL} label value, if any
   * @param runtimeClassName its {@code spec.runtimeClassName}, if any
   */
  public record PodFound(Optional<String> trustedComputeLabel, Optional<String> runtimeClassName)
      implements PodState {}

  /** Reads a node's trust label and, for bindings, a pod; must not throw. */
  @FunctionalInterface
  public interface NodeLookup {
    NodeState node(String name);

    /** The pod a {@code pods/binding} review names; without a cluster, unreadable. */
    default PodState pod(String namespace, String name) {
      return new Unreadable("no pod lookup");
    }
  }

  /** What the webhook decided about one review. */
  public sealed interface Decision {}

  /** Admit unchanged. */
  public record Allow() implements Decision {}

  /** Admit with this JSONPatch (RFC 6902 operations). */
  public record Patch(List<Map<String, Object>> operations) implements Decision {
    public Patch {
      operations = List.copyOf(operations);
    }
  }

  /**
   * Refuse; {@code code} is the HTTP-like status the API server shows, {@code message} starts with
   * a stable code.
   */
  public record Refuse(int code, String message) implements Decision {}

  private final Set<String> runtimeClasses;
  private final NodeLookup nodes;

  public PodAdmission(List<String> runtimeClasses, NodeLookup nodes) {
    this.runtimeClasses = Set.copyOf(runtimeClasses);
    this.nodes = Objects.requireNonNull(nodes, "nodes");
  }

  /**
   * Looks nodes up with {@link NodeActions#trustOf}, and pods for bindings, through a Kubernetes
   * client.
   */
  public static NodeLookup lookup(io.fabric8.kubernetes.client.KubernetesClient client) {
    return new NodeLookup() {
      @Override
      public NodeState node(String name) {
        try {
          io.fabric8.kubernetes.api.model.Node n = client.nodes().withName(name).get();
          return n == null ? new Absent() : new Present(NodeActions.trustOf(n));
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
          return new Unreadable("the Kubernetes API failed (" + e.getCode() + ")");
        }
      }

      @Override
      public PodState pod(String namespace, String name) {
        try {
          io.fabric8.kubernetes.api.model.Pod p =
              client.pods().inNamespace(namespace).withName(name).get();
          if (p == null) {
            return new Absent();
          }
          Map<String, String> labels = p.getMetadata().getLabels();
          return new PodFound(
              Optional.ofNullable(labels == null ? null : labels.get(TRUSTED_COMPUTE_LABEL)),
              Optional.ofNullable(p.getSpec() == null ? null : p.getSpec().getRuntimeClassName()));
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
          return new Unreadable("the Kubernetes API failed (" + e.getCode() + ")");
        }
      }
    };
  }

  /** A lookup for a server without a Kubernetes API: every node is unreadable (fail closed). */
  public static NodeLookup noCluster() {
    return name -> new Unreadable("no Kubernetes API is configured (hosts.kubernetes)");
  }

  /** Answers one AdmissionReview body with an AdmissionReview body; never throws on input. */
  public byte[] review(byte[] body) {
    String uid = "";
    Decision d;
    if (body.length > MAX_REVIEW_BYTES) {
      d = malformed("the review is larger than " + MAX_REVIEW_BYTES + " bytes");
    } else {
      try {
        JsonNode root = JSON.readTree(body);
        if (root == null || root.isMissingNode()) {
          d = malformed("empty body");
        } else {
          JsonNode u = root.path("request").path("uid");
          if (u.isTextual() && u.textValue().length() <= 128) {
            uid = u.textValue();
          }
          d = decide(root);
        }
      } catch (JsonProcessingException e) {
        d = malformed("not JSON: " + e.getOriginalMessage());
      } catch (IOException e) {
        d = malformed("unreadable: " + e.getMessage());
      }
    }
    return response(uid, d);
  }

  private static Refuse malformed(String why) {
    return new Refuse(400, "malformed-review: " + why);
  }

  /** The decision for a parsed review (the root object). */
  Decision decide(JsonNode root) {
    if (!root.isObject()
        || !API_VERSION.equals(root.path("apiVersion").textValue())
        || !"AdmissionReview".equals(root.path("kind").textValue())) {
      return malformed("not an " + API_VERSION + " AdmissionReview");
    }
    JsonNode req = root.path("request");
    if (!req.isObject()) {
      return malformed("no request");
    }
    JsonNode uid = req.path("uid");
    if (!uid.isTextual() || uid.textValue().isEmpty() || uid.textValue().length() > 128) {
      return malformed("request.uid must be a non-empty string");
    }
    JsonNode kind = req.path("kind");
    if ("".equals(kind.path("group").asText(null))
        && "Binding".equals(kind.path("kind").textValue())
        && "pods".equals(req.path("resource").path("resource").textValue())
        && "binding".equals(req.path("subResource").textValue())) {
      return decideBinding(req);
    }
    if (!"".equals(kind.path("group").asText(null))
        || !"Pod".equals(kind.path("kind").textValue())
        || !"pods".equals(req.path("resource").path("resource").textValue())
        || req.hasNonNull("subResource")) {
      return new Refuse(400, "not-a-pod: this webhook admits pods only");
    }
    JsonNode op = req.path("operation");
    if (!op.isTextual()) {
      return malformed("request.operation must be a string");
    }
    if (!"CREATE".equals(op.textValue())) {
      // placement is fixed at creation: a pod's affinity and node cannot change afterwards
      return new Allow();
    }
    JsonNode pod = req.path("object");
    if (!pod.isObject() || !pod.path("spec").isObject()) {
      return malformed("request.object must be a pod with a spec");
    }
    Optional<String> labelled = text(pod.path("metadata").path("labels"), TRUSTED_COMPUTE_LABEL);
    Optional<String> runtimeClass = text(pod.path("spec"), "runtimeClassName");
    Optional<String> nodeName = text(pod.path("spec"), "nodeName");
    if (labelled == null || runtimeClass == null || nodeName == null) {
      return malformed("labels, runtimeClassName and nodeName must be strings");
    }
    boolean trusted =
        labelled.filter("true"::equals).isPresent()
            || runtimeClass.filter(runtimeClasses::contains).isPresent();
    if (!trusted) {
      return new Allow();
    }
    if (nodeName.isPresent()) {
      Optional<Refuse> refused = checkNode(nodeName.get(), "pinned to");
      if (refused.isPresent()) {
        return refused.get();
      }
    }
    try {
      List<Map<String, Object>> ops = affinityPatch(pod.path("spec"));
      return ops.isEmpty() ? new Allow() : new Patch(ops);
    } catch (IllegalArgumentException e) {
      return malformed(e.getMessage());
    }
  }

  /**
   * A {@code pods/binding} CREATE: a scheduler (the default one or a custom one) puts a pod on a
   * node. A pod that asks for trusted compute may be bound only to a node labelled verified now;
   * the pod is read from the API, since the review carries only the Binding.
   */
  private Decision decideBinding(JsonNode req) {
    if (!"CREATE".equals(req.path("operation").textValue())) {
      return req.path("operation").isTextual()
          ? new Allow()
          : malformed("request.operation must be a string");
    }
    JsonNode name = req.path("name");
    JsonNode namespace = req.path("namespace");
    if (!name.isTextual()
        || name.textValue().isEmpty()
        || !namespace.isTextual()
        || namespace.textValue().isEmpty()) {
      return malformed("a binding review needs request.name and request.namespace");
    }
    JsonNode target = req.path("object").path("target");
    JsonNode node = target.path("name");
    if (!target.isObject() || !node.isTextual() || node.textValue().isEmpty()) {
      return malformed("request.object must be a Binding with target.name");
    }
    if (target.has("kind") && !"Node".equals(target.path("kind").textValue())) {
      return malformed("a Binding's target must be a Node");
    }
    String pod = namespace.textValue() + "/" + name.textValue();
    return switch (nodes.pod(namespace.textValue(), name.textValue())) {
      // the API server refuses a binding of a pod that does not exist
      case Absent a -> new Allow();
      case Unreadable u -> {
        LOG.warning(() -> "admission: pod " + pod + " unreadable: " + u.why());
        yield new Refuse(
            403, "pod-unreadable: cannot tell whether pod " + pod + " asks for trusted compute");
      }
      case PodFound f ->
          f.trustedComputeLabel().filter("true"::equals).isPresent()
                  || f.runtimeClassName().filter(runtimeClasses::contains).isPresent()
              ? checkNode(node.textValue(), "bound to").<Decision>map(r -> r).orElse(new Allow())
              : new Allow();
    };
  }

  /**
   * Refuses placing a trusted pod on {@code name} unless it is verified; {@code how}: "pinned to".
   */
  private Optional<Refuse> checkNode(String name, String how) {
    String status =
        switch (nodes.node(name)) {
          case Present p when p.trust().equals(Optional.of(NodeTrust.VERIFIED)) -> null;
          case Present p ->
              p.trust()
                  .map(t -> NodeActions.TRUST_LABEL + "=" + t.value())
                  .orElse("no " + NodeActions.TRUST_LABEL + " label");
          case Absent a -> "no such node";
          case Unreadable u -> {
            LOG.warning(() -> "admission: node " + name + " unreadable: " + u.why());
            yield "unreadable: " + u.why();
          }
        };
    if (status == null) {
      return Optional.empty();
    }
    String code = status.startsWith("unreadable") ? "node-unreadable" : "node-not-verified";
    return Optional.of(
        new Refuse(
            403,
            code
                + ": trusted pod "
                + how
                + " node "
                + name
                + ", whose status is "
                + status
                + "; trusted pods need "
                + NodeActions.TRUST_LABEL
                + "=verified"));
  }

  /**
   * A string member of an object: empty when absent or null, {@code null} (malformed) when present
   * with another type or when the container is not an object.
   */
  private static Optional<String> text(JsonNode container, String member) {
    if (container.isMissingNode() || container.isNull()) {
      return Optional.empty();
    }
    if (!container.isObject()) {
      return null;
    }
    JsonNode v = container.get(member);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    return v.isTextual() ? Optional.of(v.textValue()) : null;
  }

  private static Map<String, Object> requirement() {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("key", NodeActions.TRUST_LABEL);
    e.put("operator", "In");
    e.put("values", List.of(NodeTrust.VERIFIED.value()));
    return e;
  }

  private static Map<String, Object> term() {
    return Map.of("matchExpressions", List.of(requirement()));
  }

  private static Map<String, Object> add(String path, Object value) {
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("op", "add");
    op.put("path", path);
    op.put("value", value);
    return op;
  }

  /** The operations that make every required term demand a verified node; none when all do. */
  private static List<Map<String, Object>> affinityPatch(JsonNode spec) {
    JsonNode affinity = member(spec, "affinity");
    if (affinity == null) {
      return List.of(
          add(
              AFFINITY,
              Map.of(
                  "nodeAffinity",
                  Map.of("requiredDuringSchedulingIgnoredDuringExecution", required()))));
    }
    JsonNode nodeAffinity = member(affinity, "nodeAffinity");
    if (nodeAffinity == null) {
      return List.of(
          add(NODE_AFFINITY, Map.of("requiredDuringSchedulingIgnoredDuringExecution", required())));
    }
    JsonNode required = member(nodeAffinity, "requiredDuringSchedulingIgnoredDuringExecution");
    if (required == null) {
      return List.of(add(REQUIRED, required()));
    }
    JsonNode terms = required.get("nodeSelectorTerms");
    if (terms == null || terms.isNull() || (terms.isArray() && terms.isEmpty())) {
      // an empty list matches no node at all; one term with the requirement keeps the intent
      return List.of(add(REQUIRED + "/nodeSelectorTerms", List.of(term())));
    }
    if (!terms.isArray()) {
      throw new IllegalArgumentException("nodeSelectorTerms must be a list");
    }
    List<Map<String, Object>> ops = new ArrayList<>();
    for (int i = 0; i < terms.size(); i++) {
      JsonNode t = terms.get(i);
      if (!t.isObject()) {
        throw new IllegalArgumentException("nodeSelectorTerms[" + i + "] must be an object");
      }
      JsonNode exprs = t.get("matchExpressions");
      String path = REQUIRED + "/nodeSelectorTerms/" + i + "/matchExpressions";
      if (exprs == null || exprs.isNull()) {
        ops.add(add(path, List.of(requirement())));
      } else if (!exprs.isArray()) {
        throw new IllegalArgumentException("matchExpressions must be a list");
      } else if (!demandsVerified(exprs)) {
        ops.add(add(path + "/-", requirement()));
      }
    }
    return ops;
  }

  private static Map<String, Object> required() {
    return Map.of("nodeSelectorTerms", List.of(term()));
  }

  /** The object member, or null when absent; a member of another type is malformed. */
  private static JsonNode member(JsonNode parent, String name) {
    JsonNode v = parent.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isObject()) {
      throw new IllegalArgumentException(name + " must be an object");
    }
    return v;
  }

  /** True when a term already requires exactly {@code vouch.dev/trust In [verified]}. */
  private static boolean demandsVerified(JsonNode exprs) {
    for (JsonNode e : exprs) {
      JsonNode values = e.path("values");
      if (NodeActions.TRUST_LABEL.equals(e.path("key").textValue())
          && "In".equals(e.path("operator").textValue())
          && values.isArray()
          && values.size() == 1
          && NodeTrust.VERIFIED.value().equals(values.get(0).textValue())) {
        return true;
      }
    }
    return false;
  }

  private static byte[] response(String uid, Decision d) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("uid", uid);
    switch (d) {
      case Allow a -> r.put("allowed", true);
      case Patch p -> {
        r.put("allowed", true);
        r.put("patchType", "JSONPatch");
        try {
          r.put(
              "patch", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(p.operations())));
        } catch (JsonProcessingException e) {
          throw new IllegalStateException(e); // maps, lists and strings always serialize
        }
      }
      case Refuse f -> {
        r.put("allowed", false);
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("status", "Failure");
        status.put("code", f.code());
        status.put("reason", f.code() == 403 ? "Forbidden" : "BadRequest");
        status.put("message", f.message());
        r.put("status", status);
      }
    }
    Map<String, Object> review = new LinkedHashMap<>();
    review.put("apiVersion", API_VERSION);
    review.put("kind", "AdmissionReview");
    review.put("response", r);
    try {
      return JSON.writeValueAsString(review).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
