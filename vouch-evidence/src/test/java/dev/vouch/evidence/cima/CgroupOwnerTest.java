package dev.vouch.evidence.cima;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CgroupOwnerTest {
  static final String HEX = "0123456789abcdef".repeat(4);
  static final String UID = "6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b";

  @Test
  void systemdPodSlicesOfEveryQosClassGiveTheUidWithDashes() {
    String u = UID.replace('-', '_');
    for (String path :
        new String[] {
          "/kubepods.slice/kubepods-pod" + u + ".slice",
          "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + u + ".slice",
          "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + u + ".slice"
        }) {
      assertThat(CgroupOwner.of(path)).as(path).isEqualTo(new CgroupOwner.Pod(UID));
      assertThat(CgroupOwner.of(path + "/cri-containerd-" + HEX + ".scope"))
          .isEqualTo(new CgroupOwner.Container(Optional.of(UID), HEX));
    }
  }

  @Test
  void theThreeRuntimesScopesNameContainers() {
    for (String rt : new String[] {"cri-containerd", "crio", "docker"}) {
      assertThat(CgroupOwner.of("/system.slice/" + rt + "-" + HEX + ".scope"))
          .isEqualTo(new CgroupOwner.Container(Optional.empty(), HEX));
    }
  }

  @Test
  void cgroupfsDriverPathsAreRecognisedToo() {
    assertThat(CgroupOwner.of("/kubepods/burstable/pod" + UID + "/" + HEX))
        .isEqualTo(new CgroupOwner.Container(Optional.of(UID), HEX));
  }

  @Test
  void hostPathsAreHost() {
    assertThat(CgroupOwner.of("/system.slice/containerd.service"))
        .isEqualTo(new CgroupOwner.Host());
    assertThat(CgroupOwner.of("/")).isEqualTo(new CgroupOwner.Host());
    assertThat(CgroupOwner.of("/user.slice/user-1000.slice/session-2.scope"))
        .isEqualTo(new CgroupOwner.Host());
  }

  @Test
  void idsThatAreNotIdsAreUnattributed() {
    assertThat(CgroupOwner.of("/kubepods.slice/kubepods-podxyz.slice"))
        .isInstanceOf(CgroupOwner.Unattributed.class);
    assertThat(CgroupOwner.of("/system.slice/crio-" + HEX.substring(1) + ".scope"))
        .isInstanceOf(CgroupOwner.Unattributed.class);
    assertThat(CgroupOwner.of("/system.slice/docker-" + HEX.toUpperCase() + ".scope"))
        .isInstanceOf(CgroupOwner.Unattributed.class);
    assertThat(CgroupOwner.of("/kubepods.slice")).isInstanceOf(CgroupOwner.Unattributed.class);
  }
}
