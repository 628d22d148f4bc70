package dev.vouch.server.hosts;

import dev.vouch.core.crypto.HashAlg;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * What the verifier asks each host for.
 *
 * @param pcrs registers to quote per bank
 * @param eventLog whether to fetch and replay the firmware event log
 * @param ima whether to fetch the IMA list (from entry 0)
 */
public record QuotePlan(Map<HashAlg, SortedSet<Integer>> pcrs, boolean eventLog, boolean ima) {
  public QuotePlan {
    pcrs = Map.copyOf(pcrs);
    if (pcrs.isEmpty()) {
      throw new IllegalArgumentException("a plan quotes at least one bank");
    }
  }

  /** SHA-256 PCRs 0-7 (firmware, boot loader, Secure Boot) with the event log. */
  public static QuotePlan firmware() {
    TreeSet<Integer> regs = new TreeSet<>();
    for (int i = 0; i <= 7; i++) {
      regs.add(i);
    }
    return new QuotePlan(Map.of(HashAlg.SHA256, regs), true, false);
  }
}
