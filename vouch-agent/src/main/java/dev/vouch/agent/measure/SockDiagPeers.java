package dev.vouch.agent.measure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The peer process of a unix-socket connection from the kernel's socket diagnostics, read with
 * iproute2's {@code ss -xpn} (netlink {@code sock_diag}: each unix socket with its inode, its
 * peer's inode and the processes holding it).
 *
 * <p>Why not {@code SO_PEERCRED} alone: the JDK's {@link ExtendedSocketOptions#SO_PEERCRED} yields
 * a {@link UnixDomainPrincipal} (user and group) but drops the kernel's pid, and a cgroup needs a
 * pid. So the accepted socket is found among this process's descriptors ({@code /proc/self/fd}: the
 * one socket on our path not yet known; the accepting thread is single, so there is exactly one),
 * its peer's inode is read from the diagnostics, and the processes holding that inode are the peer.
 * {@code SO_PEERCRED}'s user must then own each of them, which pins the answer to the kernel's view
 * at connect time.
 *
 * <p>Anything ambiguous (no or several candidate sockets, no process, another user) fails: the
 * server refuses the caller.
 */
public final class SockDiagPeers implements PeerProcesses {
  private static final Pattern PID = Pattern.compile("pid=(\\d+)");
  private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[(\\d+)\\]");
  private static final long MAX_OUTPUT = 32L * 1024 * 1024;

  private final String socketPath;
  private final List<String> command;
  private final Map<SocketChannel, Long> known = new HashMap<>();

  /**
   * @param socketPath the listening socket's path, as the kernel reports it
   */
  public SockDiagPeers(Path socketPath) {
    this(socketPath, List.of("ss", "-xpnH"));
  }

  SockDiagPeers(Path socketPath, List<String> command) {
    if (socketPath.toString().contains(" ")) {
      throw new IllegalArgumentException("the socket path must not contain spaces");
    }
    this.socketPath = socketPath.toAbsolutePath().toString();
    this.command = List.copyOf(command);
  }

  /** One row of {@code ss -xpnH}: local path and inode, peer inode, holding pids. */
  record Row(String local, long inode, long peerInode, Set<Long> pids) {}

  @Override
  public synchronized Set<Long> identify(SocketChannel accepted) throws IOException {
    Set<Long> mine = ownSocketInodes();
    List<Row> rows = rows();
    Set<Long> taken = new HashSet<>(known.values());
    Row conn = null;
    for (Row r : rows) {
      if (r.local().equals(socketPath) && mine.contains(r.inode()) && !taken.contains(r.inode())) {
        if (conn != null) {
          throw new IOException("two unidentified connections on " + socketPath);
        }
        conn = r;
      }
    }
    if (conn == null) {
      throw new IOException("the accepted connection is not among the kernel's sockets");
    }
    Set<Long> pids = new TreeSet<>();
    for (Row r : rows) {
      if (r.inode() == conn.peerInode()) {
        pids.addAll(r.pids());
      }
    }
    if (pids.isEmpty()) {
      throw new IOException("no process holds the peer end of the connection");
    }
    UnixDomainPrincipal cred = accepted.getOption(ExtendedSocketOptions.SO_PEERCRED);
    for (long pid : pids) {
      UserPrincipal owner = Files.getOwner(Path.of("/proc", Long.toString(pid)));
      if (!owner.equals(cred.user())) {
        throw new IOException("peer process " + pid + " is not the connecting user");
      }
    }
    known.put(accepted, conn.inode());
    return pids;
  }

  @Override
  public synchronized void forget(SocketChannel accepted) {
    known.remove(accepted);
  }

  private static Set<Long> ownSocketInodes() throws IOException {
    Set<Long> out = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        try {
          Matcher m = SOCKET_LINK.matcher(Files.readSymbolicLink(fd).toString());
          if (m.matches()) {
            out.add(Long.parseLong(m.group(1)));
          }
        } catch (IOException e) {
          // a descriptor closed while listed is not ours to identify
        }
      }
    }
    return out;
  }

  private List<Row> rows() throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readNBytes((int) MAX_OUTPUT + 1);
    }
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(command.get(0) + " did not finish");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading socket diagnostics", e);
    }
    if (p.exitValue() != 0 || out.length > MAX_OUTPUT) {
      throw new IOException(command.get(0) + " failed (exit " + p.exitValue() + ")");
    }
    return parse(new String(out, StandardCharsets.UTF_8));
  }

  /** Parses {@code ss -xpnH} output; rows it cannot read are skipped (they cannot match). */
  static List<Row> parse(String text) {
    List<Row> rows = new ArrayList<>();
    for (String line : text.split("\n")) {
      String[] t = line.trim().split("\\s+", 9);
      if (t.length < 8 || !t[0].startsWith("u_")) {
        continue;
      }
      try {
        long inode = Long.parseLong(t[5]);
        long peer = Long.parseLong(t[7]);
        Set<Long> pids = new TreeSet<>();
        if (t.length == 9) {
          Matcher m = PID.matcher(t[8]);
          while (m.find()) {
            pids.add(Long.parseLong(m.group(1)));
          }
        }
        rows.add(new Row(t[4], inode, peer, pids));
      } catch (NumberFormatException e) {
        // not a socket row
      }
    }
    return rows;
  }
}
