package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;
import java.util.Optional;

/**
 * A loaded UEFI image ({@code UEFI_IMAGE_LOAD_EVENT}) from {@code
 * EV_EFI_BOOT_SERVICES_APPLICATION}, {@code EV_EFI_BOOT_SERVICES_DRIVER} or {@code
 * EV_EFI_RUNTIME_SERVICES_DRIVER}. The digests are the image's Authenticode hashes.
 *
 * @param devicePath the raw {@code EFI_DEVICE_PATH_PROTOCOL} bytes
 */
public record EfiImageLoadEvent(
    EventHeader header,
    long imageLocation,
    long imageLength,
    long linkTimeAddress,
    byte[] devicePath)
    implements TcgEvent {

  public EfiImageLoadEvent {
    Objects.requireNonNull(header, "header");
    devicePath = devicePath.clone();
  }

  @Override
  public byte[] devicePath() {
    return devicePath.clone();
  }

  /**
   * The device path in the UEFI text form for the common nodes (e.g. {@code
   * PciRoot(0x0)/Pci(0x3,0x0)/HD(1,GPT,...)/\EFI\BOOT\BOOTX64.EFI}), or empty when it is empty or
   * does not parse.
   */
  public Optional<String> devicePathText() {
    return DevicePaths.toText(devicePath);
  }
}
