package dev.vouch.agent.trust;

import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.agent.tpm.TpmInfo;
import dev.vouch.evidence.tpm.eventlog.KernelCommandLine;
import dev.vouch.evidence.tpm.protocol.HostInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the host facts a trust agent reports: OS from os-release, kernel release from procfs, BIOS
 * from DMI sysfs (often readable only by root: then empty), TPM identity from GetCapability and the
 * encrypted root the kernel command line names.
 */
final class HostFacts {
  /** Longest fact file read; sysfs and os-release files are tiny. */
  private static final long MAX_FILE = 64 * 1024;

  private HostFacts() {}

  static HostInfo collect(Path root, TpmClient tpm) throws TpmException {
    Map<String, String> os = osRelease(root.resolve("etc/os-release"));
    if (os.isEmpty()) {
      os = osRelease(root.resolve("usr/lib/os-release"));
    }
    String kernel = firstLine(root.resolve("proc/sys/kernel/osrelease"));
    TpmInfo info = tpm.info();
    return new HostInfo(
        os.getOrDefault("NAME", ""),
        os.getOrDefault("VERSION_ID", ""),
        kernel,
        firstLine(root.resolve("sys/class/dmi/id/bios_vendor")),
        firstLine(root.resolve("sys/class/dmi/id/bios_version")),
        info.manufacturer(),
        info.vendorString(),
        info.firmwareVersion(),
        hardwareUuid(firstLine(root.resolve("sys/class/dmi/id/product_uuid"))),
        KernelCommandLine.encryptedRoot(firstLine(root.resolve("proc/cmdline"))).orElse(""));
  }

  /**
   * The SMBIOS system UUID in lower case, or empty when it is not a UUID (unreadable without root
   * on many systems, or a firmware placeholder of all zeros or all ones).
   */
  static String hardwareUuid(String text) {
    try {
      java.util.UUID u = java.util.UUID.fromString(text);
      String s = u.toString();
      boolean placeholder =
          s.equals("00000000-0000-0000-0000-000000000000")
              || s.equals("ffffffff-ffff-ffff-ffff-ffffffffffff");
      // UUID.fromString accepts short groups; only the canonical 36-character form is kept
      return placeholder || !s.equalsIgnoreCase(text) ? "" : s;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  /** KEY=value lines, values optionally quoted (os-release(5)); unreadable gives empty. */
  static Map<String, String> osRelease(Path file) {
    Map<String, String> out = new HashMap<>();
    for (String line : read(file).split("\n")) {
      int eq = line.indexOf('=');
      if (eq <= 0 || line.startsWith("#")) {
        continue;
      }
      String v = line.substring(eq + 1).strip();
      if (v.length() >= 2
          && (v.charAt(0) == '"' || v.charAt(0) == '\'')
          && v.charAt(v.length() - 1) == v.charAt(0)) {
        v = v.substring(1, v.length() - 1);
      }
      out.put(line.substring(0, eq).strip(), v);
    }
    return out;
  }

  private static String firstLine(Path file) {
    String s = read(file);
    int nl = s.indexOf('\n');
    return (nl >= 0 ? s.substring(0, nl) : s).strip();
  }

  /** The file's text, or empty when it is missing, unreadable or implausibly large. */
  private static String read(Path file) {
    try {
      if (!Files.isReadable(file) || Files.size(file) > MAX_FILE) {
        return "";
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      // a fact the agent cannot read is reported as unknown; it never fails a quote
      return "";
    }
  }
}
