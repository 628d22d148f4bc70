package dev.vouch.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time of a process from {@code /proc/<pid>/stat} (user plus system time, fields 14 and 15, in
 * clock ticks): the server's CPU cost per operation is the difference over a run divided by the
 * operations. Linux only.
 */
public final class ProcessCpu {
  private final Path stat;
  private final long ticksPerSecond;

  private ProcessCpu(Path stat, long ticksPerSecond) {
    this.stat = stat;
    this.ticksPerSecond = ticksPerSecond;
  }

  /**
   * @throws IOException when the process does not exist or /proc cannot be read
   */
  public static ProcessCpu of(long pid) throws IOException {
    Path p = Path.of("/proc", Long.toString(pid), "stat");
    ProcessCpu cpu = new ProcessCpu(p, clockTicksPerSecond());
    cpu.seconds(); // fail now, not after the run
    return cpu;
  }

  /** User plus system CPU seconds the process has used so far. */
  public double seconds() throws IOException {
    return ticks(Files.readString(stat, StandardCharsets.US_ASCII)) / (double) ticksPerSecond;
  }

  /**
   * User plus system ticks from one {@code /proc/<pid>/stat} line. The command name (field 2) is in
   * parentheses and may itself hold spaces and parentheses, so fields are counted after its last
   * closing parenthesis.
   *
   * @throws IllegalArgumentException for a line that is not in that format
   */
  static long ticks(String statLine) {
    int close = statLine.lastIndexOf(')');
    if (close < 0 || statLine.indexOf('(') < 0 || statLine.indexOf('(') > close) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line: no (comm)");
    }
    String[] f = statLine.substring(close + 1).strip().split(" +");
    // after comm: f[0] is field 3 (state), so field n is f[n - 3]
    if (f.length < 13) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line: " + f.length + " fields");
    }
    try {
      long utime = Long.parseLong(f[14 - 3]);
      long stime = Long.parseLong(f[15 - 3]);
      if (utime < 0 || stime < 0) {
        throw new IllegalArgumentException("negative CPU time in /proc/<pid>/stat");
      }
      return utime + stime;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a /proc/<pid>/stat line: utime/stime not numbers");
    }
  }

  /** USER_HZ, as {@code getconf CLK_TCK} prints it; 100 (Linux's value everywhere) otherwise. */
  static long clockTicksPerSecond() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
      if (p.waitFor() == 0 && out.matches("[0-9]{1,7}") && Long.parseLong(out) > 0) {
        return Long.parseLong(out);
      }
    } catch (IOException e) {
      // no getconf: fall through to Linux's fixed USER_HZ
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
