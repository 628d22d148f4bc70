package dev.vouch.agent.measure;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.util.Set;

/**
 * Finds the process at the other end of an accepted unix-socket connection, from the kernel's
 * records, never from what the peer says. Implementations are called by the one accepting thread
 * right after {@code accept} and before the next one.
 */
public interface PeerProcesses {

  /**
   * The pids holding the peer's end of {@code accepted} (more than one after a fork that kept it).
   *
   * @throws IOException when the peer cannot be told for certain: the caller must then be refused
   */
  Set<Long> identify(SocketChannel accepted) throws IOException;

  /** {@code accepted} is closed: forget what {@link #identify} kept about it. */
  void forget(SocketChannel accepted);
}
