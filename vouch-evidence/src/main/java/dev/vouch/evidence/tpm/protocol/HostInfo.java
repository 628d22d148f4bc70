package dev.vouch.evidence.tpm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.VerificationException;
import java.util.Objects;
import java.util.Set;

/**
 * Facts an agent reports about its host. They are unsigned, for display and inventory only: trust
 * decisions rest on the quote. An empty string means the agent could not read the fact.
 *
 * @param osName operating system name ({@code NAME} of /etc/os-release)
 * @param osVersion its version ({@code VERSION_ID})
 * @param kernel the running kernel release
 * @param biosVendor firmware vendor (/sys/class/dmi/id/bios_vendor)
 * @param biosVersion firmware version (/sys/class/dmi/id/bios_version)
 * @param tpmManufacturer TPM manufacturer id as ASCII, e.g. "IBM", "INTC"
 * @param tpmVendor TPM vendor string
 * @param tpmFirmware TPM firmware version, four dotted numbers
 * @param hardwareUuid the SMBIOS system UUID (/sys/class/dmi/id/product_uuid), lower case; the
 *     server binds HOST_UNIQUE flavors to it
 * @param diskEncryption the parameter of the running kernel's command line (/proc/cmdline) that
 *     names an encrypted root, e.g. {@code rd.luks.uuid=luks-...}; the agent's word only, shown as
 *     reported: the server's full-disk encryption check reads the measured command line instead
 */
public record HostInfo(
    String osName,
    String osVersion,
    String kernel,
    String biosVendor,
    String biosVersion,
    String tpmManufacturer,
    String tpmVendor,
    String tpmFirmware,
    String hardwareUuid,
    String diskEncryption) {

  private static final Set<String> MEMBERS =
      Set.of(
          "os_name",
          "os_version",
          "kernel",
          "bios_vendor",
          "bios_version",
          "tpm_manufacturer",
          "tpm_vendor",
          "tpm_firmware",
          "hardware_uuid",
          "disk_encryption");

  public HostInfo {
    Objects.requireNonNull(osName, "osName");
    Objects.requireNonNull(osVersion, "osVersion");
    Objects.requireNonNull(kernel, "kernel");
    Objects.requireNonNull(biosVendor, "biosVendor");
    Objects.requireNonNull(biosVersion, "biosVersion");
    Objects.requireNonNull(tpmManufacturer, "tpmManufacturer");
    Objects.requireNonNull(tpmVendor, "tpmVendor");
    Objects.requireNonNull(tpmFirmware, "tpmFirmware");
    Objects.requireNonNull(hardwareUuid, "hardwareUuid");
    Objects.requireNonNull(diskEncryption, "diskEncryption");
  }

  /** The facts of an agent that reports no disk encryption (older agents, tests). */
  public HostInfo(
      String osName,
      String osVersion,
      String kernel,
      String biosVendor,
      String biosVersion,
      String tpmManufacturer,
      String tpmVendor,
      String tpmFirmware,
      String hardwareUuid) {
    this(
        osName,
        osVersion,
        kernel,
        biosVendor,
        biosVersion,
        tpmManufacturer,
        tpmVendor,
        tpmFirmware,
        hardwareUuid,
        "");
  }

  ObjectNode toJsonNode() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("os_name", osName);
    o.put("os_version", osVersion);
    o.put("kernel", kernel);
    o.put("bios_vendor", biosVendor);
    o.put("bios_version", biosVersion);
    o.put("tpm_manufacturer", tpmManufacturer);
    o.put("tpm_vendor", tpmVendor);
    o.put("tpm_firmware", tpmFirmware);
    o.put("hardware_uuid", hardwareUuid);
    if (!diskEncryption.isEmpty()) {
      // left out when unknown, so that servers older than the member still accept the answer
      o.put("disk_encryption", diskEncryption);
    }
    return o;
  }

  static HostInfo fromJsonNode(JsonNode o) throws VerificationException {
    if (!o.isObject()) {
      throw new VerificationException(
          dev.vouch.core.Failure.MALFORMED, "\"host\" must be an object");
    }
    Json.onlyMembers(o, MEMBERS, "host info");
    return new HostInfo(
        Json.optionalText(o, "os_name").orElse(""),
        Json.optionalText(o, "os_version").orElse(""),
        Json.optionalText(o, "kernel").orElse(""),
        Json.optionalText(o, "bios_vendor").orElse(""),
        Json.optionalText(o, "bios_version").orElse(""),
        Json.optionalText(o, "tpm_manufacturer").orElse(""),
        Json.optionalText(o, "tpm_vendor").orElse(""),
        Json.optionalText(o, "tpm_firmware").orElse(""),
        Json.optionalText(o, "hardware_uuid").orElse(""),
        Json.optionalText(o, "disk_encryption").orElse(""));
  }
}
