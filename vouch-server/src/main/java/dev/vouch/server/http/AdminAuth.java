package dev.vouch.server.http;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Admin API authentication for now: one bearer token from the configuration, compared in constant
 * time (both sides are hashed first, so neither length nor content leaks through timing). The
 * authentication service (AAS) with identities, roles and signed admin tokens replaces this later.
 */
public final class AdminAuth {
  private final byte[] tokenHash;

  public AdminAuth(String token) {
    this.tokenHash = sha256(token);
  }

  /** Wraps {@code h} so that it runs only with {@code Authorization: Bearer <admin token>}. */
  public Handler guard(Handler h) {
    return ctx -> {
      check(ctx);
      h.handle(ctx);
    };
  }

  /** Throws a 401 problem unless the request carries the admin token. */
  public void check(Context ctx) {
    String auth = ctx.header("Authorization");
    boolean ok =
        auth != null
            && auth.regionMatches(true, 0, "Bearer ", 0, 7)
            && MessageDigest.isEqual(tokenHash, sha256(auth.substring(7).strip()));
    if (!ok) {
      ctx.header("WWW-Authenticate", "Bearer realm=\"vouch-admin\"");
      throw Problem.of(
              401,
              "unauthorized",
              "Admin authentication required",
              "send the admin token as 'Authorization: Bearer <token>'")
          .exception();
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
