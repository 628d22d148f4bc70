package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.crypto.HashAlg;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel command line a boot loader measured, and whether it names an encrypted root.
 *
 * <p>GRUB logs the command line it boots as an {@code EV_IPL} event of PCR 8 whose data is {@code
 * "kernel_cmdline: "}, the command line and a NUL, and extends the hash of the command line alone
 * (as the Keylime vectors show in both banks); its commands ({@code "grub_cmd: "}) follow the same
 * rule. systemd-stub and systemd-boot log the command line they pass to the kernel as an {@code
 * EV_IPL} event of PCR 12 (PCR 8 up to systemd 250) whose data is the UTF-16LE line with its NUL,
 * and extend the hash of exactly those bytes. IPL digests are {@link DigestBinding#EXTERNAL} in
 * general, so this class checks these rules itself: a command line counts only when every digest of
 * its event is the hash of the text it shows. (A UKI's embedded {@code .cmdline} is measured into
 * PCR 11 under the section's name only: the log does not hold its text, so it is not read here.)
 */
public final class KernelCommandLine {
  /** The register GRUB measures commands and the kernel command line into. */
  public static final int PCR = 8;

  /** The register systemd-stub and systemd-boot measure the kernel command line into. */
  public static final int SYSTEMD_PCR = 12;

  /** GRUB's prefix of the kernel command line entry. */
  public static final String GRUB_KERNEL_CMDLINE = "kernel_cmdline: ";

  /** GRUB's prefix of a command entry. */
  public static final String GRUB_COMMAND = "grub_cmd: ";

  /** Who measured a command line, told by the form of its entry. */
  public enum Measurer {
    /** GRUB: an ASCII {@code kernel_cmdline:} entry of PCR 8. */
    GRUB,
    /** systemd-stub or systemd-boot: a UTF-16LE entry of PCR 12 (or PCR 8 before systemd 251). */
    SYSTEMD
  }

  /**
   * A command line read from a digest-checked entry.
   *
   * @param line the command line
   * @param measurer the boot loader whose entry form it had
   * @param pcr the register the entry extended
   */
  public record Measured(String line, Measurer measurer, int pcr) {
    public Measured {
      java.util.Objects.requireNonNull(line, "line");
      java.util.Objects.requireNonNull(measurer, "measurer");
    }
  }

  /** Parameters whose value names a LUKS or dm-crypt volume the initramfs unlocks. */
  private static final List<String> CRYPT_PARAMETERS =
      List.of("rd.luks.uuid=", "rd.luks.name=", "luks.uuid=", "luks.name=", "cryptdevice=");

  private static final String ROOT = "root=/dev/mapper/";

  private KernelCommandLine() {}

  /**
   * The command line of a GRUB {@code kernel_cmdline} event of PCR {@value #PCR} whose digests, in
   * every bank the event has, are the hash of that command line; empty for any other event.
   */
  public static Optional<String> measured(TcgEvent e) {
    return e.pcr() == PCR ? grubString(e, GRUB_KERNEL_CMDLINE) : Optional.empty();
  }

  /**
   * The command line of {@code e} when it is a digest-checked GRUB {@code kernel_cmdline} entry of
   * PCR {@value #PCR} ({@link #measured}) or a systemd entry: a UTF-16LE {@code EV_IPL} of PCR
   * {@value #SYSTEMD_PCR} or {@value #PCR} whose digests, in every bank, are the hash of its data.
   * Other PCR 12 entries of systemd (credentials, add-ons) name a file whose content was hashed, so
   * the hash of their data differs and they are not taken for a command line.
   */
  public static Optional<Measured> measuredByAnyLoader(TcgEvent e) {
    Optional<String> grub = measured(e);
    if (grub.isPresent()) {
      return Optional.of(new Measured(grub.get(), Measurer.GRUB, e.pcr()));
    }
    if (!(e instanceof IplEvent ipl)
        || (e.pcr() != SYSTEMD_PCR && e.pcr() != PCR)
        || !EfiData.looksUtf16(e.data())
        || !digestsAreHashOf(e, e.data())) {
      return Optional.empty();
    }
    return Optional.of(new Measured(ipl.text(), Measurer.SYSTEMD, e.pcr()));
  }

  /**
   * The command of a GRUB {@code grub_cmd} entry of PCR {@value #PCR} whose digests are the hash of
   * that command (e.g. {@code linux /vmlinuz-6.11.5-300.fc41.x86_64 root=...}); empty otherwise.
   */
  public static Optional<String> grubCommand(TcgEvent e) {
    return e.pcr() == PCR ? grubString(e, GRUB_COMMAND) : Optional.empty();
  }

  private static Optional<String> grubString(TcgEvent e, String prefix) {
    byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
    if (!(e instanceof IplEvent)) {
      return Optional.empty();
    }
    byte[] data = e.data();
    if (data.length < p.length || !Arrays.equals(data, 0, p.length, p, 0, p.length)) {
      return Optional.empty();
    }
    int end = data.length;
    while (end > p.length && data[end - 1] == 0) {
      end--;
    }
    byte[] text = Arrays.copyOfRange(data, p.length, end);
    return digestsAreHashOf(e, text)
        ? Optional.of(new String(text, StandardCharsets.UTF_8))
        : Optional.empty();
  }

  /** Every digest of {@code e} (at least one) is the hash of {@code bytes} in its bank. */
  private static boolean digestsAreHashOf(TcgEvent e, byte[] bytes) {
    Map<HashAlg, byte[]> digests = e.digests();
    if (digests.isEmpty()) {
      return false;
    }
    for (Map.Entry<HashAlg, byte[]> d : digests.entrySet()) {
      if (!MessageDigest.isEqual(d.getKey().digest(bytes), d.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The first parameter of {@code cmdline} that names an encrypted root: {@code rd.luks.uuid=},
   * {@code rd.luks.name=} (and their {@code luks.*} forms), {@code cryptdevice=}, or a {@code
   * root=/dev/mapper/} device whose name says LUKS or crypt (as distribution installers name
   * dm-crypt roots). Empty when none does, or a parameter has no value.
   */
  public static Optional<String> encryptedRoot(String cmdline) {
    for (String p : cmdline.strip().split("\\s+")) {
      for (String name : CRYPT_PARAMETERS) {
        if (p.startsWith(name) && p.length() > name.length()) {
          return Optional.of(p);
        }
      }
      if (p.startsWith(ROOT)) {
        String device = p.substring(ROOT.length()).toLowerCase(Locale.ROOT);
        if (device.startsWith("luks") || device.contains("crypt")) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }
}
