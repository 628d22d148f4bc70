package dev.vouch.evidence.tpm.eventlog;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Event types of the TCG PC Client Platform Firmware Profile (the {@code EventType} field of every
 * log entry), with their specification names. Types not listed here still parse; they decode to
 * {@link OpaqueEvent} and print as {@code 0x%08x}.
 */
public enum EventType {
  EV_PREBOOT_CERT(0x00000000L),
  EV_POST_CODE(0x00000001L),
  EV_UNUSED(0x00000002L),
  EV_NO_ACTION(0x00000003L),
  EV_SEPARATOR(0x00000004L),
  EV_ACTION(0x00000005L),
  EV_EVENT_TAG(0x00000006L),
  EV_S_CRTM_CONTENTS(0x00000007L),
  EV_S_CRTM_VERSION(0x00000008L),
  EV_CPU_MICROCODE(0x00000009L),
  EV_PLATFORM_CONFIG_FLAGS(0x0000000AL),
  EV_TABLE_OF_DEVICES(0x0000000BL),
  EV_COMPACT_HASH(0x0000000CL),
  EV_IPL(0x0000000DL),
  EV_IPL_PARTITION_DATA(0x0000000EL),
  EV_NONHOST_CODE(0x0000000FL),
  EV_NONHOST_CONFIG(0x00000010L),
  EV_NONHOST_INFO(0x00000011L),
  EV_OMIT_BOOT_DEVICE_EVENTS(0x00000012L),
  EV_POST_CODE2(0x00000013L),
  EV_EFI_EVENT_BASE(0x80000000L),
  EV_EFI_VARIABLE_DRIVER_CONFIG(0x80000001L),
  EV_EFI_VARIABLE_BOOT(0x80000002L),
  EV_EFI_BOOT_SERVICES_APPLICATION(0x80000003L),
  EV_EFI_BOOT_SERVICES_DRIVER(0x80000004L),
  EV_EFI_RUNTIME_SERVICES_DRIVER(0x80000005L),
  EV_EFI_GPT_EVENT(0x80000006L),
  EV_EFI_ACTION(0x80000007L),
  EV_EFI_PLATFORM_FIRMWARE_BLOB(0x80000008L),
  EV_EFI_HANDOFF_TABLES(0x80000009L),
  EV_EFI_PLATFORM_FIRMWARE_BLOB2(0x8000000AL),
  EV_EFI_HANDOFF_TABLES2(0x8000000BL),
  EV_EFI_VARIABLE_BOOT2(0x8000000CL),
  EV_EFI_GPT_EVENT2(0x8000000DL),
  EV_EFI_HCRTM_EVENT(0x80000010L),
  EV_EFI_VARIABLE_AUTHORITY(0x800000E0L),
  EV_EFI_SPDM_FIRMWARE_BLOB(0x800000E1L),
  EV_EFI_SPDM_FIRMWARE_CONFIG(0x800000E2L),
  EV_EFI_SPDM_DEVICE_POLICY(0x800000E3L),
  EV_EFI_SPDM_DEVICE_AUTHORITY(0x800000E4L);

  private static final Map<Long, EventType> BY_CODE = new HashMap<>();

  static {
    for (EventType t : values()) {
      BY_CODE.put(t.code, t);
    }
  }

  private final long code;

  EventType(long code) {
    this.code = code;
  }

  /** The unsigned 32-bit value found in the log. */
  public long code() {
    return code;
  }

  /** The type with this code, if the specification names it. */
  public static Optional<EventType> of(long code) {
    return Optional.ofNullable(BY_CODE.get(code));
  }

  /** The specification name ({@code EV_...}), or {@code 0x%08x} for an unnamed type. */
  public static String nameOf(long code) {
    EventType t = BY_CODE.get(code);
    return t != null ? t.name() : String.format(Locale.ROOT, "0x%08x", code);
  }
}
