package dev.vouch.agent.trust;

import io.nats.client.AuthHandler;
import io.nats.client.NKey;
import io.nats.client.Nats;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * The agent's NATS identity: a user NKey made on this host, whose public half goes to the registrar
 * with the enrollment's activation, and the user JWT the registrar signs for it, which limits the
 * agent to its own host's subjects. The seed stays in this object; {@link #toString()} shows only
 * the public key.
 */
public final class NatsCredentials {
  private final NKey user;

  private NatsCredentials(NKey user) {
    this.user = user;
  }

  /** A fresh user key pair. */
  public static NatsCredentials generate() {
    try {
      return new NatsCredentials(NKey.createUser(new SecureRandom()));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot make a NATS user key", e);
    }
  }

  /** The public user NKey ({@code U...}) the registrar signs. */
  public String publicKey() {
    try {
      return new String(user.getPublicKey());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("a user NKey always has a public key", e);
    }
  }

  /**
   * What jnats needs to connect as this user with the registrar's {@code jwt} (sign the server's
   * nonce with the seed, send the JWT).
   */
  public AuthHandler authHandler(String jwt) {
    Objects.requireNonNull(jwt, "jwt");
    return Nats.staticCredentials(jwt.toCharArray(), user.getSeed());
  }

  @Override
  public String toString() {
    return "NatsCredentials[" + publicKey() + "]";
  }
}
