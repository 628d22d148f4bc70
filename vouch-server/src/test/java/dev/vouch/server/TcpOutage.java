package dev.vouch.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP relay in front of a real server that a test can take down and bring back on the
 * same port: while down, connecting is refused and open connections are cut, as when the server
 * behind it stops.
 */
public final class TcpOutage implements AutoCloseable {
  private final int targetPort;
  private final int port;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket listener;

  private TcpOutage(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.listener = bind(0);
    this.port = listener.getLocalPort();
    accept(listener);
  }

  /** A relay to {@code 127.0.0.1:targetPort}, up. */
  public static TcpOutage relayTo(int targetPort) throws IOException {
    return new TcpOutage(targetPort);
  }

  public int port() {
    return port;
  }

  /** Refuses new connections and cuts the open ones. */
  public synchronized void down() throws IOException {
    if (listener != null) {
      listener.close();
      listener = null;
    }
    for (Socket s : open) {
      s.close();
    }
    open.clear();
  }

  /** Listens again on the same port. */
  public synchronized void up() throws IOException {
    if (listener == null) {
      listener = bind(port);
      accept(listener);
    }
  }

  private static ServerSocket bind(int p) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p));
    return s;
  }

  private void accept(ServerSocket l) {
    Thread.ofVirtual()
        .start(
            () -> {
              while (!l.isClosed()) {
                try {
                  Socket in = l.accept();
                  Socket out = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                  open.add(in);
                  open.add(out);
                  pipe(in, out);
                  pipe(out, in);
                } catch (IOException e) {
                  // closed by down(), or the target refused: the client sees a cut connection
                }
              }
            });
  }

  private void pipe(Socket from, Socket to) {
    Thread.ofVirtual()
        .start(
            () -> {
              try (InputStream i = from.getInputStream();
                  OutputStream o = to.getOutputStream()) {
                i.transferTo(o);
              } catch (IOException e) {
                // one side went away
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
              }
            });
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    down();
  }
}
