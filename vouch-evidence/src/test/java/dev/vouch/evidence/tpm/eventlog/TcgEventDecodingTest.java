package dev.vouch.evidence.tpm.eventlog;

import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.read;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.resources;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.eventlog.LogBuilder.Alg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Event data decodes into the kinds a reader can inspect, and odd data never stops a parse. */
class TcgEventDecodingTest {
  private static final UUID ESP = UUID.fromString("c12a7328-f81f-11d2-ba4b-00a0c93ec93b");

  private static TcgEventLog log(String name) throws VerificationException {
    return TcgEventLog.parse(read(resources().resolve(name)));
  }

  private static <T extends TcgEvent> List<T> all(TcgEventLog log, Class<T> kind) {
    return log.events().stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  @Test
  void gdcHostEntriesDecodeIntoTheirKinds() throws VerificationException {
    TcgEventLog log = log("go-tpm-tools/gdc-host.bin");
    SpecIdEvent spec = log.specIdEvent().orElseThrow();
    assertThat(spec.signature()).isEqualTo("Spec ID Event03");
    assertThat(spec.specVersionMajor()).isEqualTo(2);
    assertThat(spec.uintnSize()).isEqualTo(2);
    assertThat(spec.algorithms()).containsExactly(new SpecIdEvent.Algorithm(0x000b, 32));
    assertThat(log.events().get(1))
        .isEqualTo(new StartupLocalityEvent(log.events().get(1).header(), 3));

    assertThat(log.events().get(2))
        .isInstanceOfSatisfying(
            PlatformDataEvent.class,
            e -> {
              assertThat(e.typeName()).isEqualTo("EV_S_CRTM_CONTENTS");
              assertThat(e.text()).hasValue("Boot Guard Measured S-CRTM");
            });
    assertThat(all(log, CrtmVersionEvent.class).get(0).version()).hasValue("2.3.5");
    FirmwareBlob blob = all(log, FirmwareBlobEvent.class).get(0).blob();
    assertThat(blob).isEqualTo(new FirmwareBlob(java.util.Optional.empty(), 0xffdc0000L, 2293760));
    assertThat(all(log, PostCodeEvent.class))
        .allSatisfy(p -> assertThat(p.text()).hasValue("ACPI DATA"));
    assertThat(all(log, HandoffTablesEvent.class).get(0).tables())
        .extracting(HandoffTablesEvent.ConfigurationTable::vendorGuid)
        .containsExactly(UUID.fromString("f2fd1544-9794-4a2c-992e-e5bbcf20e394"));
    assertThat(all(log, EventTagEvent.class))
        .extracting(EventTagEvent::taggedEventId)
        .containsExactly(0x8f3b22edL, 0x8f3b22ecL);
    assertThat(all(log, SeparatorEvent.class))
        .hasSize(8)
        .allSatisfy(s -> assertThat(s.isError()).isFalse())
        .extracting(SeparatorEvent::pcr)
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    assertThat(all(log, ActionEvent.class))
        .extracting(ActionEvent::text)
        .contains("Calling EFI Application from Boot Option", "Exit Boot Services Invocation");
  }

  @Test
  void gptEventListsTheBootDisksPartitions() throws VerificationException {
    EfiGptEvent gpt = all(log("go-tpm-tools/gdc-host.bin"), EfiGptEvent.class).get(0);
    assertThat(gpt.gptHeader().signature()).isEqualTo(EfiGptEvent.GptHeader.EFI_PART);
    assertThat(gpt.gptHeader().diskGuid())
        .isEqualTo(UUID.fromString("55b02895-545e-4477-b0a4-e77f926615a9"));
    assertThat(gpt.numberOfPartitions()).isEqualTo(3);
    assertThat(gpt.partitions()).hasSize(3);
    assertThat(gpt.partitions().get(0).typeGuid()).isEqualTo(ESP);
    assertThat(gpt.partitions().get(0).startingLba())
        .isLessThan(gpt.partitions().get(0).endingLba());
  }

  @Test
  void imageLoadEventsRenderTheirDevicePaths() throws VerificationException {
    assertThat(all(log("go-tpm-tools/gdc-host.bin"), EfiImageLoadEvent.class))
        .extracting(e -> e.devicePathText().orElse(""))
        .contains("\\EFI\\ubuntu\\shimx64.efi", "\\EFI\\ubuntu\\grubx64.efi");
    EfiImageLoadEvent shim = all(log("hirs/TpmLogSHA1.bin"), EfiImageLoadEvent.class).get(0);
    assertThat(shim.typeName()).isEqualTo("EV_EFI_BOOT_SERVICES_APPLICATION");
    assertThat(shim.imageLength()).isEqualTo(1334816);
    assertThat(shim.devicePathText().orElseThrow())
        .startsWith(
            "PciRoot(0x0)/Pci(0x17,0x0)/Sata(0x1,0x8000,0x0)/HD(1,GPT,381a04dc-02f8-4099-b4e2-ff987def0aef,0x800,");
  }

  @Test
  void grubIplStringsAreAsciiAndSystemdBootOnesAreUtf16() throws VerificationException {
    assertThat(all(log("go-tpm-tools/gdc-host.bin"), IplEvent.class))
        .extracting(IplEvent::text)
        .contains("grub_cmd: set default=0", "(hd0,gpt2)/grub/grub.cfg")
        .anySatisfy(t -> assertThat(t).startsWith("kernel_cmdline: /vmlinuz-6.9.0-rc7+ root="));
    assertThat(all(log("tpm2-tools/event-sd-boot-fedora37.bin"), IplEvent.class))
        .extracting(IplEvent::text)
        .contains(" console=ttyS0 console=tty0 efi=debug ");
  }

  @Test
  void postCodeCanBeAFirmwareBlobAndCrtmVersionAGuid() throws VerificationException {
    TcgEventLog log = log("tpm2-tools/event-postcode.bin");
    PostCodeEvent post = all(log, PostCodeEvent.class).get(0);
    assertThat(post.text()).isEmpty();
    assertThat(post.blob())
        .hasValue(new FirmwareBlob(java.util.Optional.empty(), 0xff130000L, 11005952));
    CrtmVersionEvent version = all(log, CrtmVersionEvent.class).get(0);
    assertThat(version.version()).isEmpty();
    assertThat(version.data()).hasSize(16);
  }

  @Test
  void sp800155NoActionEventsKeepTheirSignatureAndAreNotExtended() throws VerificationException {
    TcgEventLog log = log("go-tpm-tools/eventlogwithsp800155.bin");
    assertThat(all(log, NoActionEvent.class))
        .hasSize(2)
        .allSatisfy(e -> assertThat(e.signature()).isEqualTo("SP800-155 Event3"));
    assertThat(all(log, CrtmVersionEvent.class).get(0).version())
        .hasValue("GCE Virtual Firmware v2");
  }

  @Test
  void secureBootStateReadsOnlyPcr7AndTheAuthorities() throws VerificationException {
    TcgEventLog log = log("go-tpm-tools/gdc-host.bin");
    SecureBootState sb = log.secureBoot();
    assertThat(sb.secureBootEnabled()).hasValue(false);
    // this host measures DeployedMode (01) and AuditMode (00) into PCR 1, not PCR 7 where the
    // Secure Boot policy is bound, so they are not read
    assertThat(log.events())
        .filteredOn(e -> e instanceof EfiVariableEvent v && v.name().endsWith("Mode"))
        .extracting(TcgEvent::pcr)
        .containsExactly(1, 1);
    assertThat(sb.deployedMode()).isEmpty();
    assertThat(sb.auditMode()).isEmpty();
    assertThat(sb.pkPresent() && sb.kekPresent() && sb.dbPresent() && sb.dbxPresent()).isTrue();
    assertThat(sb.authorities()).extracting(EfiVariableEvent::name).containsExactly("SbatLevel");
  }

  @Test
  void zeroLengthSecureBootVariableLeavesTheStateUnknown() throws VerificationException {
    SecureBootState sb = log("tpm2-tools/event-arch-linux.bin").secureBoot();
    assertThat(sb.secureBootEnabled()).isEmpty();
    assertThat(sb.pkPresent()).isTrue();
  }

  @Test
  void unknownTypesAndDataThatDoesNotFitItsTypeBecomeOpaqueButStillReplay()
      throws VerificationException {
    Alg sha256 = Alg.of(HashAlg.SHA256);
    byte[] badVariable =
        LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot", new byte[] {1});
    badVariable[16] = (byte) 0xff; // name length: 255 characters in a 53-byte structure
    byte[] badGpt = new byte[100]; // no EFI PART signature
    byte[] badImage = new byte[40];
    badImage[24] = (byte) 0x80; // device path length 128 in 8 bytes
    byte[] log =
        LogBuilder.agile(sha256)
            .event(7, EventType.EV_EFI_VARIABLE_DRIVER_CONFIG.code(), badVariable)
            .event(5, EventType.EV_EFI_GPT_EVENT.code(), badGpt)
            .event(4, EventType.EV_EFI_BOOT_SERVICES_APPLICATION.code(), badImage)
            .event(9, 0x12345678L, new byte[] {1, 2, 3})
            .event(
                1,
                EventType.EV_EFI_HANDOFF_TABLES.code(),
                new byte[] {-1, -1, -1, -1, -1, -1, -1, 127})
            .build();
    TcgEventLog parsed = TcgEventLog.parse(log);
    List<TcgEvent> events = parsed.events().subList(1, 6);
    assertThat(events).allSatisfy(e -> assertThat(e).isInstanceOf(OpaqueEvent.class));
    assertThat(events.subList(0, 3))
        .allSatisfy(e -> assertThat(((OpaqueEvent) e).decodeError()).isPresent());
    assertThat(((OpaqueEvent) events.get(3)).decodeError()).isEmpty();
    assertThat(events.get(3).typeName()).isEqualTo("0x12345678");
    assertThat(((OpaqueEvent) events.get(4)).decodeError()).isPresent();
    assertThat(parsed.replay().indexes(HashAlg.SHA256)).containsExactly(1, 4, 5, 7, 9);
    assertThat(parsed.secureBoot().secureBootEnabled()).isEmpty();
  }

  @Test
  void variableDataDecodesGuidNameAndValue() throws VerificationException {
    byte[] data =
        LogBuilder.variable(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot", new byte[] {1});
    byte[] log =
        LogBuilder.agile(Alg.of(HashAlg.SHA256))
            .event(7, EventType.EV_EFI_VARIABLE_DRIVER_CONFIG.code(), data)
            .build();
    EfiVariableEvent v = (EfiVariableEvent) TcgEventLog.parse(log).events().get(1);
    assertThat(v.vendorGuid()).isEqualTo(EfiVariableEvent.EFI_GLOBAL_VARIABLE);
    assertThat(v.name()).isEqualTo("SecureBoot");
    assertThat(v.value()).containsExactly(1);
    assertThat(TcgEventLog.parse(log).secureBoot().secureBootEnabled()).hasValue(true);
  }

  static Stream<Path> copiedLogs() throws IOException {
    List<Path> logs = new ArrayList<>();
    try (Stream<Path> files = Files.walk(resources())) {
      files
          .filter(
              p ->
                  p.toString().endsWith(".bin")
                      || p.getFileName().toString().startsWith("binary_bios"))
          .sorted()
          .forEach(logs::add);
    }
    assertThat(logs).hasSizeGreaterThanOrEqualTo(24);
    return logs.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("copiedLogs")
  void describeGivesOrderedJsonFriendlyMapsForEveryEvent(Path file) throws Exception {
    TcgEventLog log = TcgEventLog.parse(read(file));
    for (TcgEvent e : log.events()) {
      Map<String, Object> m = e.describe();
      assertThat(m.keySet()).startsWith("index", "pcr", "type", "digests");
      assertThat(m.get("type")).isEqualTo(EventType.nameOf(e.type()));
      String json = EventLogVectors.JSON.writeValueAsString(m);
      JsonNode back = EventLogVectors.JSON.readTree(json);
      assertThat(back.get("pcr").asInt()).isEqualTo(e.pcr());
      // the Spec ID event has the legacy header (one SHA-1 field); every later entry has all banks
      List<HashAlg> banks = e instanceof SpecIdEvent ? List.of(HashAlg.SHA1) : log.banks();
      assertThat(back.get("digests").size()).isEqualTo(banks.size());
      for (HashAlg bank : banks) {
        assertThat(back.get("digests").get(bank.shortName()).asText()).hasSize(2 * bank.size());
      }
    }
  }
}
