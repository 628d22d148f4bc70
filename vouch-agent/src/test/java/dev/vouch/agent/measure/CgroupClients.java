package dev.vouch.agent.measure;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code curl} against the measurement socket from a chosen cgroup, so the server identifies
 * it by the kernel as it would a pod's process.
 *
 * <p>Real cgroups are used when this test runs as root with a writable cgroup v2 hierarchy: the
 * client is moved into {@code <cgroup2 mount>/<path>} before it connects, and the server reads the
 * real {@code /proc}. Otherwise a <em>simulated</em> {@code /proc} root is used: a folder holding
 * {@code <pid>/cgroup} files in the kernel's format ({@code 0::<path>}), written for each client
 * (and for this JVM, as a node process) before it connects; the peer pid still comes from the
 * kernel's socket diagnostics. {@link #simulated()} says which one ran.
 */
final class CgroupClients implements AutoCloseable {
  private final Path cgroup2;
  private final Path fakeProc;
  private final List<Path> created = new ArrayList<>();

  private CgroupClients(Path cgroup2, Path fakeProc) {
    this.cgroup2 = cgroup2;
    this.fakeProc = fakeProc;
  }

  /**
   * Real cgroups when possible, else a simulated /proc root in {@code tmp}; {@code
   * -Dvouch.cgroups.simulate=true} forces the simulation.
   */
  static CgroupClients create(Path tmp) throws IOException {
    Path mount = Boolean.getBoolean("vouch.cgroups.simulate") ? null : cgroup2Mount();
    if (mount != null) {
      Path probe = mount.resolve("vouch-measure-probe-" + ProcessHandle.current().pid());
      try {
        Files.createDirectory(probe);
        Files.delete(probe);
        return new CgroupClients(mount, null);
      } catch (IOException e) {
        // not root, or a read-only hierarchy: simulate
      }
    }
    Path proc = Files.createDirectories(tmp.resolve("proc"));
    CgroupClients c = new CgroupClients(null, proc);
    c.writeFake(ProcessHandle.current().pid(), "/");
    return c;
  }

  boolean simulated() {
    return fakeProc != null;
  }

  /** The /proc root the server must read. */
  ProcCgroups proc() {
    return simulated() ? new ProcCgroups(fakeProc) : ProcCgroups.system();
  }

  /** The status line's code and the body of {@code GET target} sent from cgroup {@code path}. */
  record Response(int status, String body) {}

  Response get(Path socket, String cgroupPath, String target) throws Exception {
    Process p =
        new ProcessBuilder(
                "sh",
                "-c",
                "read go; exec curl -s -S --max-time 20 -w '\\n%{http_code}' --unix-socket '"
                    + socket
                    + "' 'http://localhost"
                    + target
                    + "'")
            .redirectErrorStream(true)
            .start();
    try {
      if (simulated()) {
        writeFake(p.pid(), cgroupPath);
      } else {
        Path cg = cgroup2.resolve(cgroupPath.substring(1));
        Path at = cgroup2;
        for (Path part : cgroup2.relativize(cg)) {
          at = at.resolve(part);
          if (!Files.isDirectory(at)) {
            Files.createDirectory(at);
            created.add(at);
          }
        }
        Files.writeString(cg.resolve("cgroup.procs"), Long.toString(p.pid()));
      }
      try (OutputStream in = p.getOutputStream()) {
        in.write("go\n".getBytes(StandardCharsets.US_ASCII));
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("curl did not finish");
      }
      int nl = out.lastIndexOf('\n');
      return new Response(Integer.parseInt(out.substring(nl + 1).trim()), out.substring(0, nl));
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  private void writeFake(long pid, String cgroupPath) throws IOException {
    Path dir = Files.createDirectories(fakeProc.resolve(Long.toString(pid)));
    // the kernel's layout on a hybrid host: v1 controllers, then the unified line
    Files.writeString(dir.resolve("cgroup"), "1:name=systemd:/\n0::" + cgroupPath + "\n");
  }

  private static Path cgroup2Mount() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
      String[] f = line.split(" ");
      if (f.length > 2 && f[2].equals("cgroup2")) {
        return Path.of(f[1]);
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    for (int i = created.size() - 1; i >= 0; i--) {
      Files.deleteIfExists(created.get(i));
    }
  }
}
