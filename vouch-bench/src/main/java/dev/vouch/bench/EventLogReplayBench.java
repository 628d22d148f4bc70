package dev.vouch.bench;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import dev.vouch.evidence.tpm.ima.ImaReplay;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.Random;
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
 * Event-log replay throughput. Each benchmark processes one whole log per operation; MB/s is
 * operations/s times the log size that {@link #setup} prints. {@code sha256OfLog} (one SHA-256 over
 * the same bytes) is the in-run baseline: replay cannot beat hashing its input once.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class EventLogReplayBench {
  private byte[] tcg;
  private byte[] ima;
  private MessageDigest sha256;

  @Setup
  public void setup() throws Exception {
    tcg = TpmQuoteBench.resource("eventlog.bin");
    ImaListWriter w = new ImaListWriter(HashAlg.SHA1, false);
    Random r = new Random(1);
    for (int i = 0; i < 20_000; i++) {
      byte[] d = new byte[32];
      r.nextBytes(d);
      w.ng(10, "sha256", d, "/usr/lib/x86_64-linux-gnu/lib" + i + ".so");
    }
    ima = w.binary();
    sha256 = MessageDigest.getInstance("SHA-256");
    System.out.printf(
        "%nsizes: tcg %d bytes (%d events), ima %d bytes (20000 entries)%n",
        tcg.length, TcgEventLog.parse(tcg).events().size(), ima.length);
  }

  @Benchmark
  public PcrValues tcgParseAndReplay() throws Exception {
    return TcgEventLog.parse(tcg).replay();
  }

  @Benchmark
  public Object imaReplaySha1AndSha256() throws Exception {
    return ImaReplay.replayBinary(
        ima, EnumSet.of(HashAlg.SHA1, HashAlg.SHA256), ImaReplayMode.PER_BANK);
  }

  @Benchmark
  public byte[] sha256OfImaList() {
    return sha256.digest(ima);
  }
}
