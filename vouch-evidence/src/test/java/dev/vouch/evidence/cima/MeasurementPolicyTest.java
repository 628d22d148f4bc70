package dev.vouch.evidence.cima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.crypto.HashAlg;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MeasurementPolicyTest {
  static MeasurementPolicy parse(String yaml) throws MeasurementPolicy.Invalid {
    return MeasurementPolicy.parse(yaml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theCimaSamplePolicyParses() throws Exception {
    byte[] yaml;
    try (InputStream in =
        MeasurementPolicyTest.class.getResourceAsStream("/vectors/cima/policy.yaml")) {
      yaml = in.readAllBytes();
    }
    MeasurementPolicy p = MeasurementPolicy.parse(yaml);
    assertThat(p.backend()).isEqualTo(MeasurementPolicy.Backend.ima);
    assertThat(p.hashAlgorithm().hashAlg()).isEqualTo(HashAlg.SHA384);
    assertThat(p.measure().system().withParameter()).isTrue();
    assertThat(p.measure().system().processes())
        .containsExactly(
            "/usr/bin/containerd", "/usr/bin/kubelet", "/usr/bin/containerd-shim-runc-v2");
    assertThat(p.measure().container().isolated()).isTrue();
    assertThat(p.measure().kubernetes().pods()).contains("kube-apiserver", "kube-proxy");
    assertThat(p.baseline()).hasSize(48);
  }

  @Test
  void anUnknownKeyIsNamedWithItsLine() {
    assertThatThrownBy(
            () ->
                parse(
                    """
                    backend: ima
                    hashAlgorithm: sha256
                    measure:
                      system:
                        withParameters: true
                    """))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("line 5")
        .hasMessageContaining("withParameters");
  }

  @Test
  void anUnknownTopLevelKeyIsNamed() {
    assertThatThrownBy(() -> parse("backend: ima\nhashAlgorithm: sha256\nmeasures: {}\n"))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("line 3")
        .hasMessageContaining("'measures'");
  }

  @Test
  void anUnknownHashAlgorithmIsNamedWithItsLine() {
    assertThatThrownBy(() -> parse("backend: ima\nhashAlgorithm: md5\n"))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("line 2")
        .hasMessageContaining("hashAlgorithm");
  }

  @Test
  void anotherBackendIsRefused() {
    assertThatThrownBy(() -> parse("backend: tpm\nhashAlgorithm: sha256\n"))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("line 1")
        .hasMessageContaining("backend");
  }

  @Test
  void aWrongTypeIsNamed() {
    assertThatThrownBy(
            () ->
                parse(
                    "backend: ima\nhashAlgorithm: sha256\nmeasure:\n  container:\n    isolated: [1]\n"))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("line 5")
        .hasMessageContaining("measure.container.isolated");
  }

  @Test
  void aDuplicateKeyIsRefused() {
    assertThatThrownBy(() -> parse("backend: ima\nhashAlgorithm: sha256\nbackend: ima\n"))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("line 3")
        .hasMessageContaining("backend");
  }

  @Test
  void missingRequiredKeysAreNamed() {
    assertThatThrownBy(() -> parse("backend: ima\n"))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("hashAlgorithm");
    assertThatThrownBy(() -> parse("hashAlgorithm: sha1\n"))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("backend");
  }

  @Test
  void aRelativeProcessPathIsRefused() {
    assertThatThrownBy(
            () ->
                parse(
                    "backend: ima\nhashAlgorithm: sha1\nmeasure:\n  system:\n    processes: [kubelet]\n"))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("measure.system.processes");
  }
}
