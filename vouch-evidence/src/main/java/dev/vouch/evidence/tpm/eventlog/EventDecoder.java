package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Turns an entry's data into its decoded kind. Lenient by design: any structure that does not fit
 * its type yields an {@link OpaqueEvent} with the reason, never an exception, because the data is
 * informational while the digests are what the TPM extended. Every length is checked against the
 * data before anything is allocated.
 */
final class EventDecoder {
  private static final int SIGNATURE_LENGTH = 16;
  private static final String STARTUP_LOCALITY = "StartupLocality";
  private static final String SPEC_ID_PREFIX = "Spec ID Event";

  /** Size of the fixed {@code EFI_PARTITION_TABLE_HEADER}. */
  private static final int GPT_HEADER_SIZE = 92;

  /** The part of an {@code EFI_PARTITION_ENTRY} that is defined (later bytes are reserved). */
  private static final int GPT_ENTRY_SIZE = 128;

  private EventDecoder() {}

  static TcgEvent decode(EventHeader h) {
    Optional<EventType> type = EventType.of(h.type());
    if (type.isEmpty()) {
      return new OpaqueEvent(h, Optional.empty());
    }
    try {
      return switch (type.get()) {
        case EV_NO_ACTION -> noAction(h);
        case EV_SEPARATOR -> new SeparatorEvent(h);
        case EV_EFI_VARIABLE_DRIVER_CONFIG,
            EV_EFI_VARIABLE_BOOT,
            EV_EFI_VARIABLE_BOOT2,
            EV_EFI_VARIABLE_AUTHORITY ->
            variable(h);
        case EV_EFI_BOOT_SERVICES_APPLICATION,
            EV_EFI_BOOT_SERVICES_DRIVER,
            EV_EFI_RUNTIME_SERVICES_DRIVER ->
            imageLoad(h);
        case EV_IPL -> new IplEvent(h, stringOf(h.dataRef()));
        case EV_EFI_GPT_EVENT, EV_EFI_GPT_EVENT2 -> gpt(h);
        case EV_EFI_ACTION, EV_ACTION -> new ActionEvent(h, EfiData.text(h.dataRef()));
        case EV_S_CRTM_VERSION -> new CrtmVersionEvent(h, optionalString(h.dataRef()));
        case EV_POST_CODE -> postCode(h);
        case EV_EFI_PLATFORM_FIRMWARE_BLOB -> new FirmwareBlobEvent(h, blob(h.dataRef(), false));
        case EV_EFI_PLATFORM_FIRMWARE_BLOB2 -> new FirmwareBlobEvent(h, blob(h.dataRef(), true));
        case EV_EFI_HANDOFF_TABLES -> handoff(h, false);
        case EV_EFI_HANDOFF_TABLES2 -> handoff(h, true);
        case EV_EVENT_TAG -> eventTag(h);
        case EV_S_CRTM_CONTENTS,
            EV_EFI_HCRTM_EVENT,
            EV_COMPACT_HASH,
            EV_TABLE_OF_DEVICES,
            EV_OMIT_BOOT_DEVICE_EVENTS,
            EV_NONHOST_CODE,
            EV_NONHOST_CONFIG,
            EV_NONHOST_INFO,
            EV_CPU_MICROCODE,
            EV_PLATFORM_CONFIG_FLAGS,
            EV_PREBOOT_CERT,
            EV_IPL_PARTITION_DATA,
            EV_POST_CODE2 ->
            new PlatformDataEvent(h, EfiData.printableAscii(h.dataRef()));
        default -> new OpaqueEvent(h, Optional.empty());
      };
    } catch (VerificationException e) {
      return new OpaqueEvent(h, Optional.of(e.getMessage()));
    }
  }

  /** The leading NUL-terminated ASCII signature of an EV_NO_ACTION event, or empty. */
  static String signature(byte[] data) {
    if (data.length < SIGNATURE_LENGTH) {
      return "";
    }
    int n = 0;
    while (n < SIGNATURE_LENGTH && data[n] != 0) {
      int c = data[n] & 0xff;
      if (c < 0x20 || c > 0x7e) {
        return "";
      }
      n++;
    }
    return new String(data, 0, n, StandardCharsets.US_ASCII);
  }

  private static TcgEvent noAction(EventHeader h) throws VerificationException {
    byte[] d = h.dataRef();
    String sig = signature(d);
    if (sig.equals(STARTUP_LOCALITY) && d.length >= SIGNATURE_LENGTH + 1) {
      return new StartupLocalityEvent(h, d[SIGNATURE_LENGTH] & 0xff);
    }
    if (sig.startsWith(SPEC_ID_PREFIX)) {
      return specId(h);
    }
    return new NoActionEvent(h, sig);
  }

  /**
   * Reads a {@code TCG_EfiSpecIDEvent}. The log parser calls this strictly for the first entry (a
   * failure there is a framing failure); later entries reach it through the lenient path.
   */
  static SpecIdEvent specId(EventHeader h) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(h.dataRef());
    String sig = signature(r.bytes(SIGNATURE_LENGTH));
    long platformClass = r.u32();
    int minor = r.u8();
    int major = r.u8();
    int errata = r.u8();
    int uintnSize = r.u8();
    List<SpecIdEvent.Algorithm> algs = new ArrayList<>();
    if (sig.equals(SpecIdEvent.AGILE_SIGNATURE)) {
      long count = r.u32();
      // each entry takes four bytes: check before looping so a hostile count costs nothing
      if (count > r.remaining() / 4) {
        throw new VerificationException(
            Failure.TRUNCATED, "Spec ID event lists " + count + " algorithms in too few bytes");
      }
      for (long i = 0; i < count; i++) {
        algs.add(new SpecIdEvent.Algorithm(r.u16(), r.u16()));
      }
    }
    int vendorSize = r.u8();
    byte[] vendor = r.bytes(vendorSize);
    return new SpecIdEvent(h, sig, platformClass, major, minor, errata, uintnSize, algs, vendor);
  }

  private static TcgEvent variable(EventHeader h) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(h.dataRef());
    UUID guid = EfiData.guid(r);
    long nameChars = r.u64();
    long dataLength = r.u64();
    if (nameChars < 0 || nameChars > r.remaining() / 2) {
      throw new VerificationException(
          Failure.TRUNCATED, "variable name of " + nameChars + " characters exceeds the data");
    }
    String name = EfiData.utf16(r.bytes(nameChars * 2));
    // trailing bytes after the value are tolerated: some firmware pads the structure
    byte[] value = r.bytes(dataLength);
    return new EfiVariableEvent(h, guid, name, value);
  }

  private static TcgEvent imageLoad(EventHeader h) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(h.dataRef());
    long location = r.u64();
    long length = r.u64();
    long linkTime = r.u64();
    long pathLength = r.u64();
    byte[] path = r.bytes(pathLength);
    return new EfiImageLoadEvent(h, location, length, linkTime, path);
  }

  /** UTF-16LE when the bytes look like it, else UTF-8/ASCII; trailing NULs dropped. */
  private static String stringOf(byte[] d) {
    return EfiData.looksUtf16(d) ? EfiData.utf16(d) : EfiData.text(d);
  }

  private static Optional<String> optionalString(byte[] d) {
    if (EfiData.looksUtf16(d)) {
      return Optional.of(EfiData.utf16(d));
    }
    return EfiData.printableAscii(d);
  }

  private static TcgEvent postCode(EventHeader h) throws VerificationException {
    byte[] d = h.dataRef();
    Optional<String> text = EfiData.printableAscii(d);
    if (text.isPresent()) {
      return new PostCodeEvent(h, text, Optional.empty());
    }
    if (d.length == 16) {
      return new PostCodeEvent(h, Optional.empty(), Optional.of(blob(d, false)));
    }
    return new PostCodeEvent(h, Optional.empty(), Optional.empty());
  }

  private static FirmwareBlob blob(byte[] d, boolean withDescription) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(d);
    Optional<String> description = Optional.empty();
    if (withDescription) {
      description = Optional.of(EfiData.text(r.bytes(r.u8())));
    }
    return new FirmwareBlob(description, r.u64(), r.u64());
  }

  private static TcgEvent handoff(EventHeader h, boolean withDescription)
      throws VerificationException {
    ByteReader r = ByteReader.littleEndian(h.dataRef());
    Optional<String> description = Optional.empty();
    if (withDescription) {
      description = Optional.of(EfiData.text(r.bytes(r.u8())));
    }
    long count = r.u64();
    if (count < 0 || count > r.remaining() / 24) {
      throw new VerificationException(
          Failure.TRUNCATED, count + " handoff tables do not fit in the data");
    }
    List<HandoffTablesEvent.ConfigurationTable> tables = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      tables.add(new HandoffTablesEvent.ConfigurationTable(EfiData.guid(r), r.u64()));
    }
    return new HandoffTablesEvent(h, description, tables);
  }

  private static TcgEvent eventTag(EventHeader h) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(h.dataRef());
    long id = r.u32();
    byte[] tagData = r.sized32();
    return new EventTagEvent(h, id, tagData);
  }

  private static TcgEvent gpt(EventHeader h) throws VerificationException {
    ByteReader r = ByteReader.littleEndian(h.dataRef());
    ByteReader hr = r.slice(GPT_HEADER_SIZE);
    long signature = hr.u64();
    long revision = hr.u32();
    long headerSize = hr.u32();
    hr.u32(); // header CRC32
    hr.u32(); // reserved
    long myLba = hr.u64();
    long alternateLba = hr.u64();
    long firstUsable = hr.u64();
    long lastUsable = hr.u64();
    UUID diskGuid = EfiData.guid(hr);
    long entryLba = hr.u64();
    long entries = hr.u32();
    long entrySize = hr.u32();
    var header =
        new EfiGptEvent.GptHeader(
            signature,
            revision,
            headerSize,
            myLba,
            alternateLba,
            firstUsable,
            lastUsable,
            diskGuid,
            entryLba,
            entries,
            entrySize);
    if (signature != EfiGptEvent.GptHeader.EFI_PART) {
      throw new VerificationException(Failure.MALFORMED, "GPT header lacks the EFI PART signature");
    }
    if (entrySize < GPT_ENTRY_SIZE) {
      throw new VerificationException(
          Failure.MALFORMED, "GPT entry size " + entrySize + " is below " + GPT_ENTRY_SIZE);
    }
    long count = r.u64();
    if (count < 0 || count > r.remaining() / entrySize) {
      throw new VerificationException(
          Failure.TRUNCATED, count + " GPT entries of " + entrySize + " bytes exceed the data");
    }
    List<EfiGptEvent.Partition> partitions = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      ByteReader e = r.slice(entrySize);
      UUID typeGuid = EfiData.guid(e);
      UUID uniqueGuid = EfiData.guid(e);
      long start = e.u64();
      long end = e.u64();
      long attributes = e.u64();
      String name = EfiData.utf16(e.bytes(72));
      partitions.add(new EfiGptEvent.Partition(typeGuid, uniqueGuid, start, end, attributes, name));
    }
    return new EfiGptEvent(h, header, count, partitions);
  }

  /** True when {@code data} starts with the 16-byte signature {@code sig} and its NUL. */
  static boolean hasSignature(byte[] data, String sig) {
    byte[] s = sig.getBytes(StandardCharsets.US_ASCII);
    return data.length >= SIGNATURE_LENGTH
        && s.length < SIGNATURE_LENGTH
        && Arrays.equals(data, 0, s.length, s, 0, s.length)
        && data[s.length] == 0;
  }
}
