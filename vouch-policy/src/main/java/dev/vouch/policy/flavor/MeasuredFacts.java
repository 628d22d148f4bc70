package dev.vouch.policy.flavor;

import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.CrtmVersionEvent;
import dev.vouch.evidence.tpm.eventlog.EfiImageLoadEvent;
import dev.vouch.evidence.tpm.eventlog.EfiVariableEvent;
import dev.vouch.evidence.tpm.eventlog.IplEvent;
import dev.vouch.evidence.tpm.eventlog.KernelCommandLine;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Host facts read from a verified firmware event log (and a verified IMA list) instead of the
 * agent's word, and where each fact of a report came from. A fact counts as measured only when its
 * event's digest is the hash of its data in every bank the event has, and its PCR was quoted (the
 * log having replayed to the quote). Facts the log does not give stay as the agent reported them
 * and are marked {@link #REPORTED}.
 *
 * <p>Full-disk encryption is read from the kernel command line the boot loader measured (GRUB into
 * PCR 8, systemd-stub and systemd-boot into PCR 12; see {@link KernelCommandLine}): the last such
 * entry is the one booted, and when its digests do not check, nothing about the disk counts as
 * measured from it. An IMA entry of {@code cryptsetup} or {@code systemd-cryptsetup} among the
 * entries the quoted PCR 10 covers also shows an encrypted volume was opened. The kernel release
 * and the distribution its tag names ({@code .fc41}, {@code .el9_5}) are read from the kernel path
 * at the head of GRUB's measured command line, and the boot loader from the form of that entry.
 *
 * @param firmwareVersion the S-CRTM version ({@code EV_S_CRTM_VERSION} in PCR 0), when measured
 * @param commandLine the kernel command line of the last boot-loader entry (GRUB {@code
 *     kernel_cmdline} of PCR 8, systemd UTF-16LE line of PCR 12 or 8), when its digests are the
 *     hash of that line and its PCR was quoted
 * @param cryptsetup the path of the first IMA entry of a cryptsetup binary among the quoted entries
 * @param shim shim's {@code SbatLevel} entry of PCR 7 was digest-checked in a quoted PCR 7
 * @param startedApplications the boot loaders the PCR 4 {@code EV_EFI_BOOT_SERVICES_APPLICATION}
 *     entries of a quoted PCR 4 name by file ({@code shim}, {@code grub}, {@code systemd-boot}), in
 *     order; their text is not covered by the digests
 */
public record MeasuredFacts(
    Optional<String> firmwareVersion,
    Optional<KernelCommandLine.Measured> commandLine,
    Optional<String> cryptsetup,
    boolean shim,
    List<String> startedApplications) {
  /** A fact read from a digest-checked event of a quoted PCR. */
  public static final String MEASURED = "measured";

  /**
   * A fact read from an entry of a quoted PCR in the replayed log whose digests do not cover the
   * text it was read from: the entry was extended, its text may have been changed since.
   */
  public static final String LOGGED = "logged";

  /** A fact the agent reported; unsigned, for display only. */
  public static final String REPORTED = "reported";

  /** A machine identity taken from the EK certificate checked at enrollment. */
  public static final String EK_CERTIFICATE = "ek-certificate";

  /** The prefix of a hardware id taken from the EK certificate. */
  public static final String EK_PREFIX = "ek-sha256:";

  /** The prefix of a disk-encryption fact read from an IMA entry. */
  public static final String IMA_PREFIX = "ima:";

  private static final int CRTM_PCR = 0;

  private static final int BOOT_APPLICATIONS_PCR = 4;

  private static final int SECURE_BOOT_PCR = 7;

  private static final long EV_EFI_VARIABLE_AUTHORITY = 0x800000e0L;

  /** The variable shim logs its SBAT revocation level under; firmware logs no such entry. */
  private static final String SBAT_LEVEL = "SbatLevel";

  /** The binaries that open LUKS or dm-crypt volumes, by file name. */
  private static final java.util.Set<String> CRYPTSETUP =
      java.util.Set.of("cryptsetup", "systemd-cryptsetup");

  /** Kernel image names as boot loaders find them: {@code vmlinuz-<release>}. */
  private static final java.util.regex.Pattern KERNEL =
      java.util.regex.Pattern.compile("(?:vmlinuz|vmlinux|bzImage|kernel)-([0-9][^/\\s]*)");

  /** Distribution tags of a kernel release: {@code .fc41}, {@code .el9_5}. */
  private static final java.util.regex.Pattern DISTRO =
      java.util.regex.Pattern.compile("\\.(fc|el)(\\d+)(?:_(\\d+))?(?:\\.|$)");

  public MeasuredFacts {
    Objects.requireNonNull(firmwareVersion, "firmwareVersion");
    Objects.requireNonNull(commandLine, "commandLine");
    Objects.requireNonNull(cryptsetup, "cryptsetup");
    startedApplications = List.copyOf(startedApplications);
  }

  /** Nothing measured (no event log, or one that was not verified). */
  public static MeasuredFacts none() {
    return new MeasuredFacts(
        Optional.empty(), Optional.empty(), Optional.empty(), false, List.of());
  }

  /**
   * The same facts with {@code carried} as the cryptsetup run when these show none: a run measured
   * earlier in the same boot, read before an IMA checkpoint these entries continue from.
   */
  public MeasuredFacts withCryptsetup(Optional<String> carried) {
    return new MeasuredFacts(
        firmwareVersion, commandLine, cryptsetup.or(() -> carried), shim, startedApplications);
  }

  /** The measured kernel command line, when there is one. */
  public Optional<String> kernelCommandLine() {
    return commandLine.map(KernelCommandLine.Measured::line);
  }

  /**
   * What shows the disk encrypted: the parameter of the measured kernel command line that names an
   * encrypted root, else {@code ima:} and the path of a measured cryptsetup run; empty when neither
   * was measured. Only this satisfies the full-disk encryption prerequisite: what the agent says is
   * never enough.
   */
  public Optional<String> diskEncryption() {
    return kernelCommandLine()
        .flatMap(KernelCommandLine::encryptedRoot)
        .or(() -> cryptsetup.map(p -> IMA_PREFIX + p));
  }

  /** True when something about the disk was measured (a command line, or a cryptsetup run). */
  public boolean diskMeasured() {
    return commandLine.isPresent() || cryptsetup.isPresent();
  }

  /**
   * The kernel path GRUB measured: the first word of its measured command line (GRUB's {@code
   * kernel_cmdline} begins with the image it loads); empty for other boot loaders.
   */
  public Optional<String> kernelPath() {
    return commandLine
        .filter(c -> c.measurer() == KernelCommandLine.Measurer.GRUB)
        .map(c -> c.line().strip().split("\\s+", 2)[0])
        .filter(p -> !p.isEmpty());
  }

  /** The kernel release in the measured kernel path ({@code vmlinuz-6.11.5-300.fc41.x86_64}). */
  public Optional<String> kernelVersion() {
    return kernelPath()
        .flatMap(
            p -> {
              java.util.regex.Matcher m = KERNEL.matcher(p.substring(p.lastIndexOf('/') + 1));
              return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
            });
  }

  /**
   * The distribution the measured kernel release is tagged for: {@code Fedora}/{@code 41} for
   * {@code .fc41}, {@code Enterprise Linux}/{@code 9.5} for {@code .el9_5} (RHEL and its rebuilds
   * share the tag); empty for releases without such a tag.
   */
  public Optional<Map.Entry<String, String>> os() {
    return kernelVersion()
        .flatMap(
            v -> {
              java.util.regex.Matcher m = DISTRO.matcher(v);
              if (!m.find()) {
                return Optional.empty();
              }
              String version = m.group(3) == null ? m.group(2) : m.group(2) + "." + m.group(3);
              return Optional.of(
                  Map.entry(m.group(1).equals("fc") ? "Fedora" : "Enterprise Linux", version));
            });
  }

  /**
   * The measured boot loaders, in boot order: {@code shim} when its SBAT entry was measured, then
   * {@code grub} or {@code systemd}, the loader whose measured entry gave the command line (e.g.
   * {@code shim > grub}); empty when none was measured.
   */
  public Optional<String> bootLoader() {
    List<String> chain = new java.util.ArrayList<>();
    if (shim) {
      chain.add("shim");
    }
    commandLine.ifPresent(c -> chain.add(c.measurer().name().toLowerCase(java.util.Locale.ROOT)));
    return chain.isEmpty() ? Optional.empty() : Optional.of(String.join(" > ", chain));
  }

  /** The boot loader named by the PCR 4 applications only ({@link #LOGGED}), when any is. */
  public Optional<String> loggedBootLoader() {
    return startedApplications.isEmpty()
        ? Optional.empty()
        : Optional.of(String.join(" > ", startedApplications));
  }

  /**
   * The facts {@code log} measures, given the PCR values the quote holds.
   *
   * @param log an event log that replayed to {@code quoted}
   * @param quoted the quoted PCR values
   */
  public static MeasuredFacts from(TcgEventLog log, PcrValues quoted) {
    return from(log, quoted, Optional.empty());
  }

  /**
   * The same, with the IMA entries the quoted PCR 10 covers ({@link HostEvidence#ima}), whose
   * template hashes were checked and whose list replayed to that PCR.
   */
  public static MeasuredFacts from(
      TcgEventLog log, PcrValues quoted, Optional<List<ImaMeasurement>> ima) {
    Optional<String> version = Optional.empty();
    Optional<TcgEvent> cmdline = Optional.empty();
    boolean shim = false;
    List<String> started = new java.util.ArrayList<>();
    for (TcgEvent e : log.events()) {
      if (e instanceof EfiVariableEvent v
          && e.pcr() == SECURE_BOOT_PCR
          && e.type() == EV_EFI_VARIABLE_AUTHORITY
          && v.name().equals(SBAT_LEVEL)
          && quotedInABank(e, quoted)
          && hashOfData(e)) {
        shim = true;
      }
      if (e instanceof EfiImageLoadEvent img
          && e.pcr() == BOOT_APPLICATIONS_PCR
          && quotedInABank(e, quoted)) {
        img.devicePathText().flatMap(MeasuredFacts::loaderNamed).ifPresent(started::add);
      }
      if (isGrubCommandLine(e) || KernelCommandLine.measuredByAnyLoader(e).isPresent()) {
        // a GRUB entry counts as the line booted even when its digests fail (so a forged last
        // line hides no earlier one); systemd's PCR 12 holds other UTF-16 entries (credentials),
        // told from its line only by the digest
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
    Optional<KernelCommandLine.Measured> line =
        cmdline
            .filter(e -> quotedInABank(e, quoted))
            .flatMap(KernelCommandLine::measuredByAnyLoader);
    Optional<String> crypt =
        ima.orElse(List.of()).stream()
            .filter(m -> CRYPTSETUP.contains(m.file().substring(m.file().lastIndexOf('/') + 1)))
            // a violation's zero digest says the file changed while measured: not a clean run
            .filter(m -> !m.measurement().chars().allMatch(c -> c == '0'))
            .map(ImaMeasurement::file)
            .findFirst();
    return new MeasuredFacts(version.filter(s -> !s.isEmpty()), line, crypt, shim, started);
  }

  /** The boot loader a UEFI application's file name says it is, when it says one. */
  static Optional<String> loaderNamed(String devicePath) {
    String name = devicePath.substring(devicePath.lastIndexOf('\\') + 1);
    name = name.substring(name.lastIndexOf('/') + 1).toLowerCase(java.util.Locale.ROOT);
    if (name.startsWith("shim")) {
      return Optional.of("shim");
    }
    if (name.startsWith("grub")) {
      return Optional.of("grub");
    }
    if (name.startsWith("systemd-boot")) {
      return Optional.of("systemd-boot");
    }
    return Optional.empty();
  }

  /** Every digest of {@code e} (at least one) is the hash of its data. */
  private static boolean hashOfData(TcgEvent e) {
    return !e.digests().isEmpty()
        && e.digests().entrySet().stream()
            .allMatch(d -> MessageDigest.isEqual(d.getKey().digest(e.data()), d.getValue()));
  }

  private static boolean isGrubCommandLine(TcgEvent e) {
    return e instanceof IplEvent ipl
        && e.pcr() == KernelCommandLine.PCR
        && ipl.text().startsWith(KernelCommandLine.GRUB_KERNEL_CMDLINE);
  }

  /**
   * The entry reached a quoted register in at least one bank. Every bank's digest is then checked
   * against the line itself ({@link KernelCommandLine#measuredByAnyLoader}), so a bank that was not
   * quoted cannot carry another line: unlike the S-CRTM version, a log with a SHA-1 bank still
   * counts under a SHA-256 quote.
   */
  private static boolean quotedInABank(TcgEvent e, PcrValues quoted) {
    return e.digests().keySet().stream().anyMatch(b -> quoted.get(b, e.pcr()).isPresent());
  }

  /**
   * EV_S_CRTM_VERSION content is vendor-defined, so the type is not digest-checked by the log: this
   * entry counts only when its digests are the hash of its data in every bank, each bank quoted.
   */
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
    Optional<Map.Entry<String, String>> os = os();
    return new HostFacts(
        reported.hostName(),
        reported.hardwareUuid(),
        os.map(Map.Entry::getKey).orElse(reported.osName()),
        os.map(Map.Entry::getValue).orElse(reported.osVersion()),
        reported.biosName(),
        firmwareVersion.orElse(reported.biosVersion()),
        reported.tpmVersion(),
        diskMeasured() ? diskEncryption().orElse("") : reported.diskEncryption(),
        kernelVersion().orElse(reported.kernelVersion()),
        bootLoader().or(this::loggedBootLoader).orElse(reported.bootLoader()));
  }

  /**
   * Where each known fact of {@code facts} (after {@link #applyTo}) came from: {@code
   * bios_version}, {@code disk_encryption}, {@code kernel_version}, {@code os_name}/{@code
   * os_version} and {@code boot_loader} {@link #MEASURED} when the logs gave them, {@code
   * hardware_uuid} {@link #EK_CERTIFICATE} for an EK identity, everything else {@link #REPORTED}.
   * Unknown (empty) facts are left out.
   */
  public Map<String, String> sources(HostFacts facts) {
    Map<String, String> out = new LinkedHashMap<>();
    put(
        out,
        "hardware_uuid",
        facts.hardwareUuid(),
        facts.hardwareUuid().startsWith(EK_PREFIX) ? EK_CERTIFICATE : REPORTED);
    put(out, "os_name", facts.osName(), source(os().isPresent()));
    put(out, "os_version", facts.osVersion(), source(os().isPresent()));
    put(out, "bios_name", facts.biosName(), REPORTED);
    put(out, "bios_version", facts.biosVersion(), source(firmwareVersion.isPresent()));
    put(out, "disk_encryption", facts.diskEncryption(), source(diskMeasured()));
    put(out, "kernel_version", facts.kernelVersion(), source(kernelVersion().isPresent()));
    put(
        out,
        "boot_loader",
        facts.bootLoader(),
        bootLoader().isPresent() ? MEASURED : loggedBootLoader().isPresent() ? LOGGED : REPORTED);
    return out;
  }

  private static String source(boolean measured) {
    return measured ? MEASURED : REPORTED;
  }

  private static void put(Map<String, String> out, String key, String value, String source) {
    if (!value.isEmpty()) {
      out.put(key, source);
    }
  }
}
