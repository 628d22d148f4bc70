package dev.vouch.server.store;

/**
 * The database failed (unreachable, constraint, I/O). Unchecked because the store interfaces of
 * vouch-policy do not declare checked exceptions; the HTTP layer answers 503.
 */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
