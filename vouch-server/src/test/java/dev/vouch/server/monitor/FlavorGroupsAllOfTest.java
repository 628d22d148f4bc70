package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorResult;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.HostTrust;
import dev.vouch.policy.flavor.PartTrust;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A host in several flavor groups must satisfy every one of them. */
class FlavorGroupsAllOfTest {
  private static final FlavorGroup GOLD = new FlavorGroup("gold", Map.of());
  private static final FlavorGroup SILVER = new FlavorGroup("silver", Map.of());
  private static final UUID A = UUID.randomUUID();
  private static final UUID B = UUID.randomUUID();

  private static HostTrust trust(HostStatus status, boolean platform, UUID flavor, String detail) {
    return new HostTrust(
        status,
        status == HostStatus.VERIFIED,
        Map.of(FlavorPart.PLATFORM, new PartTrust(FlavorPart.PLATFORM, platform, List.of())),
        List.of(new FlavorResult(flavor, FlavorPart.PLATFORM, platform, List.of())),
        detail);
  }

  @Test
  void oneFailingGroupFailsTheHostAndTheDetailNamesIt() {
    HostTrust merged =
        HostVerifier.allOf(
            List.of(GOLD, SILVER),
            List.of(
                trust(HostStatus.VERIFIED, true, A, "ok"),
                trust(HostStatus.ATTESTATION_FAILED, false, B, "PLATFORM not matched")));
    assertThat(merged.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
    assertThat(merged.overall()).isFalse();
    assertThat(merged.parts().get(FlavorPart.PLATFORM).trusted()).isFalse();
    assertThat(merged.flavors()).extracting(FlavorResult::flavorId).containsExactly(A, B);
    assertThat(merged.detail()).isEqualTo("flavor group silver: PLATFORM not matched");
  }

  @Test
  void secureBootDisabledWinsOverAFlavorFailureAndEveryGroupVerifiedIsVerified() {
    HostTrust sb =
        HostVerifier.allOf(
            List.of(GOLD, SILVER),
            List.of(
                trust(HostStatus.ATTESTATION_FAILED, false, A, "x"),
                trust(HostStatus.SECURE_BOOT_DISABLED, true, B, "SecureBoot Disabled")));
    assertThat(sb.status()).isEqualTo(HostStatus.SECURE_BOOT_DISABLED);
    HostTrust both =
        HostVerifier.allOf(
            List.of(GOLD, SILVER),
            List.of(
                trust(HostStatus.VERIFIED, true, A, "ok"),
                trust(HostStatus.VERIFIED, true, A, "ok")));
    assertThat(both.status()).isEqualTo(HostStatus.VERIFIED);
    assertThat(both.overall()).isTrue();
    // a flavor both groups hold is listed once
    assertThat(both.flavors()).hasSize(1);
  }
}
