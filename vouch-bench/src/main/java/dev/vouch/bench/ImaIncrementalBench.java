package dev.vouch.bench;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.runtime.RuntimeAppraiser;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.ima.ImaCheckpoint;
import dev.vouch.evidence.tpm.ima.ImaIncremental;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaReplay;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What incremental IMA verification saves: a generated list of 1,000,000 entries ({@link
 * ImaListGenerator}) verified once against its quoted SHA-256 PCR 10 ({@code full}), then 1,000
 * appended entries verified from the checkpoint the first verification left ({@code appended1000}),
 * as the host monitor does at every later attestation. Both run the verifier's code path ({@link
 * ImaIncremental#verify}: parse, template hashes, replay, prefix match). {@code
 * reappraiseAfterPolicyChange} is what a runtime-policy change adds to {@code full} when the host
 * monitor re-reads the list: the re-read list framed again, its first checkpoint entries replayed
 * to the stored PCR 10 (the checkpoint kept), and every entry appraised under the new policy.
 */
@State(Scope.Benchmark)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = "-Xmx3g")
public class ImaIncrementalBench {
  static final int BASE = 1_000_000;
  static final int APPENDED = 1_000;

  private byte[] base;
  private byte[] appended;
  private PcrValues quotedBase;
  private PcrValues quotedAll;
  private ImaCheckpoint checkpoint;
  private RuntimePolicy policy;

  @Setup
  public void setup() throws Exception {
    byte[] all = ImaListGenerator.generate(BASE + APPENDED, 13, false).binary();
    int cut = ImaLog.parseBinary(all, ImaLog.HashCheck.RECORD).prefix(BASE).toBinary().length;
    base = Arrays.copyOf(all, cut);
    appended = Arrays.copyOfRange(all, cut, all.length);
    quotedBase = pcr10(base);
    quotedAll = pcr10(all);
    checkpoint = ImaIncremental.verify(base, quotedBase, Optional.empty()).next();
    policy = RuntimePolicy.fromLog(ImaLog.parseBinary(base, ImaLog.HashCheck.RECORD));
    System.out.printf(
        "%nlist: %d entries, %d bytes; appended: %d entries, %d bytes%n",
        BASE, base.length, APPENDED, appended.length);
  }

  /** The quote a TPM would hold after the kernel extended PCR 10 with every entry of {@code l}. */
  private static PcrValues pcr10(byte[] l) throws Exception {
    byte[] v =
        ImaReplay.replayBinary(l, EnumSet.of(HashAlg.SHA256), ImaReplayMode.PER_BANK)
            .pcrs()
            .get(HashAlg.SHA256, 10)
            .orElseThrow();
    return PcrValues.builder().put(HashAlg.SHA256, 10, v).build();
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 1)
  @Measurement(iterations = 3)
  public ImaIncremental.Result full() throws Exception {
    return ImaIncremental.verify(base, quotedBase, Optional.empty());
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @Warmup(iterations = 3, time = 2)
  @Measurement(iterations = 5, time = 2)
  public ImaIncremental.Result appended1000() throws Exception {
    return ImaIncremental.verify(appended, quotedAll, Optional.of(checkpoint));
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @Warmup(iterations = 1)
  @Measurement(iterations = 3)
  public RuntimeAppraiser.Appraisal reappraiseAfterPolicyChange() throws Exception {
    ImaLog log = ImaLog.parse(base, ImaLog.HashCheck.RECORD);
    byte[] replayed =
        log.prefix((int) checkpoint.entries())
            .replay(EnumSet.of(HashAlg.SHA256), checkpoint.mode())
            .get(HashAlg.SHA256, ImaLog.IMA_PCR)
            .orElseThrow();
    if (!Arrays.equals(
        replayed, checkpoint.pcr10().get(HashAlg.SHA256, ImaLog.IMA_PCR).orElseThrow())) {
      throw new IllegalStateException("the list does not reproduce its checkpoint");
    }
    return RuntimeAppraiser.appraise(log, policy);
  }
}
