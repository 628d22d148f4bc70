package dev.vouch.bench;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes a realistic IMA measurement list for benchmarks: a {@code boot_aggregate} first entry,
 * then {@code ima-ng} entries with SHA-256 file digests for paths like those of a Debian host
 * (libraries, binaries, configuration, kernel modules, Python), and a few violations. The same seed
 * always gives the same list.
 *
 * <p>Usage: {@code ImaListGenerator OUT_BINARY ENTRIES SEED [OUT_ASCII]}
 */
public final class ImaListGenerator {
  private static final String[] SYLLABLES = {
    "ac", "bo", "cu", "de", "fi", "gl", "ha", "io", "ju", "ke", "lo", "ma", "ne", "ox", "pa", "qu",
    "ri", "sy", "ta", "ub", "ve", "wo", "xe", "yo", "ze", "ssl", "gtk", "dbus", "sys", "net"
  };

  private ImaListGenerator() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 3) {
      System.err.println("usage: ImaListGenerator OUT_BINARY ENTRIES SEED [OUT_ASCII]");
      System.exit(2);
    }
    Path out = Path.of(args[0]);
    int count = Integer.parseInt(args[1]);
    long seed = Long.parseLong(args[2]);
    Path asciiOut = args.length > 3 ? Path.of(args[3]) : null;
    ImaListWriter w = generate(count, seed, asciiOut != null);
    Files.write(out, w.binary());
    if (asciiOut != null) {
      Files.write(asciiOut, w.ascii());
    }
    System.err.println("wrote " + w.size() + " entries to " + out);
  }

  /** The list: {@code count} entries in total, the first one the boot aggregate. */
  public static ImaListWriter generate(int count, long seed, boolean withAscii) {
    SplittableRandom rnd = new SplittableRandom(seed);
    ImaListWriter w = new ImaListWriter(HashAlg.SHA1, withAscii);
    if (count <= 0) {
      return w;
    }
    w.ng(10, "sha256", digest(rnd), "boot_aggregate");
    for (int i = 1; i < count; i++) {
      // about one violation per 40,000 measurements, as on a busy host with writers of measured
      // files
      if (rnd.nextInt(40_000) == 0) {
        w.violation(10, "sha256", "/var/log/" + word(rnd) + ".log");
      } else {
        w.ng(10, "sha256", digest(rnd), path(rnd));
      }
    }
    return w;
  }

  private static byte[] digest(SplittableRandom rnd) {
    byte[] d = new byte[32];
    rnd.nextBytes(d);
    return d;
  }

  private static String word(SplittableRandom rnd) {
    StringBuilder sb = new StringBuilder();
    int n = 2 + rnd.nextInt(3);
    for (int i = 0; i < n; i++) {
      sb.append(SYLLABLES[rnd.nextInt(SYLLABLES.length)]);
    }
    return sb.toString();
  }

  private static String path(SplittableRandom rnd) {
    return switch (rnd.nextInt(8)) {
      case 0, 1, 2 -> "/usr/lib/x86_64-linux-gnu/lib" + word(rnd) + ".so." + rnd.nextInt(1, 12);
      case 3 -> "/usr/bin/" + word(rnd);
      case 4 -> "/etc/" + word(rnd) + "/" + word(rnd) + ".conf";
      case 5 -> "/usr/lib/python3/dist-packages/" + word(rnd) + "/" + word(rnd) + ".py";
      case 6 -> "/lib/modules/6.1.0-13-amd64/kernel/drivers/" + word(rnd) + "/" + word(rnd) + ".ko";
      default -> "/usr/share/" + word(rnd) + "/" + word(rnd);
    };
  }
}
