package dev.vouch.agent.trust;

import dev.vouch.evidence.tpm.protocol.HostIds;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the trust agent finds what it reports.
 *
 * @param hostId this host's id (see {@link HostIds}); the NATS subject and the registrar use it
 * @param eventLog the TCG firmware event log, normally {@link #KERNEL_EVENT_LOG}
 * @param imaLog the binary IMA measurement list, normally {@link #KERNEL_IMA_LOG}
 * @param hostRoot the file system root for host facts ({@code /}; tests point it elsewhere):
 *     etc/os-release, proc/sys/kernel/osrelease, sys/class/dmi/id/bios_{vendor,version}
 */
public record TrustAgentConfig(String hostId, Path eventLog, Path imaLog, Path hostRoot) {
  public static final Path KERNEL_EVENT_LOG =
      Path.of("/sys/kernel/security/tpm0/binary_bios_measurements");
  public static final Path KERNEL_IMA_LOG =
      Path.of("/sys/kernel/security/ima/binary_runtime_measurements");

  public TrustAgentConfig {
    if (!HostIds.isValid(hostId)) {
      throw new IllegalArgumentException("host id must be 1-128 characters of A-Z a-z 0-9 _ -");
    }
    Objects.requireNonNull(eventLog, "eventLog");
    Objects.requireNonNull(imaLog, "imaLog");
    Objects.requireNonNull(hostRoot, "hostRoot");
  }

  /** The kernel's logs and the real host root. */
  public static TrustAgentConfig defaults(String hostId) {
    return new TrustAgentConfig(hostId, KERNEL_EVENT_LOG, KERNEL_IMA_LOG, Path.of("/"));
  }
}
