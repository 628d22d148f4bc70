package dev.vouch.server.aas;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A user (logs in with a password) or a service account (authenticates with API keys only).
 *
 * @param name the login name ({@link Role#NAME} form)
 * @param kind user or service
 * @param passwordHash the Argon2id hash, empty for service accounts
 * @param roles role names; a name whose role was deleted grants nothing
 * @param disabled whether every login, token and API key of the account is refused
 * @param created when it was made
 */
public record Account(
    String name,
    Kind kind,
    Optional<String> passwordHash,
    List<String> roles,
    boolean disabled,
    Instant created) {

  /** Who logs in how. */
  public enum Kind {
    USER,
    SERVICE
  }

  public Account {
    roles = List.copyOf(roles);
  }

  @Override
  public String toString() {
    // the hash is not a secret in the strict sense, but it is offline-attackable: keep it out of
    // logs
    return "Account[" + name + ", " + kind + ", roles=" + roles + ", disabled=" + disabled + "]";
  }
}
