package dev.vouch.server.hosts;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the verifier asks each host for.
 *
 * @param pcrs registers to quote per bank
 * @param eventLog whether to fetch and replay the firmware event log
 * @param ima whether to fetch the IMA list (from entry 0) and replay it against PCR 10, which the
 *     plan must then quote
 * @param software whether to fetch the software measurements and replay them against SHA-256 PCR
 *     15, which the plan must then quote
 */
public record QuotePlan(
    Map<HashAlg, SortedSet<Integer>> pcrs, boolean eventLog, boolean ima, boolean software) {
  public QuotePlan {
    pcrs = Map.copyOf(pcrs);
    if (pcrs.isEmpty()) {
      throw new IllegalArgumentException("a plan quotes at least one bank");
    }
    if (ima && pcrs.values().stream().noneMatch(r -> r.contains(10))) {
      throw new IllegalArgumentException("checking IMA needs PCR 10 in the quote");
    }
    if (software
        && !pcrs.getOrDefault(HashAlg.SHA256, new TreeSet<>()).contains(SoftwareMeasurement.PCR)) {
      throw new IllegalArgumentException("checking software needs SHA-256 PCR 15 in the quote");
    }
  }

  /** A plan without software measurements. */
  public QuotePlan(Map<HashAlg, SortedSet<Integer>> pcrs, boolean eventLog, boolean ima) {
    this(pcrs, eventLog, ima, false);
  }

  /** The same plan, also quoting SHA-256 PCR 15 with the software measurements it explains. */
  public QuotePlan withSoftware() {
    Map<HashAlg, SortedSet<Integer>> regs = new java.util.EnumMap<>(HashAlg.class);
    regs.putAll(pcrs);
    TreeSet<Integer> sha256 = new TreeSet<>(regs.getOrDefault(HashAlg.SHA256, new TreeSet<>()));
    sha256.add(SoftwareMeasurement.PCR);
    regs.put(HashAlg.SHA256, sha256);
    return new QuotePlan(regs, eventLog, ima, true);
  }

  /**
   * SHA-256 PCRs 0-9 and 12 with the event log: firmware, boot loader and Secure Boot (0-7), what
   * the boot loader measures (GRUB: its commands and the kernel command line in 8, the kernel and
   * initrd in 9) and the kernel command line systemd-stub or systemd-boot measure into 12, so that
   * facts read from those events count as measured. PCR 11 is left out: systemd extends it after
   * boot (boot phases) without an entry in the firmware log, which would then not replay.
   */
  public static QuotePlan firmware() {
    TreeSet<Integer> regs = new TreeSet<>();
    for (int i = 0; i <= 9; i++) {
      regs.add(i);
    }
    regs.add(12);
    return new QuotePlan(Map.of(HashAlg.SHA256, regs), true, false);
  }

  /** {@link #firmware()} plus PCR 10 and the IMA list. */
  public static QuotePlan firmwareAndIma() {
    TreeSet<Integer> regs = new TreeSet<>(firmware().pcrs().get(HashAlg.SHA256));
    regs.add(10);
    return new QuotePlan(Map.of(HashAlg.SHA256, regs), true, true);
  }
}
