package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.CrtmVersionEvent;
import dev.vouch.evidence.tpm.eventlog.EfiVariableEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReportJson;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Host facts from the verified firmware event log of real Google Compute Engine evidence (COS 85):
 * the S-CRTM version replaces the agent's firmware version and the report marks it measured; an
 * entry whose data no longer hashes to its digests, or a PCR 0 the quote does not hold, leaves the
 * agent's fact, marked reported.
 */
class MeasuredFactsTest {
  static TcgEventLog log;
  static byte[] logBytes;
  static HostEvidence evidence;
  static final HostFacts REPORTED =
      new HostFacts(
          "gce-cos-85", "", "Container-Optimized OS", "85", "Google", "agent says 1.0", "2.0");

  @BeforeAll
  static void verifyTheRealEvidence() throws Exception {
    GceVector gce = GceVector.verified();
    logBytes = gce.rawLog();
    log = gce.log();
    evidence = HostEvidence.fromVerified(gce.claims(), Optional.of(log), REPORTED);
  }

  private static String crtmVersion() {
    return log.events().stream()
        .filter(CrtmVersionEvent.class::isInstance)
        .map(e -> ((CrtmVersionEvent) e).version().orElseThrow())
        .findFirst()
        .orElseThrow()
        .strip();
  }

  @Test
  void theFirmwareVersionOfTheGceLogIsMeasuredAndReportedAsSuch() throws Exception {
    MeasuredFacts m = MeasuredFacts.from(log, evidence.pcrs());
    assertThat(m.firmwareVersion()).contains(crtmVersion());
    HostFacts facts = m.applyTo(REPORTED);
    assertThat(facts.biosVersion()).isEqualTo(crtmVersion()).isNotEqualTo("agent says 1.0");
    Map<String, String> sources = m.sources(facts);
    assertThat(sources)
        .containsEntry("bios_version", MeasuredFacts.MEASURED)
        .containsEntry("os_name", MeasuredFacts.REPORTED)
        .containsEntry("bios_name", MeasuredFacts.REPORTED)
        .doesNotContainKey("hardware_uuid");

    HostTrust trust = new HostTrust(HostStatus.VERIFIED, true, Map.of(), List.of(), "verified");
    Instant now = Instant.parse("2026-12-01T00:00:00Z");
    HostEvidence measured =
        new HostEvidence(
            facts,
            evidence.pcrs(),
            evidence.events(),
            evidence.eventLogVerified(),
            evidence.secureBoot(),
            evidence.resetCount(),
            evidence.ima());
    TrustReport r =
        TrustReport.of(
            UUID.randomUUID(), "gce-cos-85", measured, trust, now, Duration.ofDays(1), sources);
    JsonNode info = TrustReportJson.write(r).path("host_info");
    assertThat(info.path("bios_version").asText()).isEqualTo(crtmVersion());
    assertThat(info.path("fact_sources").path("bios_version").asText()).isEqualTo("measured");
    assertThat(info.path("fact_sources").path("os_name").asText()).isEqualTo("reported");
    assertThat(TrustReportJson.read(TrustReportJson.write(r)).factSources()).isEqualTo(sources);
  }

  @Test
  void aCrtmEntryWhoseDataNoLongerHashesToItsDigestsIsNotMeasured() throws Exception {
    TcgEvent crtm =
        log.events().stream().filter(CrtmVersionEvent.class::isInstance).findFirst().orElseThrow();
    byte[] edited = logBytes.clone();
    // one byte of the version string changed in place: replay still reaches the quote (the
    // digests are untouched) but the data is no longer what was measured
    int at = indexOf(logBytes, crtm.data(), crtm.header().offset());
    assertThat(at).isPositive();
    edited[at] ^= 0x01;
    TcgEventLog forged = TcgEventLog.parse(edited);
    assertThat(forged.replay()).isEqualTo(log.replay());
    MeasuredFacts m = MeasuredFacts.from(forged, evidence.pcrs());
    assertThat(m.firmwareVersion()).isEmpty();
    assertThat(m.applyTo(REPORTED).biosVersion()).isEqualTo("agent says 1.0");
    assertThat(m.sources(REPORTED)).containsEntry("bios_version", MeasuredFacts.REPORTED);
  }

  private static int indexOf(byte[] in, byte[] what, int from) {
    for (int i = from; i + what.length <= in.length; i++) {
      if (java.util.Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void aCrtmEntryOfAPcrTheQuoteDoesNotHoldIsNotMeasured() {
    PcrValues.Builder b = PcrValues.builder();
    for (var bank : evidence.pcrs().banks()) {
      for (int i = 1; i < 24; i++) {
        int pcr = i;
        evidence.pcrs().get(bank, pcr).ifPresent(v -> b.put(bank, pcr, v));
      }
    }
    assertThat(MeasuredFacts.from(log, b.build()).firmwareVersion()).isEmpty();
  }

  @Test
  void anEkIdentityIsMarkedAsComingFromTheEkCertificate() {
    HostFacts f = new HostFacts("h", MeasuredFacts.EK_PREFIX + "00ff", "", "", "", "", "2.0");
    assertThat(MeasuredFacts.none().sources(f))
        .containsExactly(Map.entry("hardware_uuid", MeasuredFacts.EK_CERTIFICATE));
  }

  /** A quote of every register {@code log} extends, leaving out {@code without}. */
  private static PcrValues quoteOf(TcgEventLog log, int... without) {
    PcrValues all = log.replay();
    PcrValues.Builder b = PcrValues.builder();
    java.util.Set<Integer> left = new java.util.HashSet<>();
    for (int w : without) {
      left.add(w);
    }
    for (var bank : all.banks()) {
      for (int i = 0; i < 24; i++) {
        int pcr = i;
        if (!left.contains(pcr)) {
          all.get(bank, pcr).ifPresent(v -> b.put(bank, pcr, v));
        }
      }
    }
    return b.build();
  }

  /** A VERIFIED report of a host with {@code facts}, as the server signs it. */
  private static TrustReport reportOf(
      String host, HostFacts facts, PcrValues quote, Map<String, String> sources) {
    HostEvidence e =
        new HostEvidence(
            facts,
            quote,
            Map.of(),
            true,
            Optional.of(true),
            java.util.OptionalLong.empty(),
            Optional.empty());
    return TrustReport.of(
        UUID.randomUUID(),
        host,
        e,
        new HostTrust(HostStatus.VERIFIED, true, Map.of(), List.of(), "verified"),
        Instant.parse("2026-12-01T00:00:00Z"),
        Duration.ofDays(1),
        sources);
  }

  @Test
  void theLuksCommandLineOfTheKeylimeLogIsMeasuredAndReplacesTheAgentsClaim() throws Exception {
    TcgEventLog luks =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements"));
    HostFacts agent =
        new HostFacts("fedora", "", "Fedora", "41", "", "", "2.0", "rd.luks.uuid=agent-says");
    MeasuredFacts m = MeasuredFacts.from(luks, quoteOf(luks, -1));
    assertThat(m.diskEncryption())
        .contains("rd.luks.uuid=luks-d53e2fe9-cc84-4bad-b410-16d3a07d6071");
    HostFacts facts = m.applyTo(agent);
    assertThat(facts.diskEncryption()).isEqualTo(m.diskEncryption().get());
    assertThat(m.sources(facts)).containsEntry("disk_encryption", MeasuredFacts.MEASURED);

    TrustReport r = reportOf("fedora", facts, quoteOf(luks, -1), m.sources(facts));
    JsonNode info = TrustReportJson.write(r).path("host_info");
    assertThat(info.path("disk_encryption").asText()).isEqualTo(m.diskEncryption().get());
    assertThat(info.path("fact_sources").path("disk_encryption").asText()).isEqualTo("measured");
    assertThat(TrustReportJson.read(TrustReportJson.write(r)).host()).isEqualTo(facts);
  }

  @Test
  void aMeasuredCommandLineWithoutEncryptionOverridesTheAgentsClaim() throws Exception {
    TcgEventLog plain =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements-secureboot"));
    MeasuredFacts m = MeasuredFacts.from(plain, quoteOf(plain, -1));
    assertThat(m.kernelCommandLine()).isPresent();
    assertThat(m.diskEncryption()).isEmpty();
    HostFacts agent = new HostFacts("rhel", "", "", "", "", "", "2.0", "rd.luks.uuid=lie");
    // the measured line says no encrypted root: the agent's word does not stand beside it
    assertThat(m.applyTo(agent).diskEncryption()).isEmpty();
    assertThat(m.sources(m.applyTo(agent))).doesNotContainKey("disk_encryption");
  }

  @Test
  void withoutPcr8InTheQuoteTheAgentsClaimIsOnlyReported() throws Exception {
    TcgEventLog luks =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements"));
    MeasuredFacts m = MeasuredFacts.from(luks, quoteOf(luks, 8));
    assertThat(m.kernelCommandLine()).isEmpty();
    assertThat(m.diskEncryption()).isEmpty();
    HostFacts agent = new HostFacts("fedora", "", "", "", "", "", "2.0", "rd.luks.uuid=agent");
    HostFacts facts = m.applyTo(agent);
    assertThat(facts.diskEncryption()).isEqualTo("rd.luks.uuid=agent");
    assertThat(m.sources(facts)).containsEntry("disk_encryption", MeasuredFacts.REPORTED);
  }

  @Test
  void theKernelOsAndBootLoaderOfTheFedoraLogAreReadFromGrubsMeasuredLine() throws Exception {
    TcgEventLog luks =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements"));
    MeasuredFacts m = MeasuredFacts.from(luks, quoteOf(luks, -1));
    assertThat(m.kernelVersion()).contains("6.11.5-300.fc41.x86_64");
    HostFacts agent =
        new HostFacts("f", "", "Ubuntu", "24.04", "", "", "2.0", "", "agent-kernel", "");
    HostFacts facts = m.applyTo(agent);
    assertThat(facts.kernelVersion()).isEqualTo("6.11.5-300.fc41.x86_64");
    assertThat(facts.osName()).isEqualTo("Fedora");
    assertThat(facts.osVersion()).isEqualTo("41");
    // shim's SBAT entry in PCR 7, then GRUB's command line in PCR 8
    assertThat(facts.bootLoader()).isEqualTo("shim > grub");
    assertThat(m.sources(facts))
        .containsEntry("kernel_version", MeasuredFacts.MEASURED)
        .containsEntry("os_name", MeasuredFacts.MEASURED)
        .containsEntry("os_version", MeasuredFacts.MEASURED)
        .containsEntry("boot_loader", MeasuredFacts.MEASURED);
    TrustReport r = reportOf("f", facts, quoteOf(luks, -1), m.sources(facts));
    JsonNode info = TrustReportJson.write(r).path("host_info");
    assertThat(info.path("kernel_version").asText()).isEqualTo("6.11.5-300.fc41.x86_64");
    assertThat(info.path("boot_loader").asText()).isEqualTo("shim > grub");
    assertThat(TrustReportJson.read(TrustReportJson.write(r)).host()).isEqualTo(facts);
  }

  @Test
  void anEnterpriseLinuxKernelTagGivesItsMajorAndMinorVersion() throws Exception {
    TcgEventLog rhel =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements-secureboot"));
    MeasuredFacts m = MeasuredFacts.from(rhel, quoteOf(rhel, -1));
    assertThat(m.kernelVersion()).contains("5.14.0-503.11.1.el9_5.x86_64");
    assertThat(m.os()).contains(Map.entry("Enterprise Linux", "9.5"));
  }

  @Test
  void theGceLogMeasuresGrubButNoKernelReleaseSoTheAgentsKernelStaysReported() {
    MeasuredFacts m = MeasuredFacts.from(log, evidence.pcrs());
    // COS boots /syslinux/vmlinuz.A: a measured path without a release in its name
    assertThat(m.kernelPath()).contains("/syslinux/vmlinuz.A");
    assertThat(m.kernelVersion()).isEmpty();
    assertThat(m.os()).isEmpty();
    HostFacts agent =
        new HostFacts(
            "gce-cos-85", "", "Container-Optimized OS", "85", "Google", "", "2.0", "", "5.4.0", "");
    HostFacts facts = m.applyTo(agent);
    assertThat(facts.bootLoader()).isEqualTo("grub");
    assertThat(facts.kernelVersion()).isEqualTo("5.4.0");
    assertThat(facts.osName()).isEqualTo("Container-Optimized OS");
    assertThat(m.sources(facts))
        .containsEntry("boot_loader", MeasuredFacts.MEASURED)
        .containsEntry("kernel_version", MeasuredFacts.REPORTED)
        .containsEntry("os_name", MeasuredFacts.REPORTED)
        .containsEntry("bios_version", MeasuredFacts.MEASURED);
  }

  @Test
  void withoutPcr8InTheQuoteNoBootLoaderOrKernelIsMeasured() throws Exception {
    TcgEventLog luks =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements"));
    MeasuredFacts m = MeasuredFacts.from(luks, quoteOf(luks, 8));
    // shim's SBAT entry is in PCR 7, still quoted; GRUB's line is not
    assertThat(m.bootLoader()).contains("shim");
    assertThat(m.kernelVersion()).isEmpty();
    assertThat(m.os()).isEmpty();
  }

  @Test
  void aCryptsetupRunInTheQuotedImaListShowsTheDiskEncrypted() throws Exception {
    TcgEventLog plain =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements-secureboot"));
    String digest = "ab".repeat(32);
    List<ImaMeasurement> ima =
        List.of(
            new ImaMeasurement("boot_aggregate", "cd".repeat(32)),
            new ImaMeasurement("/usr/bin/bash", digest),
            new ImaMeasurement("/usr/lib/systemd/systemd-cryptsetup", digest));
    MeasuredFacts m = MeasuredFacts.from(plain, quoteOf(plain, -1), Optional.of(ima));
    // the command line names no encrypted root, the IMA entry does the showing
    assertThat(m.kernelCommandLine()).isPresent();
    assertThat(m.diskEncryption()).contains("ima:/usr/lib/systemd/systemd-cryptsetup");
    HostFacts facts = m.applyTo(new HostFacts("h", "", "", "", "", "", "2.0"));
    assertThat(m.sources(facts)).containsEntry("disk_encryption", MeasuredFacts.MEASURED);
    // without a measured command line the IMA entry alone counts too
    assertThat(MeasuredFacts.from(plain, quoteOf(plain, 8), Optional.of(ima)).diskEncryption())
        .contains("ima:/usr/lib/systemd/systemd-cryptsetup");
  }

  @Test
  void imaEntriesThatAreNoCleanCryptsetupRunDoNotCount() throws Exception {
    TcgEventLog plain =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements-secureboot"));
    List<ImaMeasurement> ima =
        List.of(
            // a violation: the file changed while measured
            new ImaMeasurement("/usr/sbin/cryptsetup", "00".repeat(32)),
            // look-alikes
            new ImaMeasurement("/usr/sbin/cryptsetup-reencrypt", "ab".repeat(32)),
            new ImaMeasurement("/home/u/not-cryptsetup", "ab".repeat(32)));
    assertThat(MeasuredFacts.from(plain, quoteOf(plain, -1), Optional.of(ima)).diskEncryption())
        .isEmpty();
    // no IMA list (not collected, or it did not replay to the quote): nothing from IMA
    assertThat(MeasuredFacts.from(plain, quoteOf(plain, -1), Optional.empty()).cryptsetup())
        .isEmpty();
  }

  @Test
  void bootLoadersNamedOnlyByPcr4ApplicationPathsAreMarkedLogged() throws Exception {
    TcgEventLog luks =
        TcgEventLog.parse(Vectors.read("tpm-eventlog/keylime-binary_bios_measurements"));
    // \EFI\fedora\shimx64.efi then \EFI\fedora\grubx64.efi
    MeasuredFacts m = MeasuredFacts.from(luks, quoteOf(luks, 7, 8));
    assertThat(m.shim()).isFalse();
    assertThat(m.bootLoader()).isEmpty();
    assertThat(m.startedApplications()).containsExactly("shim", "grub");
    HostFacts facts = m.applyTo(new HostFacts("f", "", "", "", "", "", "2.0"));
    assertThat(facts.bootLoader()).isEqualTo("shim > grub");
    assertThat(m.sources(facts)).containsEntry("boot_loader", MeasuredFacts.LOGGED);
    // PCR 4 not quoted either: nothing is known of the boot loader
    MeasuredFacts none = MeasuredFacts.from(luks, quoteOf(luks, 4, 7, 8));
    assertThat(none.startedApplications()).isEmpty();
    assertThat(none.applyTo(new HostFacts("f", "", "", "", "", "", "2.0")).bootLoader()).isEmpty();
  }

  @Test
  void anSbatEntryWhoseDataNoLongerHashesToItsDigestsDoesNotShowShim() throws Exception {
    byte[] bytes = Vectors.read("tpm-eventlog/keylime-binary_bios_measurements");
    TcgEventLog luks = TcgEventLog.parse(bytes);
    TcgEvent sbat =
        luks.events().stream()
            .filter(e -> e instanceof EfiVariableEvent v && v.name().equals("SbatLevel"))
            .findFirst()
            .orElseThrow();
    assertThat(MeasuredFacts.from(luks, quoteOf(luks, 8)).bootLoader()).contains("shim");
    byte[] edited = bytes.clone();
    // the last byte of the SBAT level text changed: digests (and replay) untouched
    int at = indexOf(bytes, sbat.data(), sbat.header().offset()) + sbat.data().length - 1;
    edited[at] ^= 0x01;
    TcgEventLog forged = TcgEventLog.parse(edited);
    assertThat(forged.replay()).isEqualTo(luks.replay());
    MeasuredFacts m = MeasuredFacts.from(forged, quoteOf(forged, 8));
    assertThat(m.shim()).isFalse();
    assertThat(m.bootLoader()).isEmpty();
  }
}
