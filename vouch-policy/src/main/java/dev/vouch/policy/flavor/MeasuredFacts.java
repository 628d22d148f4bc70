package dev.vouch.policy.flavor;

import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.CrtmVersionEvent;
import dev.vouch.evidence.tpm.eventlog.IplEvent;
import dev.vouch.evidence.tpm.eventlog.KernelCommandLine;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Host facts read from a verified firmware event log instead of the agent's word, and where each
 * fact of a report came from. A fact counts as measured only when its event's digest is the hash of
 * its data in every bank the event has, and its PCR was quoted in each of those banks (the log
 * having replayed to the quote). Facts the log does not give stay as the agent reported them and
 * are marked {@link #REPORTED}.
 *
 * <p>Full-disk encryption is read from the kernel command line the boot loader measured into PCR 8
 * (see {@link KernelCommandLine}): the last such entry is the one booted, and when its digests do
 * not check, nothing about the disk counts as measured.
 *
 * @param firmwareVersion the S-CRTM version ({@code EV_S_CRTM_VERSION} in PCR 0), when measured
 * @param kernelCommandLine the kernel command line of the last GRUB {@code kernel_cmdline} entry of
 *     PCR 8, when its digests are the hash of that line and PCR 8 was quoted
 */
public record MeasuredFacts(Optional<String> firmwareVersion, Optional<String> kernelCommandLine) {
  /** A fact read from a digest-checked event of a quoted PCR. */
  public static final String MEASURED = "measured";

  /** A fact the agent reported; unsigned, for display only. */
  public static final String REPORTED = "reported";

  /** A machine identity taken from the EK certificate checked at enrollment. */
  public static final String EK_CERTIFICATE = "ek-certificate";

  /** The prefix of a hardware id taken from the EK certificate. */
  public static final String EK_PREFIX = "ek-sha256:";

  private static final int CRTM_PCR = 0;

  private static final String GRUB_CMDLINE = "kernel_cmdline: ";

  public MeasuredFacts {
    Objects.requireNonNull(firmwareVersion, "firmwareVersion");
    Objects.requireNonNull(kernelCommandLine, "kernelCommandLine");
  }

  /** Nothing measured (no event log, or one that was not verified). */
  public static MeasuredFacts none() {
    return new MeasuredFacts(Optional.empty(), Optional.empty());
  }

  /**
   * The parameter of the measured kernel command line that names an encrypted root; empty when no
   * command line was measured or it names none. Only this satisfies the full-disk encryption
   * prerequisite: what the agent says is never enough.
   */
  public Optional<String> diskEncryption() {
    return kernelCommandLine.flatMap(KernelCommandLine::encryptedRoot);
  }

  /**
   * The facts {@code log} measures, given the PCR values the quote holds.
   *
   * @param log an event log that replayed to {@code quoted}
   * @param quoted the quoted PCR values
   */
  public static MeasuredFacts from(TcgEventLog log, PcrValues quoted) {
    Optional<String> version = Optional.empty();
    Optional<TcgEvent> cmdline = Optional.empty();
    for (TcgEvent e : log.events()) {
      if (e instanceof IplEvent ipl
          && e.pcr() == KernelCommandLine.PCR
          && ipl.text().startsWith(GRUB_CMDLINE)) {
        cmdline = Optional.of(e);
      }
      if (e instanceof CrtmVersionEvent v
          && e.pcr() == CRTM_PCR
          && v.version().isPresent()
          && bound(e, quoted)) {
        // the last one wins, as the register holds every one
        version = Optional.of(v.version().get().strip());
      }
    }
    Optional<String> line =
        cmdline.filter(e -> quotedInABank(e, quoted)).flatMap(KernelCommandLine::measured);
    return new MeasuredFacts(version.filter(s -> !s.isEmpty()), line);
  }

  /**
   * EV_S_CRTM_VERSION content is vendor-defined, so the type is not digest-checked by the log: this
   * entry counts only when its digests are the hash of its data in every bank, each bank quoted.
   */
  /**
   * The entry reached a quoted register in at least one bank. Every bank's digest is then checked
   * against the line itself ({@link KernelCommandLine#measured}), so a bank that was not quoted
   * cannot carry another line: unlike the S-CRTM version, a log with a SHA-1 bank still counts
   * under a SHA-256 quote.
   */
  private static boolean quotedInABank(TcgEvent e, PcrValues quoted) {
    return e.digests().keySet().stream().anyMatch(b -> quoted.get(b, e.pcr()).isPresent());
  }

  private static boolean bound(TcgEvent e, PcrValues quoted) {
    Map<dev.vouch.core.crypto.HashAlg, byte[]> digests = e.digests();
    if (digests.isEmpty()) {
      return false;
    }
    for (var d : digests.entrySet()) {
      if (quoted.get(d.getKey(), e.pcr()).isEmpty()
          || !MessageDigest.isEqual(d.getKey().digest(e.data()), d.getValue())) {
        return false;
      }
    }
    return true;
  }

  /** {@code reported} with the measured facts in place of what the agent said. */
  public HostFacts applyTo(HostFacts reported) {
    return new HostFacts(
        reported.hostName(),
        reported.hardwareUuid(),
        reported.osName(),
        reported.osVersion(),
        reported.biosName(),
        firmwareVersion.orElse(reported.biosVersion()),
        reported.tpmVersion(),
        kernelCommandLine.isPresent() ? diskEncryption().orElse("") : reported.diskEncryption());
  }

  /**
   * Where each known fact of {@code facts} (after {@link #applyTo}) came from: {@code bios_version}
   * {@link #MEASURED} when the log gave it, {@code hardware_uuid} {@link #EK_CERTIFICATE} for an EK
   * identity, everything else {@link #REPORTED}. Unknown (empty) facts are left out.
   */
  public Map<String, String> sources(HostFacts facts) {
    Map<String, String> out = new LinkedHashMap<>();
    put(
        out,
        "hardware_uuid",
        facts.hardwareUuid(),
        facts.hardwareUuid().startsWith(EK_PREFIX) ? EK_CERTIFICATE : REPORTED);
    put(out, "os_name", facts.osName(), REPORTED);
    put(out, "os_version", facts.osVersion(), REPORTED);
    put(out, "bios_name", facts.biosName(), REPORTED);
    put(
        out,
        "bios_version",
        facts.biosVersion(),
        firmwareVersion.isPresent() ? MEASURED : REPORTED);
    put(
        out,
        "disk_encryption",
        facts.diskEncryption(),
        kernelCommandLine.isPresent() ? MEASURED : REPORTED);
    return out;
  }

  private static void put(Map<String, String> out, String key, String value, String source) {
    if (!value.isEmpty()) {
      out.put(key, source);
    }
  }
}
