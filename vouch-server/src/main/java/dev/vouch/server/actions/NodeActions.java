package dev.vouch.server.actions;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.logging.Logger;

/**
 * Cordons, and on an administrator's request restores, the Kubernetes node of a host.
 *
 * <p>A cordoned node has {@code spec.unschedulable=true}, the taint {@code
 * vouch.dev/attestation=failed:NoSchedule} (plus {@code :NoExecute} when configured) and the
 * annotations {@code vouch.dev/attestation-status}, {@code -reason} and {@code -time}. Changes are
 * read-modify-write updates carrying the node's resourceVersion (never strategic merge patches), so
 * a concurrent writer makes the API answer 409 and the change is redone on the fresh node.
 * Cordoning a node that already carries all the marks writes nothing, so the first failure's reason
 * and time stay.
 *
 * <p>Other taints, annotations and fields are kept. Thread-safe; calls block on the API server.
 */
public final class NodeActions {
  private static final Logger LOG = Logger.getLogger(NodeActions.class.getName());

  /** The node label that says whether the node's host passed its last attestation. */
  public static final String TRUST_LABEL = "vouch.dev/trust";

  /** The node annotation holding when {@link #TRUST_LABEL} last changed (ISO-8601, seconds). */
  public static final String TRUST_SINCE = "vouch.dev/trust-since";

  /** What a node action did. */
  public enum Outcome {
    /** The node was changed. */
    CHANGED,
    /** The node already was in the asked state; nothing was written. */
    UNCHANGED,
    /** No node of that name exists. */
    NOT_FOUND
  }

  /**
   * What {@link #evictPods} did.
   *
   * @param evicted {@code namespace/name} of pods whose eviction the API accepted
   * @param refused pods whose eviction a disruption budget refused for now (HTTP 429)
   * @param skipped DaemonSet and mirror pods, which eviction cannot move off the node
   */
  public record Eviction(List<String> evicted, List<String> refused, List<String> skipped) {
    public Eviction {
      evicted = List.copyOf(evicted);
      refused = List.copyOf(refused);
      skipped = List.copyOf(skipped);
    }
  }

  private final KubernetesClient client;
  private final NodeActionSettings settings;
  private final Clock clock;
  private final Consumer<String> beforeWrite;

  public NodeActions(KubernetesClient client, NodeActionSettings settings, Clock clock) {
    this(client, settings, clock, name -> {});
  }

  /** {@code beforeWrite} runs between reading and writing a node: tests race a writer there. */
  NodeActions(
      KubernetesClient client,
      NodeActionSettings settings,
      Clock clock,
      Consumer<String> beforeWrite) {
    this.client = Objects.requireNonNull(client, "client");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.beforeWrite = Objects.requireNonNull(beforeWrite, "beforeWrite");
  }

  public String statusAnnotation() {
    return settings.taintKey() + "-status";
  }

  public String reasonAnnotation() {
    return settings.taintKey() + "-reason";
  }

  public String timeAnnotation() {
    return settings.taintKey() + "-time";
  }

  /**
   * The nodes of a host: those whose configured label equals the host id, or else those named like
   * the host. Filtered on the client because field selectors are not reliable everywhere (the
   * fabric8 mock ignores them). More than one match means each is cordoned: failing closed.
   */
  public List<String> nodesOf(HostRef host) throws NodeActionException {
    List<Node> nodes;
    try {
      nodes =
          settings.hostLabel().isPresent()
              ? client
                  .nodes()
                  .withLabel(settings.hostLabel().get(), host.hostId())
                  .list()
                  .getItems()
              : client.nodes().list().getItems();
    } catch (KubernetesClientException e) {
      throw new NodeActionException("listing nodes failed: " + e.getMessage(), e);
    }
    List<String> names = new ArrayList<>();
    for (Node n : nodes) {
      if (matches(n, host)) {
        names.add(n.getMetadata().getName());
      }
    }
    return names;
  }

  private boolean matches(Node n, HostRef host) {
    if (settings.hostLabel().isPresent()) {
      Map<String, String> labels = n.getMetadata().getLabels();
      return labels != null && host.hostId().equals(labels.get(settings.hostLabel().get()));
    }
    String name = n.getMetadata().getName().toLowerCase(Locale.ROOT);
    String full = host.hostName().toLowerCase(Locale.ROOT);
    int dot = full.indexOf('.');
    return name.equals(full) || (dot > 0 && name.equals(full.substring(0, dot)));
  }

  /**
   * Sets {@link #TRUST_LABEL} (and {@link #TRUST_SINCE} when the value changes); idempotent. A node
   * that carries any attestation mark of {@link #cordon} never gets {@link NodeTrust#VERIFIED}:
   * only {@link #restore} (a fresh onboarding) clears the marks, so a late or stale verdict cannot
   * advertise a cordoned node to trusted workloads. Such a request returns {@link
   * Outcome#UNCHANGED}.
   */
  public Outcome label(String nodeName, NodeTrust trust) throws NodeActionException {
    Objects.requireNonNull(trust, "trust");
    Outcome o =
        modify(
            nodeName,
            node -> {
              if (trust == NodeTrust.VERIFIED && hasAnyMark(node)) {
                LOG.info(() -> "node " + nodeName + ": cordoned, not labelled verified");
                return null;
              }
              return trust.value().equals(labelsOf(node).get(TRUST_LABEL))
                  ? null
                  : trusted(node, trust, clock.instant());
            },
            "label");
    if (o == Outcome.CHANGED) {
      LOG.info(() -> "node " + nodeName + ": " + TRUST_LABEL + "=" + trust.value());
    }
    return o;
  }

  /** The node's trust label as Vouch set it; {@link Optional#empty()} when it has none. */
  public static Optional<NodeTrust> trustOf(Node node) {
    return NodeTrust.parse(labelsOf(node).get(TRUST_LABEL));
  }

  /**
   * Takes the node out of scheduling with the attestation taint and annotations; idempotent. The
   * same write sets {@link #TRUST_LABEL} to {@code untrusted}, so the node is never cordoned while
   * still labelled verified.
   *
   * @param reason why, stored in the reason annotation (the first reason stays while cordoned)
   * @throws NodeActionException when the API fails, or conflicts outlast the configured attempts
   */
  public Outcome cordon(String nodeName, String reason) throws NodeActionException {
    Objects.requireNonNull(reason, "reason");
    Outcome o =
        modify(
            nodeName,
            node -> isCordoned(node) ? null : cordoned(node, reason, clock.instant()),
            "cordon");
    if (o == Outcome.CHANGED) {
      LOG.info(() -> "node " + nodeName + ": cordoned, " + reason);
    }
    return o;
  }

  /**
   * Administrator action for a fresh onboarding: removes the attestation taints and annotations and
   * makes the node schedulable again, labelled {@code unknown} until a passing attestation. Never
   * called by the server on its own. A node without the attestation marks is left alone, so a
   * cordon made by someone else stays.
   */
  public Outcome restore(String nodeName) throws NodeActionException {
    Outcome o = modify(nodeName, node -> hasAnyMark(node) ? restored(node) : null, "restore");
    if (o == Outcome.CHANGED) {
      LOG.info(() -> "node " + nodeName + ": restored by administrator");
    }
    return o;
  }

  /** True when the node carries every mark {@link #cordon} sets. */
  public boolean isCordoned(Node node) {
    boolean unschedulable =
        node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable());
    Map<String, String> ann = node.getMetadata().getAnnotations();
    return unschedulable
        && hasTaint(node, "NoSchedule")
        && (!settings.noExecute() || hasTaint(node, "NoExecute"))
        && ann != null
        && settings.taintValue().equals(ann.get(statusAnnotation()))
        && NodeTrust.UNTRUSTED.value().equals(labelsOf(node).get(TRUST_LABEL));
  }

  /**
   * Asks the Eviction API to move every pod off the node (DaemonSet and mirror pods excepted),
   * honouring pod disruption budgets. Pods are listed and filtered by node on the client.
   */
  public Eviction evictPods(String nodeName) throws NodeActionException {
    List<String> evicted = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    try {
      for (Pod p : client.pods().inAnyNamespace().list().getItems()) {
        if (p.getSpec() == null || !nodeName.equals(p.getSpec().getNodeName())) {
          continue;
        }
        String ns = p.getMetadata().getNamespace();
        String id = ns + "/" + p.getMetadata().getName();
        if (unevictable(p)) {
          skipped.add(id);
        } else if (client.pods().inNamespace(ns).withName(p.getMetadata().getName()).evict()) {
          evicted.add(id);
        } else {
          refused.add(id);
        }
      }
    } catch (KubernetesClientException e) {
      throw new NodeActionException(
          "evicting pods from " + nodeName + " failed: " + e.getMessage(), e);
    }
    LOG.info(
        () ->
            "node "
                + nodeName
                + ": evicted "
                + evicted.size()
                + " pods, "
                + refused.size()
                + " refused by disruption budgets");
    return new Eviction(evicted, refused, skipped);
  }

  private static boolean unevictable(Pod p) {
    Map<String, String> ann = p.getMetadata().getAnnotations();
    if (ann != null && ann.containsKey("kubernetes.io/config.mirror")) {
      return true;
    }
    List<OwnerReference> owners = p.getMetadata().getOwnerReferences();
    return owners != null && owners.stream().anyMatch(o -> "DaemonSet".equals(o.getKind()));
  }

  /**
   * Reads the node, lets {@code change} compute the new node (null: nothing to do) and writes it
   * with the read resourceVersion, again from a fresh read when another writer got there first.
   */
  private Outcome modify(String nodeName, UnaryOperator<Node> change, String what)
      throws NodeActionException {
    Objects.requireNonNull(nodeName, "nodeName");
    KubernetesClientException last = null;
    for (int attempt = 1; attempt <= settings.maxAttempts(); attempt++) {
      try {
        Node node = client.nodes().withName(nodeName).get();
        if (node == null) {
          return Outcome.NOT_FOUND;
        }
        Node changed = change.apply(node);
        if (changed == null) {
          return Outcome.UNCHANGED;
        }
        beforeWrite.accept(nodeName);
        client.nodes().resource(changed).update();
        return Outcome.CHANGED;
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          last = e;
          int n = attempt;
          LOG.fine(() -> "node " + nodeName + ": " + what + " conflicted (attempt " + n + ")");
          continue;
        }
        if (e.getCode() == 404) {
          return Outcome.NOT_FOUND;
        }
        throw new NodeActionException(
            what + " of node " + nodeName + " failed: " + e.getMessage(), e);
      }
    }
    throw new NodeActionException(
        what
            + " of node "
            + nodeName
            + " still conflicted after "
            + settings.maxAttempts()
            + " attempts",
        last);
  }

  private Node cordoned(Node current, String reason, Instant now) {
    Node node = trusted(current, NodeTrust.UNTRUSTED, now);
    List<Taint> taints = new ArrayList<>(taintsOf(node));
    addTaint(taints, "NoSchedule");
    if (settings.noExecute()) {
      addTaint(taints, "NoExecute");
    }
    Map<String, String> ann = new HashMap<>(annotationsOf(node));
    ann.put(statusAnnotation(), settings.taintValue());
    ann.put(reasonAnnotation(), reason);
    ann.put(timeAnnotation(), now.truncatedTo(ChronoUnit.SECONDS).toString());
    return new NodeBuilder(node)
        .editMetadata()
        .withAnnotations(ann)
        .endMetadata()
        .editOrNewSpec()
        .withUnschedulable(true)
        .withTaints(taints)
        .endSpec()
        .build();
  }

  private Node restored(Node current) {
    Node node = trusted(current, NodeTrust.UNKNOWN, clock.instant());
    List<Taint> taints = new ArrayList<>(taintsOf(node));
    taints.removeIf(t -> settings.taintKey().equals(t.getKey()));
    Map<String, String> ann = new HashMap<>(annotationsOf(node));
    ann.remove(statusAnnotation());
    ann.remove(reasonAnnotation());
    ann.remove(timeAnnotation());
    return new NodeBuilder(node)
        .editMetadata()
        .withAnnotations(ann)
        .endMetadata()
        .editOrNewSpec()
        .withUnschedulable(false)
        .withTaints(taints)
        .endSpec()
        .build();
  }

  /** The node with the trust label set; the since annotation changes only with the value. */
  private static Node trusted(Node node, NodeTrust trust, Instant now) {
    if (trust.value().equals(labelsOf(node).get(TRUST_LABEL))) {
      return node;
    }
    Map<String, String> labels = new HashMap<>(labelsOf(node));
    labels.put(TRUST_LABEL, trust.value());
    Map<String, String> ann = new HashMap<>(annotationsOf(node));
    ann.put(TRUST_SINCE, now.truncatedTo(ChronoUnit.SECONDS).toString());
    return new NodeBuilder(node)
        .editMetadata()
        .withLabels(labels)
        .withAnnotations(ann)
        .endMetadata()
        .build();
  }

  private static Map<String, String> labelsOf(Node node) {
    Map<String, String> l = node.getMetadata().getLabels();
    return l == null ? Map.of() : l;
  }

  private boolean hasAnyMark(Node node) {
    Map<String, String> ann = annotationsOf(node);
    return taintsOf(node).stream().anyMatch(t -> settings.taintKey().equals(t.getKey()))
        || ann.containsKey(statusAnnotation())
        || ann.containsKey(reasonAnnotation())
        || ann.containsKey(timeAnnotation());
  }

  private boolean hasTaint(Node node, String effect) {
    return taintsOf(node).stream()
        .anyMatch(
            t ->
                settings.taintKey().equals(t.getKey())
                    && settings.taintValue().equals(t.getValue())
                    && effect.equals(t.getEffect()));
  }

  private void addTaint(List<Taint> taints, String effect) {
    // a taint is identified by key and effect: replace ours whatever its value
    taints.removeIf(t -> settings.taintKey().equals(t.getKey()) && effect.equals(t.getEffect()));
    taints.add(
        new TaintBuilder()
            .withKey(settings.taintKey())
            .withValue(settings.taintValue())
            .withEffect(effect)
            .build());
  }

  private static List<Taint> taintsOf(Node node) {
    return node.getSpec() == null || node.getSpec().getTaints() == null
        ? List.of()
        : node.getSpec().getTaints();
  }

  private static Map<String, String> annotationsOf(Node node) {
    Map<String, String> a = node.getMetadata().getAnnotations();
    return a == null ? Map.of() : a;
  }

  /** The reason text for a status change: the status and its reasons, bounded in length. */
  static String reasonFor(StatusChange change) {
    String r =
        change.current().name()
            + (change.reasons().isEmpty() ? "" : ": " + String.join("; ", change.reasons()));
    return r.length() <= 1024 ? r : r.substring(0, 1021) + "...";
  }
}
