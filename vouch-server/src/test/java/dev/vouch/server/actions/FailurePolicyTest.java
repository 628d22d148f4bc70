package dev.vouch.server.actions;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.server.actions.FailurePolicy.Cordon;
import dev.vouch.server.actions.FailurePolicy.Evict;
import dev.vouch.server.actions.FailurePolicy.Label;
import dev.vouch.server.actions.FailurePolicy.Publish;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FailurePolicyTest {
  static StatusChange change(HostStatus from, HostStatus to, String... reasons) {
    return new StatusChange("h", from, to, List.of(reasons), Optional.empty(), Instant.EPOCH);
  }

  @Test
  void aVerifiedHostThatFailsIsPublishedCordonedAndEvictedWhenConfigured() {
    assertThat(
            new FailurePolicy(true)
                .decide(
                    change(HostStatus.VERIFIED, HostStatus.ATTESTATION_FAILED, "pcr 10", "ima")))
        .containsExactly(
            untrusted(), new Publish(), new Cordon("ATTESTATION_FAILED: pcr 10; ima"), new Evict());
    assertThat(
            new FailurePolicy(false)
                .decide(change(HostStatus.VERIFIED, HostStatus.SECURE_BOOT_DISABLED)))
        .containsExactly(untrusted(), new Publish(), new Cordon("SECURE_BOOT_DISABLED"));
  }

  @ParameterizedTest
  @EnumSource(HostStatus.class)
  void anImaRestartIsOnlyPublishedWhateverTheStatusAndCarriesItsReason(HostStatus status) {
    StatusChange restart =
        StatusChange.imaRestart(
            "h",
            status,
            "reboot: reset/restart count 2/0, the checkpoint's 1/0",
            Optional.empty(),
            Instant.EPOCH);
    assertThat(new FailurePolicy(true).decide(restart)).containsExactly(new Publish());
    assertThat(restart.event()).isEqualTo(StatusChange.IMA_RESTART_EVENT);
    assertThat(new String(restart.toJson(), java.nio.charset.StandardCharsets.UTF_8))
        .contains("\"event\":\"ima-restart\"")
        .contains(
            "\"ima_restart\":{\"reason\":\"reboot: reset/restart count 2/0, the checkpoint's"
                + " 1/0\"}");
  }

  @Test
  void aRepeatedFailurePublishesAndReassertsTheCordonButDoesNotEvictAgain() {
    assertThat(
            new FailurePolicy(true)
                .decide(change(HostStatus.ATTESTATION_FAILED, HostStatus.SECURE_BOOT_DISABLED)))
        .containsExactly(untrusted(), new Publish(), new Cordon("SECURE_BOOT_DISABLED"));
    assertThat(
            new FailurePolicy(true)
                .decide(change(HostStatus.ATTESTATION_FAILED, HostStatus.ATTESTATION_FAILED)))
        .containsExactly(untrusted(), new Publish(), new Cordon("ATTESTATION_FAILED"));
  }

  static Label untrusted() {
    return new Label(NodeTrust.UNTRUSTED);
  }

  @ParameterizedTest
  @EnumSource(
      value = HostStatus.class,
      names = {"ATTESTATION_FAILED", "SECURE_BOOT_DISABLED", "UNKNOWN"})
  void aRecoveryWithASignedReportAsksForTheVerifiedLabelAndNeverUncordons(HostStatus from) {
    StatusChange withReport =
        new StatusChange(
            "h", from, HostStatus.VERIFIED, List.of(), Optional.of("report-1"), Instant.EPOCH);
    assertThat(new FailurePolicy(true).decide(withReport))
        .containsExactly(new Label(NodeTrust.VERIFIED), new Publish());
  }

  @Test
  void aVerifiedStatusWithoutATrustReportNeverAsksForTheVerifiedLabel() {
    assertThat(new FailurePolicy(true).decide(change(HostStatus.UNKNOWN, HostStatus.VERIFIED)))
        .containsExactly(new Publish());
  }

  @Test
  void anUnchangedHealthyStatusDoesNothing() {
    assertThat(new FailurePolicy(true).decide(change(HostStatus.VERIFIED, HostStatus.VERIFIED)))
        .isEmpty();
    assertThat(new FailurePolicy(true).decide(change(HostStatus.UNKNOWN, HostStatus.UNKNOWN)))
        .isEmpty();
  }

  @Test
  void anUnreachableHostLosesTheVerifiedLabelAndIsPublishedButNotCordoned() {
    assertThat(new FailurePolicy(true).decide(change(HostStatus.VERIFIED, HostStatus.UNKNOWN)))
        .containsExactly(new Label(NodeTrust.UNKNOWN), new Publish());
  }

  @Test
  void aVeryLongReasonIsBoundedForTheAnnotation() {
    String longReason = "x".repeat(5000);
    Cordon c =
        (Cordon)
            new FailurePolicy(false)
                .decide(change(HostStatus.VERIFIED, HostStatus.ATTESTATION_FAILED, longReason))
                .get(2);
    assertThat(c.reason()).hasSize(1024).endsWith("...");
  }
}
