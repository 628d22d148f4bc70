package dev.vouch.evidence.cima;

import java.util.Objects;
import java.util.Optional;

/**
 * Whose measurements a container event log or evidence is about: a container (with its pod when it
 * runs in Kubernetes) or a whole pod.
 *
 * @param pod the pod uid with dashes; empty for a container outside Kubernetes
 * @param container the 64-hex container id; empty when the subject is the pod itself
 */
public record ContainerSubject(Optional<String> pod, Optional<String> container) {
  public ContainerSubject {
    Objects.requireNonNull(pod, "pod");
    Objects.requireNonNull(container, "container");
    if (pod.isEmpty() && container.isEmpty()) {
      throw new IllegalArgumentException("a subject names a pod, a container or both");
    }
  }

  /** True for a pod uid as attribution writes it (lower-case UUID with dashes). */
  public static boolean isPodUid(String s) {
    return s.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  }

  /** True for a container id as attribution writes it (64 lower-case hex digits). */
  public static boolean isContainerId(String s) {
    return s.matches("[0-9a-f]{64}");
  }

  /**
   * The subject a cgroup owner is, or empty for the host and unrecognisable paths (they have no
   * virtual register).
   */
  public static Optional<ContainerSubject> of(CgroupOwner owner) {
    return switch (owner) {
      case CgroupOwner.Container c ->
          Optional.of(new ContainerSubject(c.podUid(), Optional.of(c.id())));
      case CgroupOwner.Pod p ->
          Optional.of(new ContainerSubject(Optional.of(p.uid()), Optional.empty()));
      case CgroupOwner.Host h -> Optional.empty();
      case CgroupOwner.Unattributed u -> Optional.empty();
    };
  }

  /** True when this subject's register folds an entry of {@code owner}. */
  public boolean folds(CgroupOwner owner) {
    return switch (owner) {
      case CgroupOwner.Container c ->
          container.isPresent() ? container.get().equals(c.id()) : pod.equals(c.podUid());
      case CgroupOwner.Pod p -> container.isEmpty() && pod.equals(Optional.of(p.uid()));
      case CgroupOwner.Host h -> false;
      case CgroupOwner.Unattributed u -> false;
    };
  }

  /**
   * True when an entry of {@code owner} may be shown to this subject in full: the subject's own pod
   * (or, outside Kubernetes, its own container), the host, and entries of no cgroup (the boot
   * aggregate and the platform's files). Another pod's entries show only as their template hash.
   */
  public boolean sees(CgroupOwner owner) {
    return switch (owner) {
      case CgroupOwner.Host h -> true;
      case CgroupOwner.Unattributed u -> u.reason().equals(ContainerAttribution.NO_CGROUP_FIELD);
      case CgroupOwner.Pod p -> pod.equals(Optional.of(p.uid()));
      case CgroupOwner.Container c ->
          pod.isPresent() ? pod.equals(c.podUid()) : container.equals(Optional.of(c.id()));
    };
  }

  @Override
  public String toString() {
    return container.map(c -> "container " + c).orElseGet(() -> "pod " + pod.orElseThrow());
  }
}
