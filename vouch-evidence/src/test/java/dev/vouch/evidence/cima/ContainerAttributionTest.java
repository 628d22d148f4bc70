package dev.vouch.evidence.cima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Three containers in two pods plus host entries, in both exports; every register is checked
 * against a fold written here from the writer's own template hashes.
 */
class ContainerAttributionTest {
  static final String POD_A = "0c2a5bd4-4f5e-4bd0-9c6f-3f1e8a2b7c11";
  static final String POD_B = "9d1e7f60-1b2c-4d3e-8f90-a1b2c3d4e5f6";
  static final String C1 = "a1".repeat(32);
  static final String C2 = "b2".repeat(32);
  static final String C3 = "c3".repeat(32);

  static String podA(String scope) {
    return "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
        + POD_A.replace('-', '_')
        + ".slice/"
        + scope;
  }

  static String podB(String scope) {
    return "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
        + POD_B.replace('-', '_')
        + ".slice/"
        + scope;
  }

  /** The list of the acceptance test: boot aggregate, host, three containers, two pods. */
  static CgroupListWriter sample(String jcaAlg) {
    return new CgroupListWriter(jcaAlg)
        .ng("boot_aggregate")
        .cgpath("swapper/0:systemd", "/system.slice/containerd.service", "/usr/bin/containerd")
        .cgpath("containerd-shim:runc", podA("cri-containerd-" + C1 + ".scope"), "/bin/sh")
        .cgpath("conmon:crun", podA("crio-" + C2 + ".scope"), "/usr/bin/python3")
        .cgpath("containerd-shim:runc", podA("cri-containerd-" + C1 + ".scope"), "/app/server")
        .cgpath("dockerd:runc", podB("docker-" + C3 + ".scope"), "/usr/sbin/nginx")
        .cgpath("swapper/0:systemd", "/", "/usr/lib/systemd/systemd")
        .violation("conmon:crun", podA("crio-" + C2 + ".scope"), "/tmp/open-writer")
        .cgpath("dockerd:runc", podB("docker-" + C3 + ".scope"), "/etc/nginx/nginx.conf");
  }

  /** The independent fold: R = H(R || th), violations extend all-ones, from {@code start}. */
  static String fold(
      String jcaAlg, byte[] start, List<CgroupListWriter.Written> w, Predicate<String> owns)
      throws Exception {
    MessageDigest md = MessageDigest.getInstance(jcaAlg);
    byte[] r = start.clone();
    for (CgroupListWriter.Written e : w) {
      if (e.cgroup() == null || !owns.test(e.cgroup())) {
        continue;
      }
      byte[] d = e.templateHash().clone();
      if (Arrays.equals(d, new byte[d.length])) {
        Arrays.fill(d, (byte) 0xff);
      }
      md.update(r);
      md.update(d);
      r = md.digest();
    }
    return Hex.encode(r);
  }

  @ParameterizedTest
  @ValueSource(strings = {"binary", "ascii"})
  void attributesThreeContainersInTwoPodsAndFoldsTheirRegisters(String form) throws Exception {
    CgroupListWriter w = sample("SHA-256");
    ImaLog log = ImaLog.parse(form.equals("binary") ? w.binary() : w.ascii());
    ContainerAttribution.Result r = ContainerAttribution.measure(log, Optional.empty());

    assertThat(r.hashAlgorithm().shortName()).isEqualTo("sha256");
    assertThat(r.cgroupAware()).isTrue();
    assertThat(r.hostEntries()).isEqualTo(2);
    assertThat(r.unattributed()).isEqualTo(1); // the ima-ng boot aggregate has no cgroup field
    assertThat(r.pods()).containsOnlyKeys(POD_A, POD_B);
    assertThat(r.containers()).containsOnlyKeys(C1, C2, C3);
    assertThat(r.pods().get(POD_A).containers()).containsExactly(C1, C2);
    assertThat(r.pods().get(POD_B).containers()).containsExactly(C3);
    assertThat(r.pods().get(POD_A).entries()).hasSize(4);
    assertThat(r.pods().get(POD_B).entries()).hasSize(2);
    assertThat(r.containers().get(C1).entries()).containsExactly(2, 4);
    assertThat(r.containers().get(C2).pod()).contains(POD_A);
    assertThat(r.containers().get(C3).pod()).contains(POD_B);

    byte[] zero = new byte[32];
    List<CgroupListWriter.Written> ws = w.written();
    assertThat(Hex.encode(r.containers().get(C1).register()))
        .isEqualTo(fold("SHA-256", zero, ws, cg -> cg.contains(C1)));
    assertThat(Hex.encode(r.containers().get(C2).register()))
        .isEqualTo(fold("SHA-256", zero, ws, cg -> cg.contains(C2)));
    assertThat(Hex.encode(r.containers().get(C3).register()))
        .isEqualTo(fold("SHA-256", zero, ws, cg -> cg.contains(C3)));
    assertThat(Hex.encode(r.pods().get(POD_A).register()))
        .isEqualTo(fold("SHA-256", zero, ws, cg -> cg.contains(POD_A.replace('-', '_'))));
    assertThat(Hex.encode(r.pods().get(POD_B).register()))
        .isEqualTo(fold("SHA-256", zero, ws, cg -> cg.contains(POD_B.replace('-', '_'))));
  }

  @Test
  void aSha1ListFoldsSha1Registers() throws Exception {
    CgroupListWriter w = sample("SHA-1");
    ContainerAttribution.Result r =
        ContainerAttribution.measure(ImaLog.parse(w.binary()), Optional.empty());
    assertThat(r.hashAlgorithm().shortName()).isEqualTo("sha1");
    assertThat(Hex.encode(r.containers().get(C3).register()))
        .isEqualTo(fold("SHA-1", new byte[20], w.written(), cg -> cg.contains(C3)));
  }

  @Test
  void registersStartFromThePolicysSystemBaseline() throws Exception {
    String yaml =
        """
        backend: ima
        hashAlgorithm: sha256
        measure:
          system:
            withParameter: true
            processes:
              - /usr/bin/containerd
              - /usr/bin/kubelet --config=/var/lib/kubelet/config.yaml
        """;
    MeasurementPolicy p = MeasurementPolicy.parse(yaml.getBytes(StandardCharsets.UTF_8));
    // independent baseline: zero, then H(containerd), then H(kubelet \0 args)
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] base = new byte[32];
    for (String m :
        new String[] {
          "/usr/bin/containerd", "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml"
        }) {
      md.update(base);
      md.update(MessageDigest.getInstance("SHA-256").digest(m.getBytes(StandardCharsets.UTF_8)));
      base = md.digest();
    }
    assertThat(Hex.encode(p.baseline())).isEqualTo(Hex.encode(base));

    CgroupListWriter w = sample("SHA-256");
    ContainerAttribution.Result r =
        ContainerAttribution.measure(ImaLog.parse(w.binary()), Optional.of(p));
    assertThat(Hex.encode(r.containers().get(C1).register()))
        .isEqualTo(fold("SHA-256", base, w.written(), cg -> cg.contains(C1)));
  }

  @Test
  void withoutParameterAProcessIsMeasuredByItsPathAlone() throws Exception {
    MeasurementPolicy p =
        MeasurementPolicy.parse(
            """
            backend: ima
            hashAlgorithm: sha256
            measure:
              system:
                withParameter: false
                processes: ["/usr/bin/kubelet --v=2"]
            """
                .getBytes(StandardCharsets.UTF_8));
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    md.update(new byte[32]);
    md.update(
        MessageDigest.getInstance("SHA-256")
            .digest("/usr/bin/kubelet".getBytes(StandardCharsets.UTF_8)));
    assertThat(p.baseline()).isEqualTo(md.digest());
  }

  @Test
  void aPolicyOfAnotherAlgorithmThanTheListIsRefused() throws Exception {
    MeasurementPolicy p =
        MeasurementPolicy.parse(
            "backend: ima\nhashAlgorithm: sha384\n".getBytes(StandardCharsets.UTF_8));
    ImaLog log = ImaLog.parse(sample("SHA-256").binary());
    assertThatThrownBy(() -> ContainerAttribution.measure(log, Optional.of(p)))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("sha384")
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void depCgnEntriesAttributeToContainersWithoutAPod() throws Exception {
    CgroupListWriter w =
        new CgroupListWriter("SHA-256")
            .depCgn("containerd-shim:runc", "cri-containerd-" + C1 + ".scope", "/bin/sh")
            .depCgn("swapper/0:systemd", "containerd.service", "/usr/bin/containerd");
    ContainerAttribution.Result r =
        ContainerAttribution.measure(ImaLog.parse(w.ascii()), Optional.empty());
    assertThat(r.containers()).containsOnlyKeys(C1);
    assertThat(r.containers().get(C1).pod()).isEmpty();
    assertThat(r.pods()).isEmpty();
    assertThat(r.hostEntries()).isEqualTo(1);
    assertThat(Hex.encode(r.containers().get(C1).register()))
        .isEqualTo(fold("SHA-256", new byte[32], w.written(), cg -> cg.contains(C1)));
  }

  @Test
  void podAndContainerPathsWithoutARecognisableIdAreUnattributed() throws Exception {
    CgroupListWriter w =
        new CgroupListWriter("SHA-256")
            .cgpath(
                "x",
                "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podnotauid.slice",
                "/a")
            .cgpath("x", podA("cri-containerd-deadbeef.scope"), "/b")
            .cgpath("x", "/kubepods.slice/kubepods-besteffort.slice", "/c")
            .cgpath("x", "/system.slice/docker-" + C2 + ".scope", "/d");
    ContainerAttribution.Result r =
        ContainerAttribution.measure(ImaLog.parse(w.binary()), Optional.empty());
    assertThat(r.unattributed()).isEqualTo(3);
    assertThat(r.pods()).isEmpty();
    // a docker container outside Kubernetes is a container without a pod
    assertThat(r.containers()).containsOnlyKeys(C2);
    assertThat(r.containers().get(C2).pod()).isEmpty();
  }

  @Test
  void aListWithoutCgroupFieldsSaysSo() throws Exception {
    ContainerAttribution.Result r =
        ContainerAttribution.measure(
            ImaLog.parse(new CgroupListWriter("SHA-1").ng("boot_aggregate").ng("/bin/ls").binary()),
            Optional.empty());
    assertThat(r.cgroupAware()).isFalse();
    assertThat(r.unattributed()).isEqualTo(2);
    assertThat(r.containers()).isEmpty();
  }

  @Test
  void aTruncatedListFailsAsTruncatedNotACrash() {
    byte[] bin = sample("SHA-256").binary();
    byte[] cut = Arrays.copyOf(bin, bin.length - 7);
    assertThatThrownBy(() -> ImaLog.parse(cut))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.TRUNCATED);
  }

  @Test
  void aFlippedCgroupPathBitIsATemplateHashMismatch() {
    byte[] bin = sample("SHA-256").binary();
    String s = new String(bin, StandardCharsets.ISO_8859_1);
    int at = s.indexOf("kubepods-besteffort-pod");
    bin[at] ^= 0x01;
    assertThatThrownBy(() -> ImaLog.parse(bin))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.TEMPLATE_HASH_MISMATCH);
  }
}
