package dev.vouch.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The SMBIOS system UUID the agent reports, which binds HOST_UNIQUE flavors to the machine. */
class HardwareUuidFactTest {
  @Test
  void aFirmwareUuidIsReportedInLowerCase() {
    assertThat(HostFacts.hardwareUuid("4C4C4544-0042-3510-8052-B4C04F4D3232"))
        .isEqualTo("4c4c4544-0042-3510-8052-b4c04f4d3232");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "not-a-uuid",
        "1-2-3-4-5",
        "00000000-0000-0000-0000-000000000000",
        "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
        "4c4c4544-0042-3510-8052-b4c04f4d3232-extra"
      })
  void placeholdersAndNonUuidsAreReportedAsUnknown(String text) {
    assertThat(HostFacts.hardwareUuid(text)).isEmpty();
  }
}
