package dev.vouch.agent.measure;

import dev.vouch.evidence.cima.CgroupOwner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A process's cgroup, read from {@code <procRoot>/<pid>/cgroup}. The root is {@code /proc} in
 * production; tests that cannot create cgroups point it at a folder laid out the same way (one
 * {@code <pid>/cgroup} file per simulated process).
 *
 * <p>The unified (v2) line {@code 0::<path>} is used when the process is in a cgroup there;
 * otherwise the systemd v1 hierarchy's line ({@code name=systemd:<path>}), where a hybrid host's
 * kubelet places pods.
 */
public final class ProcCgroups {
  /** Bound on the file: a handful of lines in practice. */
  private static final long MAX_BYTES = 64 * 1024;

  private final Path procRoot;

  public ProcCgroups(Path procRoot) {
    this.procRoot = procRoot;
  }

  /** The real {@code /proc}. */
  public static ProcCgroups system() {
    return new ProcCgroups(Path.of("/proc"));
  }

  public Path procRoot() {
    return procRoot;
  }

  /**
   * The cgroup path of {@code pid}.
   *
   * @throws IOException when the process is gone or its cgroup file holds no usable line
   */
  public String cgroupPath(long pid) throws IOException {
    if (pid <= 0) {
      throw new IOException("no process " + pid);
    }
    Path f = procRoot.resolve(Long.toString(pid)).resolve("cgroup");
    byte[] bytes;
    try {
      if (Files.size(f) > MAX_BYTES) {
        throw new IOException(f + " is larger than " + MAX_BYTES + " bytes");
      }
      bytes = Files.readAllBytes(f);
    } catch (NoSuchFileException e) {
      throw new IOException("process " + pid + " is gone (no " + f + ")");
    }
    String unified = null;
    String systemd = null;
    for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("0::")) {
        unified = line.substring(3);
      } else if (line.matches("\\d+:name=systemd:.*")) {
        systemd = line.substring(line.indexOf(":name=systemd:") + 14);
      }
    }
    if (unified != null && !unified.equals("/")) {
      return unified;
    }
    String path = systemd != null ? systemd : unified;
    if (path == null) {
      throw new IOException(f + " has no cgroup line");
    }
    return path;
  }

  /** Who {@code pid} runs as: its cgroup's owner. */
  public CgroupOwner owner(long pid) throws IOException {
    return CgroupOwner.of(cgroupPath(pid));
  }
}
