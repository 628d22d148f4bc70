package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;

/** The first IMA entry against the quoted PCRs 0-7 (0-9 for non-SHA-1 banks on newer kernels). */
class BootAggregateTest {

  private static PcrValues pcrs(HashAlg bank, int count) {
    PcrValues.Builder b = PcrValues.builder();
    for (int i = 0; i < count; i++) {
      b.put(bank, i, bank.digest(("pcr " + i).getBytes()));
    }
    return b.build();
  }

  /** H(PCR 0 || ... || PCR n-1), concatenated here rather than by the class under test. */
  private static byte[] aggregate(HashAlg bank, PcrValues p, int n) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (int i = 0; i < n; i++) {
      all.writeBytes(p.get(bank, i).orElseThrow());
    }
    return bank.digest(all.toByteArray());
  }

  private static ImaEntry first(String alg, byte[] digest, String name) throws Exception {
    byte[] list = new ImaListWriter(HashAlg.SHA1, false).ng(10, alg, digest, name).binary();
    return ImaLog.parse(list).entries().get(0);
  }

  @Test
  void sha256AggregateOfPcrs0To7Verifies() throws Exception {
    PcrValues p = pcrs(HashAlg.SHA256, 8);
    assertThat(
            BootAggregate.check(
                first("sha256", aggregate(HashAlg.SHA256, p, 8), "boot_aggregate"), p))
        .isEqualTo(BootAggregate.Result.VERIFIED);
  }

  @Test
  void sha256AggregateIncludingPcrs8And9VerifiesWhenThoseWereQuoted() throws Exception {
    PcrValues p = pcrs(HashAlg.SHA256, 10);
    ImaEntry e = first("sha256", aggregate(HashAlg.SHA256, p, 10), "boot_aggregate");
    assertThat(BootAggregate.check(e, p)).isEqualTo(BootAggregate.Result.VERIFIED);
    // without PCRs 8 and 9 in the quote the longer aggregate cannot be shown
    assertThat(BootAggregate.check(e, pcrs(HashAlg.SHA256, 8)))
        .isEqualTo(BootAggregate.Result.MISMATCH);
  }

  @Test
  void sha1AggregateUsesTheSha1BankAndNeverPcrs8And9() throws Exception {
    PcrValues p = pcrs(HashAlg.SHA1, 10);
    assertThat(
            BootAggregate.check(first("sha1", aggregate(HashAlg.SHA1, p, 8), "boot_aggregate"), p))
        .isEqualTo(BootAggregate.Result.VERIFIED);
    assertThat(
            BootAggregate.check(first("sha1", aggregate(HashAlg.SHA1, p, 10), "boot_aggregate"), p))
        .isEqualTo(BootAggregate.Result.MISMATCH);
  }

  @Test
  void aFlippedBitInTheAggregateIsAMismatch() throws Exception {
    PcrValues p = pcrs(HashAlg.SHA256, 8);
    byte[] d = aggregate(HashAlg.SHA256, p, 8);
    d[0] ^= 0x01;
    assertThat(BootAggregate.check(first("sha256", d, "boot_aggregate"), p))
        .isEqualTo(BootAggregate.Result.MISMATCH);
  }

  @Test
  void notCheckedWithoutAllOfPcrs0To7InTheDigestsBankOrForAnotherFirstEntry() throws Exception {
    PcrValues sha1Only = pcrs(HashAlg.SHA1, 8);
    byte[] d = aggregate(HashAlg.SHA256, pcrs(HashAlg.SHA256, 8), 8);
    assertThat(BootAggregate.check(first("sha256", d, "boot_aggregate"), sha1Only))
        .isEqualTo(BootAggregate.Result.NOT_CHECKED);
    assertThat(BootAggregate.check(first("sha256", d, "boot_aggregate"), pcrs(HashAlg.SHA256, 7)))
        .isEqualTo(BootAggregate.Result.NOT_CHECKED);
    assertThat(BootAggregate.check(first("sha256", d, "/usr/bin/bash"), pcrs(HashAlg.SHA256, 8)))
        .isEqualTo(BootAggregate.Result.NOT_CHECKED);
  }

  @Test
  void theIncrementalVerifierReportsTheCheckOnlyForAListFromEntryZero() throws Exception {
    PcrValues p = pcrs(HashAlg.SHA256, 8);
    byte[] list =
        new ImaListWriter(HashAlg.SHA1, false)
            .ng(10, "sha256", aggregate(HashAlg.SHA256, p, 8), "boot_aggregate")
            .binary();
    byte[] pcr10 =
        HashAlg.SHA256.digest(
            concat(
                new byte[32],
                HashAlg.SHA256.digest(ImaLog.parse(list).entries().get(0).hashedBytes())));
    PcrValues.Builder quoted = PcrValues.builder().put(HashAlg.SHA256, 10, pcr10);
    for (int i = 0; i < 8; i++) {
      quoted.put(HashAlg.SHA256, i, p.get(HashAlg.SHA256, i).orElseThrow());
    }
    assertThat(
            ImaIncremental.verify(list, quoted.build(), java.util.Optional.empty()).bootAggregate())
        .isEqualTo(BootAggregate.Result.VERIFIED);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
