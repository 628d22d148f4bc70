package dev.vouch.evidence.cima;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who a cgroup path belongs to: a container (perhaps inside a pod), a pod's own cgroup, the host,
 * or nobody recognisable. A closed set: attribution handles each case.
 */
public sealed interface CgroupOwner {

  /** A container scope; {@code podUid} is empty for a container outside Kubernetes. */
  record Container(Optional<String> podUid, String id) implements CgroupOwner {}

  /** A pod's slice without a container scope below it (pod-level processes). */
  record Pod(String uid) implements CgroupOwner {}

  /** A path outside pods and containers ({@code /system.slice/containerd.service}, {@code /}). */
  record Host() implements CgroupOwner {}

  /** A pod or container path whose id is not recognisable, or an entry with no cgroup field. */
  record Unattributed(String reason) implements CgroupOwner {}

  /**
   * Classifies one cgroup path (or an {@code ima-dep-cgn} cgroup name, which is its last
   * component). Pod uids are returned with dashes: the systemd driver writes them with underscores.
   * Never throws.
   */
  static CgroupOwner of(String path) {
    return CgroupPatterns.classify(path);
  }
}

/** The path shapes of the systemd and cgroupfs drivers and the three container runtimes. */
final class CgroupPatterns {
  // systemd driver: kubepods-pod<uid>.slice, kubepods-burstable-pod<uid>.slice, ...besteffort...
  private static final Pattern SYSTEMD_POD =
      Pattern.compile("kubepods(?:-burstable|-besteffort)?-pod(.+)\\.slice");
  // cgroupfs driver: /kubepods/burstable/pod<uid>/<container id>
  private static final Pattern CGROUPFS_POD = Pattern.compile("pod([0-9a-fA-F_-]{32,40})");
  private static final Pattern SCOPE =
      Pattern.compile("(?:cri-containerd|crio|docker)-(.*)\\.scope");
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern UUID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private CgroupPatterns() {}

  static CgroupOwner classify(String path) {
    Optional<String> pod = Optional.empty();
    boolean inKubepods = false;
    boolean podLike = false;
    for (String seg : path.split("/")) {
      if (seg.isEmpty()) {
        continue;
      }
      if (seg.startsWith("kubepods")) {
        inKubepods = true;
      }
      Matcher p = SYSTEMD_POD.matcher(seg);
      Matcher q = CGROUPFS_POD.matcher(seg);
      String rawUid = p.matches() ? p.group(1) : inKubepods && q.matches() ? q.group(1) : null;
      if (rawUid != null) {
        podLike = true;
        String uid = rawUid.replace('_', '-').toLowerCase(java.util.Locale.ROOT);
        if (!UUID.matcher(uid).matches()) {
          return new CgroupOwner.Unattributed("pod id '" + rawUid + "' is not a UUID");
        }
        pod = Optional.of(uid);
        continue;
      }
      Matcher s = SCOPE.matcher(seg);
      if (s.matches()) {
        if (!HEX64.matcher(s.group(1)).matches()) {
          return new CgroupOwner.Unattributed("container scope '" + seg + "' has no 64-hex id");
        }
        return new CgroupOwner.Container(pod, s.group(1));
      }
      if (pod.isPresent() && HEX64.matcher(seg).matches()) {
        return new CgroupOwner.Container(
            pod, seg); // cgroupfs driver: the container id is the directory
      }
    }
    if (pod.isPresent()) {
      return new CgroupOwner.Pod(pod.get());
    }
    if (inKubepods || podLike) {
      return new CgroupOwner.Unattributed("kubepods path without a pod id");
    }
    return new CgroupOwner.Host();
  }
}
