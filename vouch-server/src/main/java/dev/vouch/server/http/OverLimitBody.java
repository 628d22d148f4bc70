package dev.vouch.server.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;

/**
 * What a handler does with a request body over its limit before it answers 413: read and discard
 * the rest, so that the client, which may still be writing it, reads the answer instead of a
 * connection reset. A server that closes with unread bytes in its receive buffer makes TCP reset
 * the connection, which can destroy the response in flight (a flaky failure seen in both the
 * server-wide limit and the KBS's own). Bodies beyond {@link #DRAIN_FACTOR} times the limit are not
 * worth reading; for those the connection is closed after the answer.
 */
public final class OverLimitBody {
  /** How many times the limit is read and discarded before the answer. */
  static final long DRAIN_FACTOR = 16;

  private OverLimitBody() {}

  /**
   * Discards the rest of the body.
   *
   * @param declared the request's Content-Length, or -1 when it was sent chunked
   * @param limit the limit the body exceeded
   */
  public static void discard(Context ctx, long declared, long limit) {
    long cap = limit * DRAIN_FACTOR;
    if (declared > cap) {
      ctx.header("Connection", "close");
      return;
    }
    byte[] sink = new byte[64 * 1024];
    long read = 0;
    try (InputStream in = ctx.req().getInputStream()) {
      int n;
      while (read <= cap && (n = in.read(sink)) >= 0) {
        read += n;
      }
    } catch (IOException | RuntimeException e) {
      // the client went away or the stream was already consumed: nothing left to protect
    }
    if (read > cap) {
      ctx.header("Connection", "close");
    }
  }
}
