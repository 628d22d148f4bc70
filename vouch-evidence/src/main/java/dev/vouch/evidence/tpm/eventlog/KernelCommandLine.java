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
 * (as the Keylime vectors show in both banks). IPL digests are {@link DigestBinding#EXTERNAL} in
 * general, so this class checks that rule itself: a command line counts only when every digest of
 * its event is the hash of the text after the prefix.
 */
public final class KernelCommandLine {
  /** The register GRUB measures commands and the kernel command line into. */
  public static final int PCR = 8;

  private static final byte[] GRUB_PREFIX = "kernel_cmdline: ".getBytes(StandardCharsets.US_ASCII);

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
    if (!(e instanceof IplEvent) || e.pcr() != PCR) {
      return Optional.empty();
    }
    byte[] data = e.data();
    if (data.length < GRUB_PREFIX.length
        || !Arrays.equals(data, 0, GRUB_PREFIX.length, GRUB_PREFIX, 0, GRUB_PREFIX.length)) {
      return Optional.empty();
    }
    int end = data.length;
    while (end > GRUB_PREFIX.length && data[end - 1] == 0) {
      end--;
    }
    byte[] line = Arrays.copyOfRange(data, GRUB_PREFIX.length, end);
    Map<HashAlg, byte[]> digests = e.digests();
    if (digests.isEmpty()) {
      return Optional.empty();
    }
    for (Map.Entry<HashAlg, byte[]> d : digests.entrySet()) {
      if (!MessageDigest.isEqual(d.getKey().digest(line), d.getValue())) {
        return Optional.empty();
      }
    }
    return Optional.of(new String(line, StandardCharsets.UTF_8));
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
