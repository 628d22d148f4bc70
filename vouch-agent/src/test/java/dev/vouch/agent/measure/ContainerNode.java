package dev.vouch.agent.measure;

import dev.vouch.agent.tpm.Handles;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TransientKey;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.cima.MeasurementPolicy;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A simulated Kubernetes node for container measurement tests (shared with the server's and the
 * CLI's tests through the test-jar): a fresh swtpm whose PCR 10 holds the extension of an {@code
 * ima-cgpath} list of three containers in two pods plus host entries, an AK, and a measurement
 * service over that list with an isolating policy.
 */
public final class ContainerNode implements AutoCloseable {
  public static final String POD_A = "0c2a5bd4-4f5e-4bd0-9c6f-3f1e8a2b7c11";
  public static final String POD_B = "9d1e7f60-1b2c-4d3e-8f90-a1b2c3d4e5f6";
  public static final String C1 = "a1".repeat(32);
  public static final String C2 = "b2".repeat(32);
  public static final String C3 = "c3".repeat(32);
  public static final String BAD_POD_PATH =
      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podnot_a_uid.slice";
  public static final String C1_PATH = podA("cri-containerd-" + C1 + ".scope");
  public static final String C2_PATH = podA("crio-" + C2 + ".scope");
  public static final String C3_PATH = podB("docker-" + C3 + ".scope");
  public static final String POLICY =
      """
      backend: ima
      hashAlgorithm: sha256
      measure:
        system:
          withParameter: true
          processes: [/usr/bin/containerd, /usr/bin/kubelet --config=/var/lib/kubelet/config.yaml]
        container:
          isolated: true
      """;

  public final Swtpm swtpm;
  public final TpmClient tpm;
  public final TransientKey ak;
  public final Path list;
  public final MeasurementService service;
  private final TransientKey srk;

  private ContainerNode(
      Swtpm swtpm,
      TpmClient tpm,
      TransientKey srk,
      TransientKey ak,
      Path list,
      MeasurementService s) {
    this.swtpm = swtpm;
    this.tpm = tpm;
    this.srk = srk;
    this.ak = ak;
    this.list = list;
    this.service = s;
  }

  public static String podA(String scope) {
    return "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
        + POD_A.replace('-', '_')
        + ".slice/"
        + scope;
  }

  public static String podB(String scope) {
    return "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod"
        + POD_B.replace('-', '_')
        + ".slice/"
        + scope;
  }

  public static byte[] file(String s) {
    return HashAlg.SHA256.digest(s.getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] writeList() {
    return new ImaListWriter(HashAlg.SHA256, false)
        .ng(10, "sha256", file("aggregate"), "boot_aggregate")
        .cgpath(
            10,
            "systemd",
            "/system.slice/containerd.service",
            "sha256",
            file("c"),
            "/usr/bin/containerd")
        .cgpath(10, "shim:runc", C1_PATH, "sha256", file("sh"), "/bin/sh")
        .cgpath(10, "conmon:crun", C2_PATH, "sha256", file("py"), "/usr/bin/python3")
        .cgpath(10, "dockerd:runc", C3_PATH, "sha256", file("ng"), "/usr/sbin/nginx")
        .cgpath(10, "shim:runc", C1_PATH, "sha256", file("app"), "/app")
        .cgpath(
            10, "shim:runc", BAD_POD_PATH + "/cri-containerd-zz.scope", "sha256", file("x"), "/x")
        .cgpath(10, "dockerd:runc", C3_PATH, "sha256", file("lib"), "/usr/lib/libssl.so")
        .cgpath(10, "systemd", "/", "sha256", file("sd"), "/usr/lib/systemd/systemd")
        .binary();
  }

  public static MeasurementPolicy policy() throws MeasurementPolicy.Invalid {
    return MeasurementPolicy.parse(POLICY.getBytes(StandardCharsets.UTF_8));
  }

  /** Starts the swtpm, writes the list to {@code dir} and extends PCR 10 as the kernel does. */
  public static ContainerNode start(Path dir) throws Exception {
    Swtpm swtpm = Swtpm.start();
    TpmClient tpm = swtpm.client();
    byte[] bytes = writeList();
    Path list = dir.resolve("binary_runtime_measurements");
    Files.write(list, bytes);
    // the kernel extends the SHA-256 bank with the SHA-256 template hash of each entry
    for (ImaEntry e : ImaLog.parse(bytes).entries()) {
      tpm.pcrExtend(e.pcr(), Map.of(HashAlg.SHA256, e.templateHash()));
    }
    TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256());
    TransientKey ak = tpm.createAndLoad(srk, KeyTemplate.akEccP256());
    MeasurementService s = new MeasurementService(list, Optional.of(policy()), tpm, ak);
    return new ContainerNode(swtpm, tpm, srk, ak, list, s);
  }

  /** Container {@code id}'s evidence over {@code nonce}, as a node process asks for it. */
  public byte[] evidence(String container, String nonceHex) {
    MeasurementService.Reply r =
        service.handle(
            new MeasurementService.Request(
                "/v1/evidence", Map.of("container", container, "nonce", nonceHex), ""),
            new MeasurementService.Caller.Node());
    if (r.status() != 200) {
      throw new IllegalStateException(new String(r.body(), StandardCharsets.UTF_8));
    }
    return r.body();
  }

  @Override
  public void close() throws Exception {
    try {
      ak.close();
      srk.close();
      tpm.close();
    } finally {
      swtpm.close();
    }
  }
}
