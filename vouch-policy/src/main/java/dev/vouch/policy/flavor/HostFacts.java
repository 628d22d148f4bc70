package dev.vouch.policy.flavor;

import dev.vouch.evidence.tpm.protocol.HostInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What flavors and reports say about a host besides its measurements. These facts come from the
 * agent and are not signed: they choose templates and label flavors and reports, but never decide
 * trust. An empty string means unknown.
 *
 * @param hostName the host's name (a flavor's {@code source})
 * @param hardwareUuid the SMBIOS system UUID (links HOST_UNIQUE flavors to one machine)
 * @param osName e.g. {@code Ubuntu}
 * @param osVersion e.g. {@code 22.04}
 * @param biosName firmware vendor
 * @param biosVersion firmware version
 * @param tpmVersion {@code 2.0}
 * @param diskEncryption the kernel command-line parameter naming an encrypted root, e.g. {@code
 *     rd.luks.uuid=luks-...}, or {@code ima:} and the path of a cryptsetup binary IMA measured;
 *     measured or reported as {@link MeasuredFacts#sources} says
 * @param kernelVersion the kernel release, e.g. {@code 6.11.5-300.fc41.x86_64}
 * @param bootLoader the boot loader that measured the kernel command line: {@code grub} or {@code
 *     systemd} (systemd-boot or systemd-stub); empty when none is known
 */
public record HostFacts(
    String hostName,
    String hardwareUuid,
    String osName,
    String osVersion,
    String biosName,
    String biosVersion,
    String tpmVersion,
    String diskEncryption,
    String kernelVersion,
    String bootLoader) {
  public HostFacts {
    Objects.requireNonNull(hostName, "hostName");
    Objects.requireNonNull(hardwareUuid, "hardwareUuid");
    Objects.requireNonNull(osName, "osName");
    Objects.requireNonNull(osVersion, "osVersion");
    Objects.requireNonNull(biosName, "biosName");
    Objects.requireNonNull(biosVersion, "biosVersion");
    Objects.requireNonNull(tpmVersion, "tpmVersion");
    Objects.requireNonNull(diskEncryption, "diskEncryption");
    Objects.requireNonNull(kernelVersion, "kernelVersion");
    Objects.requireNonNull(bootLoader, "bootLoader");
  }

  /** Facts with no kernel version or boot loader known. */
  public HostFacts(
      String hostName,
      String hardwareUuid,
      String osName,
      String osVersion,
      String biosName,
      String biosVersion,
      String tpmVersion,
      String diskEncryption) {
    this(
        hostName,
        hardwareUuid,
        osName,
        osVersion,
        biosName,
        biosVersion,
        tpmVersion,
        diskEncryption,
        "",
        "");
  }

  /** Facts with no disk encryption known. */
  public HostFacts(
      String hostName,
      String hardwareUuid,
      String osName,
      String osVersion,
      String biosName,
      String biosVersion,
      String tpmVersion) {
    this(hostName, hardwareUuid, osName, osVersion, biosName, biosVersion, tpmVersion, "");
  }

  /** The facts a Vouch agent reports, for a TPM 2.0 host. */
  public static HostFacts of(String hostName, String hardwareUuid, HostInfo info) {
    return new HostFacts(
        hostName,
        hardwareUuid,
        info.osName(),
        info.osVersion(),
        info.biosVendor(),
        info.biosVersion(),
        "2.0",
        info.diskEncryption(),
        info.kernel(),
        "");
  }

  /**
   * The variables template conditions see: {@code host.name}, {@code host.hardware_uuid}, {@code
   * os.name}, {@code os.version}, {@code bios.name}, {@code bios.version}, {@code tpm.version}.
   */
  public Map<String, Object> conditionVariables() {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("host", Map.of("name", hostName, "hardware_uuid", hardwareUuid));
    v.put("os", Map.of("name", osName, "version", osVersion));
    v.put("bios", Map.of("name", biosName, "version", biosVersion));
    v.put("tpm", Map.of("version", tpmVersion));
    return v;
  }
}
