package dev.vouch.evidence.tpm.eventlog;

import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.read;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.resources;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.testing.ResearchData;
import dev.vouch.evidence.tpm.eventlog.LogBuilder.Alg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Entries whose type defines the digest as the hash of the event data ({@link DigestBinding#DATA})
 * must carry that hash in every bank; every real log holds to it, and claims come only from entries
 * that do.
 */
class EventDigestBindingTest {
  private static final Alg SHA1 = Alg.of(HashAlg.SHA1);
  private static final Alg SHA256 = Alg.of(HashAlg.SHA256);
  private static final long DRIVER_CONFIG = EventType.EV_EFI_VARIABLE_DRIVER_CONFIG.code();
  private static final long AUTHORITY = EventType.EV_EFI_VARIABLE_AUTHORITY.code();
  private static final long SEPARATOR = EventType.EV_SEPARATOR.code();

  /**
   * Every binary firmware log the vectors hold: test resources (including the Windows log inside
   * the go-attestation quote sample), the research tpm-eventlog folder and the ca-data logs.
   */
  static Stream<Path> realLogs() throws IOException {
    List<Path> out = new ArrayList<>();
    boolean research = ResearchData.present();
    // without the research folder the copied logs in test resources still run
    List<Path> roots =
        research
            ? List.of(
                resources(),
                ResearchData.vectors("tpm-eventlog"),
                ResearchData.root().resolve("ca-data"))
            : List.of(resources());
    for (Path root : roots) {
      try (Stream<Path> files = Files.walk(root)) {
        files
            .filter(Files::isRegularFile)
            .filter(
                p -> {
                  String n = p.getFileName().toString();
                  return n.endsWith(".bin")
                      || n.startsWith("binary_bios_measurements")
                      || n.startsWith("sample-binary_bios")
                      || n.startsWith("test_binary_bios")
                      || n.endsWith("_eventlog");
                })
            .forEach(out::add);
      }
    }
    assertThat(out).hasSizeGreaterThanOrEqualTo(research ? 40 : 1);
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("realLogs")
  void everyRealLogCarriesTheHashOfTheDataForEveryCheckedType(Path file)
      throws VerificationException {
    TcgEventLog log = TcgEventLog.parse(read(file));
    assertThat(log.digestMismatches()).isEmpty();
    assertThat(log.verifyDigests()).isSameAs(log);
    // and the check is not vacuous: every UEFI or CCEL log has separators that were checked
    assertThat(log.events())
        .filteredOn(e -> e.type() == SEPARATOR)
        .isNotEmpty()
        .allSatisfy(e -> assertThat(log.digestChecked(e)).isTrue());
  }

  @Test
  void theWindowsLogOfTheQuoteSampleCarriesTheHashOfTheDataToo() throws VerificationException {
    byte[] raw =
        Base64.getDecoder()
            .decode(
                EventLogVectors.json(
                        resources()
                            .resolve("quote-logs/go-attestation/windows_gcp_shielded_vm.json"))
                    .at("/Log/Raw")
                    .asText());
    TcgEventLog log = TcgEventLog.parse(raw).verifyDigests();
    assertThat(log.events()).filteredOn(log::digestChecked).hasSizeGreaterThanOrEqualTo(10);
  }

  @Test
  void aDriverConfigEntryWhoseSha1DigestAloneDiffersIsRefusedNamingIndexTypeAndBank() {
    byte[] value = {1};
    byte[] data = LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot", value);
    byte[] otherData =
        LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot", new byte[] {0});
    // sha1 of other data, sha256 of the data: only the sha1 bank betrays the change
    byte[] log =
        LogBuilder.agile(SHA1, SHA256)
            .event(0, SEPARATOR, new byte[4])
            .entry(
                7,
                DRIVER_CONFIG,
                List.of(SHA1, SHA256),
                List.of(HashAlg.SHA1.digest(otherData), HashAlg.SHA256.digest(data)),
                data)
            .build();
    VerificationException e =
        catchThrowableOfType(
            VerificationException.class, () -> TcgEventLog.parse(log).verifyDigests());
    assertThat(e.failure()).isEqualTo(Failure.EVENT_DIGEST_MISMATCH);
    assertThat(e.getMessage())
        .contains("event 2 ")
        .contains("EV_EFI_VARIABLE_DRIVER_CONFIG")
        .contains("PCR 7")
        .contains("sha1");
  }

  @Test
  void aForgedSecureBootValueReadsAsAbsentNotAsTheForgerWished() throws VerificationException {
    byte[] honest =
        LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot", new byte[] {0});
    byte[] forged =
        LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot", new byte[] {1});
    byte[] later =
        LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot", new byte[] {1});
    TcgEventLog log =
        TcgEventLog.parse(
            LogBuilder.agile(SHA256)
                .entry(
                    7,
                    DRIVER_CONFIG,
                    List.of(SHA256),
                    List.of(HashAlg.SHA256.digest(honest)),
                    forged)
                .event(7, DRIVER_CONFIG, later)
                .build());
    assertThat(log.digestMismatches()).hasSize(1);
    assertThat(log.digestMismatches().get(0).index()).isEqualTo(1);
    assertThat(log.digestMismatches().get(0).bank()).isEqualTo(HashAlg.SHA256);
    // the first measurement failed its check; a later one must not stand in for it
    assertThat(log.secureBoot().secureBootEnabled()).isEmpty();
  }

  @Test
  void secureBootIsReadOnlyFromPcr7() throws VerificationException {
    byte[] on =
        LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot", new byte[] {1});
    byte[] pk = LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "PK", new byte[] {9});
    TcgEventLog log =
        TcgEventLog.parse(
            LogBuilder.agile(SHA256)
                .event(1, DRIVER_CONFIG, on)
                .event(1, DRIVER_CONFIG, pk)
                .build());
    assertThat(log.digestMismatches()).isEmpty();
    assertThat(log.secureBoot().secureBootEnabled()).isEmpty();
    assertThat(log.secureBoot().pkPresent()).isFalse();
  }

  @Test
  void anAuthorityEntryThatHashesOtherBytesIsShownButNotRefused() throws VerificationException {
    // shim measures its certificate without the SignatureOwner: the digest is of other bytes
    byte[] data = LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "Shim", new byte[40]);
    byte[] log =
        LogBuilder.agile(SHA256)
            .entry(
                7, AUTHORITY, List.of(SHA256), List.of(HashAlg.SHA256.digest(new byte[24])), data)
            .build();
    TcgEventLog parsed = TcgEventLog.parse(log).verifyDigests();
    assertThat(parsed.digestChecked(parsed.events().get(1))).isFalse();
    assertThat(parsed.secureBoot().authorities()).hasSize(1);
  }

  @Test
  void realShimAuthorityEntriesDifferFromTheirDataAndStillPass() throws VerificationException {
    // hirs/TpmLogSHA1.bin: entry 26 is shim's authority, whose SHA-1 digest is of other bytes
    TcgEventLog log = TcgEventLog.parse(read(resources().resolve("hirs/TpmLogSHA1.bin")));
    TcgEvent shim = log.events().get(26);
    assertThat(shim.type()).isEqualTo(AUTHORITY);
    assertThat(shim.digests().get(HashAlg.SHA1)).isNotEqualTo(HashAlg.SHA1.digest(shim.data()));
    assertThat(log.digestChecked(shim)).isFalse();
    assertThat(log.verifyDigests().digestMismatches()).isEmpty();
  }

  @Test
  void bindingsFollowThePfpAndTheRealLogs() {
    assertThat(DigestBinding.of(SEPARATOR)).isEqualTo(DigestBinding.DATA);
    assertThat(DigestBinding.of(DRIVER_CONFIG)).isEqualTo(DigestBinding.DATA);
    assertThat(DigestBinding.of(EventType.EV_EFI_GPT_EVENT.code())).isEqualTo(DigestBinding.DATA);
    assertThat(DigestBinding.of(EventType.EV_EFI_ACTION.code())).isEqualTo(DigestBinding.DATA);
    assertThat(DigestBinding.of(AUTHORITY)).isEqualTo(DigestBinding.DEVIATES);
    assertThat(DigestBinding.of(EventType.EV_EFI_VARIABLE_BOOT.code()))
        .isEqualTo(DigestBinding.DEVIATES);
    assertThat(DigestBinding.of(EventType.EV_EFI_BOOT_SERVICES_APPLICATION.code()))
        .isEqualTo(DigestBinding.EXTERNAL);
    assertThat(DigestBinding.of(EventType.EV_NO_ACTION.code()))
        .isEqualTo(DigestBinding.NOT_EXTENDED);
    assertThat(DigestBinding.of(0x12345678L)).isEqualTo(DigestBinding.EXTERNAL);
  }
}
