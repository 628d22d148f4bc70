package dev.vouch.evidence.cima;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaTemplate;
import dev.vouch.evidence.tpm.ima.ImaTemplateField;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Attributes the entries of an IMA list to Kubernetes pods and containers by the cgroup field of
 * the {@code ima-cgpath} ({@code dep|cg-path|d-ng|n-ng}) and {@code ima-dep-cgn} ({@code
 * dep|cgn|d-ng|n-ng}) templates (or any custom template with one of those fields), and folds one
 * virtual register per pod and per container: {@code R = H(R || template hash)} in log order, from
 * the policy's baseline (zero without a policy). A pod's register folds the entries of all its
 * containers and its own; a container's only its own. A violation entry (all-zero template hash)
 * extends all {@code 0xff} bytes, as the kernel extends the PCR, so the virtual register follows
 * the same rule a verifier uses for the real one.
 */
public final class ContainerAttribution {
  private ContainerAttribution() {}

  /** The reason of an entry whose template has no cgroup field (the boot aggregate, ima-ng). */
  public static final String NO_CGROUP_FIELD = "template has no cgroup field";

  /** A pod: its entries, its containers (first seen first) and its register. */
  public record PodMeasurement(
      String uid, List<Integer> entries, List<String> containers, byte[] register) {
    public PodMeasurement {
      entries = List.copyOf(entries);
      containers = List.copyOf(containers);
      register = register.clone();
    }

    @Override
    public byte[] register() {
      return register.clone();
    }
  }

  /** A container: its pod (empty outside Kubernetes), its entries and its register. */
  public record ContainerMeasurement(
      String id, Optional<String> pod, List<Integer> entries, byte[] register) {
    public ContainerMeasurement {
      entries = List.copyOf(entries);
      register = register.clone();
    }

    @Override
    public byte[] register() {
      return register.clone();
    }
  }

  /**
   * The attribution of a whole list.
   *
   * @param hashAlgorithm the registers' algorithm
   * @param pods by pod uid (with dashes), sorted
   * @param containers by 64-hex container id, sorted
   * @param hostEntries entries whose cgroup is outside pods and containers
   * @param unattributed entries without a cgroup field, or with a pod/container path whose id is
   *     not recognisable
   * @param cgroupAware false when no entry carried a cgroup field (the kernel's template has none):
   *     only node-level measurements exist
   * @param entryOwners the owner of each entry, by 0-based entry index, so a verifier can replay
   */
  public record Result(
      HashAlg hashAlgorithm,
      Map<String, PodMeasurement> pods,
      Map<String, ContainerMeasurement> containers,
      int hostEntries,
      int unattributed,
      boolean cgroupAware,
      List<CgroupOwner> entryOwners) {
    public Result {
      pods = java.util.Collections.unmodifiableMap(new TreeMap<>(pods));
      containers = java.util.Collections.unmodifiableMap(new TreeMap<>(containers));
      entryOwners = List.copyOf(entryOwners);
    }
  }

  /**
   * Attributes {@code log}. Without a policy the registers use the list's template hash algorithm
   * and start from zero; with one they start from its {@link MeasurementPolicy#baseline()}.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when a cgroup field is not a
   *     NUL-terminated string or the template data does not hold its fields; {@link
   *     Failure#UNSUPPORTED} when the policy's hashAlgorithm is not the list's template hash
   *     algorithm (its registers could not be fed by these template hashes)
   */
  public static Result measure(ImaLog log, Optional<MeasurementPolicy> policy)
      throws VerificationException {
    HashAlg alg = log.templateHashAlg();
    byte[] start = new byte[alg.size()];
    if (policy.isPresent()) {
      HashAlg want = policy.get().hashAlgorithm().hashAlg();
      if (want != alg) {
        throw new VerificationException(
            Failure.UNSUPPORTED,
            "policy hashAlgorithm "
                + want.shortName()
                + " does not match the list's template hash "
                + alg.shortName());
      }
      start = policy.get().baseline();
    }
    byte[] violation = new byte[alg.size()];
    Arrays.fill(violation, (byte) 0xff);

    Map<String, VirtualRegister> podRegs = new LinkedHashMap<>();
    Map<String, List<Integer>> podEntries = new LinkedHashMap<>();
    Map<String, List<String>> podContainers = new LinkedHashMap<>();
    Map<String, VirtualRegister> ctrRegs = new LinkedHashMap<>();
    Map<String, List<Integer>> ctrEntries = new LinkedHashMap<>();
    Map<String, Optional<String>> ctrPod = new LinkedHashMap<>();
    List<CgroupOwner> owners = new ArrayList<>(log.size());
    int host = 0;
    int unattributed = 0;
    boolean aware = false;
    int index = 0;
    for (ImaEntry e : log.entries()) {
      Optional<String> cg = cgroupField(e, index);
      aware |= cg.isPresent();
      CgroupOwner owner =
          cg.map(CgroupOwner::of).orElseGet(() -> new CgroupOwner.Unattributed(NO_CGROUP_FIELD));
      owners.add(owner);
      byte[] digest = e.violation() ? violation : e.templateHash();
      final int i = index;
      final byte[] s = start;
      switch (owner) {
        case CgroupOwner.Host h -> host++;
        case CgroupOwner.Unattributed u -> unattributed++;
        case CgroupOwner.Pod p -> {
          podRegs.computeIfAbsent(p.uid(), k -> new VirtualRegister(alg, s)).extend(digest);
          podEntries.computeIfAbsent(p.uid(), k -> new ArrayList<>()).add(i);
          podContainers.computeIfAbsent(p.uid(), k -> new ArrayList<>());
        }
        case CgroupOwner.Container c -> {
          ctrRegs.computeIfAbsent(c.id(), k -> new VirtualRegister(alg, s)).extend(digest);
          ctrEntries.computeIfAbsent(c.id(), k -> new ArrayList<>()).add(i);
          // a container's pod is the first one a path names for it (ima-dep-cgn names none)
          Optional<String> known = ctrPod.getOrDefault(c.id(), Optional.empty());
          ctrPod.put(c.id(), known.isPresent() ? known : c.podUid());
          if (c.podUid().isPresent()) {
            String uid = c.podUid().get();
            podRegs.computeIfAbsent(uid, k -> new VirtualRegister(alg, s)).extend(digest);
            podEntries.computeIfAbsent(uid, k -> new ArrayList<>()).add(i);
            List<String> cs = podContainers.computeIfAbsent(uid, k -> new ArrayList<>());
            if (!cs.contains(c.id())) {
              cs.add(c.id());
            }
          }
        }
      }
      index++;
    }
    Map<String, PodMeasurement> pods = new LinkedHashMap<>();
    podRegs.forEach(
        (uid, r) ->
            pods.put(
                uid,
                new PodMeasurement(uid, podEntries.get(uid), podContainers.get(uid), r.value())));
    Map<String, ContainerMeasurement> ctrs = new LinkedHashMap<>();
    ctrRegs.forEach(
        (id, r) ->
            ctrs.put(
                id, new ContainerMeasurement(id, ctrPod.get(id), ctrEntries.get(id), r.value())));
    return new Result(alg, pods, ctrs, host, unattributed, aware, owners);
  }

  /**
   * The {@code cg-path} or {@code cgn} field of an entry, without its NUL; empty for templates
   * without one.
   */
  static Optional<String> cgroupField(ImaEntry e, int index) throws VerificationException {
    Optional<ImaTemplate> t = ImaTemplate.forName(e.templateName());
    if (t.isEmpty() || t.get().isLegacyIma()) {
      return Optional.empty();
    }
    List<ImaTemplateField> fields = t.get().fields();
    if (!fields.contains(ImaTemplateField.CG_PATH) && !fields.contains(ImaTemplateField.CGN)) {
      return Optional.empty();
    }
    ByteReader r = ByteReader.littleEndian(e.templateData());
    for (ImaTemplateField f : fields) {
      byte[] v = r.bytes(r.length32("template field " + f.id()));
      if (f == ImaTemplateField.CG_PATH || f == ImaTemplateField.CGN) {
        int n = v.length;
        if (n == 0 || v[n - 1] != 0) {
          throw new VerificationException(
              Failure.MALFORMED,
              "entry " + (index + 1) + ": " + f.id() + " field is not NUL-terminated");
        }
        return Optional.of(new String(v, 0, n - 1, StandardCharsets.UTF_8));
      }
    }
    return Optional.empty();
  }
}
