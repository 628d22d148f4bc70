package dev.vouch.agent.trust;

import dev.vouch.evidence.tpm.protocol.HostIds;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the trust agent finds what it reports.
 *
 * @param hostId this host's id (see {@link HostIds}); the NATS subject and the registrar use it
 * @param eventLog the TCG firmware event log, normally {@link #KERNEL_EVENT_LOG}
 * @param imaLog the binary IMA measurement list, normally {@link #KERNEL_IMA_LOG}
 * @param hostRoot the file system root for host facts ({@code /}; tests point it elsewhere):
 *     etc/os-release, proc/sys/kernel/osrelease, sys/class/dmi/id/bios_{vendor,version}
 * @param softwareManifest the files and directories to measure into PCR 15 at start ({@link
 *     SoftwareMeasurer}); none when empty
 * @param softwareLog where the measurements of this boot are kept, normally {@link #SOFTWARE_LOG}
 *     (a tmpfs: it must not outlive the boot whose PCR 15 it explains)
 */
public record TrustAgentConfig(
    String hostId,
    Path eventLog,
    Path imaLog,
    Path hostRoot,
    Optional<Path> softwareManifest,
    Path softwareLog) {
  public static final Path KERNEL_EVENT_LOG =
      Path.of("/sys/kernel/security/tpm0/binary_bios_measurements");
  public static final Path KERNEL_IMA_LOG =
      Path.of("/sys/kernel/security/ima/binary_runtime_measurements");
  public static final Path SOFTWARE_LOG = Path.of("/run/vouch/software-measurements.json");

  public TrustAgentConfig {
    if (!HostIds.isValid(hostId)) {
      throw new IllegalArgumentException("host id must be 1-128 characters of A-Z a-z 0-9 _ -");
    }
    Objects.requireNonNull(eventLog, "eventLog");
    Objects.requireNonNull(imaLog, "imaLog");
    Objects.requireNonNull(hostRoot, "hostRoot");
    Objects.requireNonNull(softwareManifest, "softwareManifest");
    Objects.requireNonNull(softwareLog, "softwareLog");
  }

  /** No software manifest. */
  public TrustAgentConfig(String hostId, Path eventLog, Path imaLog, Path hostRoot) {
    this(hostId, eventLog, imaLog, hostRoot, Optional.empty(), SOFTWARE_LOG);
  }

  /** The same, measuring the files {@code manifest} lists, the log kept at {@code log}. */
  public TrustAgentConfig withSoftware(Path manifest, Path log) {
    return new TrustAgentConfig(hostId, eventLog, imaLog, hostRoot, Optional.of(manifest), log);
  }

  /** The kernel's logs and the real host root. */
  public static TrustAgentConfig defaults(String hostId) {
    return new TrustAgentConfig(hostId, KERNEL_EVENT_LOG, KERNEL_IMA_LOG, Path.of("/"));
  }
}
