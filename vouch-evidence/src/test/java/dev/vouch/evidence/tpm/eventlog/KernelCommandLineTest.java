package dev.vouch.evidence.tpm.eventlog;

import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.read;
import static dev.vouch.evidence.tpm.eventlog.EventLogVectors.resources;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The kernel command line GRUB measured, read from the real Keylime logs (Fedora 41 with LUKS, RHEL
 * 9 with Secure Boot and no LUKS): counted only when its digests are the hash of the line, and
 * searched for a parameter naming an encrypted root.
 */
class KernelCommandLineTest {
  private static TcgEventLog keylime(String name) throws Exception {
    return TcgEventLog.parse(read(resources().resolve("keylime").resolve(name)));
  }

  private static List<TcgEvent> cmdlines(TcgEventLog log) {
    return log.events().stream()
        .filter(e -> e instanceof IplEvent i && i.text().startsWith("kernel_cmdline: "))
        .toList();
  }

  @Test
  void theLuksLogMeasuresACommandLineNamingItsEncryptedRoot() throws Exception {
    TcgEventLog log = keylime("binary_bios_measurements");
    List<TcgEvent> lines = cmdlines(log);
    assertThat(lines).hasSize(1);
    TcgEvent e = lines.get(0);
    assertThat(e.pcr()).isEqualTo(KernelCommandLine.PCR);
    // both banks (SHA-1 and SHA-256) hash the line without the prefix
    assertThat(e.digests()).hasSize(2);
    String line = KernelCommandLine.measured(e).orElseThrow();
    assertThat(line).startsWith("(hd3,gpt2)/vmlinuz-6.11.5-300.fc41.x86_64 root=UUID=");
    assertThat(KernelCommandLine.encryptedRoot(line))
        .contains("rd.luks.uuid=luks-d53e2fe9-cc84-4bad-b410-16d3a07d6071");
  }

  @Test
  void theSecureBootLogMeasuresACommandLineWithoutEncryption() throws Exception {
    TcgEventLog log = keylime("binary_bios_measurements-secureboot");
    List<TcgEvent> lines = cmdlines(log);
    assertThat(lines).hasSize(1);
    String line = KernelCommandLine.measured(lines.get(0)).orElseThrow();
    assertThat(line).contains("vmlinuz-5.14.0-503.11.1.el9_5.x86_64");
    assertThat(KernelCommandLine.encryptedRoot(line)).isEmpty();
  }

  @Test
  void aCommandLineWhoseDataNoLongerHashesToItsDigestsIsNotMeasured() throws Exception {
    byte[] bytes = read(resources().resolve("keylime").resolve("binary_bios_measurements"));
    TcgEvent e = cmdlines(TcgEventLog.parse(bytes)).get(0);
    byte[] edited = bytes.clone();
    // "ro" -> "rp" in the line: the digests (and so replay) are unchanged, the data is not
    int at =
        indexOf(bytes, e.data(), e.header().offset()) + indexOf(e.data(), " ro ".getBytes(), 0);
    at += 2;
    assertThat(edited[at]).isEqualTo((byte) 'o');
    edited[at] = 'p';
    TcgEventLog forged = TcgEventLog.parse(edited);
    TcgEvent f = cmdlines(forged).get(0);
    assertThat(forged.replay()).isEqualTo(TcgEventLog.parse(bytes).replay());
    assertThat(KernelCommandLine.measured(f)).isEmpty();
  }

  @Test
  void otherBootLoaderEntriesAreNotTheCommandLine() throws Exception {
    TcgEventLog log = keylime("binary_bios_measurements");
    // grub_cmd entries (one of them holds the same "linux ..." line) and every non-IPL entry
    List<TcgEvent> others = log.events().stream().filter(e -> !cmdlines(log).contains(e)).toList();
    assertThat(others).isNotEmpty();
    assertThat(others).allSatisfy(e -> assertThat(KernelCommandLine.measured(e)).isEmpty());
  }

  @Test
  void encryptedRootsAreRecognisedByTheirParameters() {
    assertThat(KernelCommandLine.encryptedRoot("ro rd.luks.name=1234=cryptroot quiet"))
        .contains("rd.luks.name=1234=cryptroot");
    assertThat(KernelCommandLine.encryptedRoot("cryptdevice=UUID=abcd:root root=/dev/mapper/root"))
        .contains("cryptdevice=UUID=abcd:root");
    assertThat(KernelCommandLine.encryptedRoot("root=/dev/mapper/luks-5f0c ro"))
        .contains("root=/dev/mapper/luks-5f0c");
    assertThat(KernelCommandLine.encryptedRoot("root=/dev/mapper/vg0-cryptroot"))
        .contains("root=/dev/mapper/vg0-cryptroot");
    assertThat(KernelCommandLine.encryptedRoot("luks.uuid=5f0c")).contains("luks.uuid=5f0c");
  }

  @Test
  void parametersThatNameNoEncryptedRootAreRefused() {
    assertThat(KernelCommandLine.encryptedRoot("")).isEmpty();
    assertThat(KernelCommandLine.encryptedRoot("root=/dev/mapper/fedora-root ro")).isEmpty();
    // a name without a value, and look-alikes that are not the parameter
    assertThat(KernelCommandLine.encryptedRoot("rd.luks.uuid= rd.luks=0 xrd.luks.uuid=1"))
        .isEmpty();
    assertThat(KernelCommandLine.encryptedRoot("rd.luks.uuid")).isEqualTo(Optional.empty());
  }

  private static final long EV_IPL = 0x0d;

  /**
   * An EV_IPL entry of {@code pcr} with {@code data}, each bank's digest the hash of {@code
   * hashed}.
   */
  private static IplEvent ipl(int pcr, byte[] data, byte[] hashed) {
    java.util.Map<dev.vouch.core.crypto.HashAlg, byte[]> d = new java.util.LinkedHashMap<>();
    d.put(dev.vouch.core.crypto.HashAlg.SHA1, dev.vouch.core.crypto.HashAlg.SHA1.digest(hashed));
    d.put(
        dev.vouch.core.crypto.HashAlg.SHA256, dev.vouch.core.crypto.HashAlg.SHA256.digest(hashed));
    String text =
        EfiData.looksUtf16(data)
            ? EfiData.utf16(data)
            : new String(data, java.nio.charset.StandardCharsets.US_ASCII).replace("\0", "");
    return new IplEvent(EventHeader.of(1, 0, pcr, EV_IPL, d, data), text);
  }

  private static byte[] utf16(String s) {
    return (s + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_16LE);
  }

  @Test
  void aSystemdCommandLineInPcr12CountsWhenItsDigestsAreTheHashOfItsUtf16Data() {
    byte[] line = utf16("quiet rd.luks.uuid=5f0c");
    KernelCommandLine.Measured m =
        KernelCommandLine.measuredByAnyLoader(ipl(12, line, line)).orElseThrow();
    assertThat(m.line()).isEqualTo("quiet rd.luks.uuid=5f0c");
    assertThat(m.measurer()).isEqualTo(KernelCommandLine.Measurer.SYSTEMD);
    assertThat(m.pcr()).isEqualTo(KernelCommandLine.SYSTEMD_PCR);
    // systemd up to 250 measured into PCR 8
    assertThat(KernelCommandLine.measuredByAnyLoader(ipl(8, line, line))).isPresent();
    // and GRUB's form is told apart
    assertThat(KernelCommandLine.measured(ipl(12, line, line))).isEmpty();
  }

  @Test
  void aSystemdEntryWhoseDigestIsNotTheHashOfItsDataIsNotACommandLine() {
    byte[] line = utf16("quiet rd.luks.uuid=5f0c");
    // a credential or add-on: its name is logged, its content hashed
    assertThat(
            KernelCommandLine.measuredByAnyLoader(
                ipl(
                    12,
                    utf16("foo.cred"),
                    "secret".getBytes(java.nio.charset.StandardCharsets.UTF_8))))
        .isEmpty();
    // the line edited after boot, its digests left as measured
    assertThat(KernelCommandLine.measuredByAnyLoader(ipl(12, line, utf16("quiet")))).isEmpty();
    // other registers do not hold command lines
    assertThat(KernelCommandLine.measuredByAnyLoader(ipl(9, line, line))).isEmpty();
    assertThat(KernelCommandLine.measuredByAnyLoader(ipl(11, line, line))).isEmpty();
    // ASCII in PCR 12 is not systemd's form
    byte[] ascii = "quiet rd.luks.uuid=5f0c".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertThat(KernelCommandLine.measuredByAnyLoader(ipl(12, ascii, ascii))).isEmpty();
  }

  @Test
  void grubCommandsAreReadOnlyWhenTheirDigestsCheck() throws Exception {
    TcgEventLog log = keylime("binary_bios_measurements");
    List<String> commands =
        log.events().stream().flatMap(e -> KernelCommandLine.grubCommand(e).stream()).toList();
    assertThat(commands).anyMatch(c -> c.startsWith("linux (hd3,gpt2)/vmlinuz-6.11.5-300.fc41"));
    byte[] cmd = "linux /vmlinuz-1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] data =
        "grub_cmd: linux /vmlinuz-2\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    assertThat(KernelCommandLine.grubCommand(ipl(8, data, cmd))).isEmpty();
  }

  private static int indexOf(byte[] in, byte[] what, int from) {
    for (int i = from; i + what.length <= in.length; i++) {
      if (java.util.Arrays.equals(in, i, i + what.length, what, 0, what.length)) {
        return i;
      }
    }
    return -1;
  }
}
