package dev.vouch.agent.trust;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A server key manager whose key and certificate chain can be replaced while a listener runs: the
 * next handshake presents the new chain, handshakes under way finish with the one they chose. Each
 * identity has its own alias, and the one before the current stays answerable, so a handshake that
 * chose its alias just before a swap still finds a key that matches its chain.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private record Identity(String alias, PrivateKey key, X509Certificate[] chain) {}

  private record State(Identity current, Identity previous) {}

  private final AtomicReference<State> state = new AtomicReference<>();

  /**
   * @param key the private key of {@code chain}'s leaf
   * @param chain leaf first
   */
  public ReloadingKeyManager(PrivateKey key, List<X509Certificate> chain) {
    state.set(new State(identity(key, chain), null));
  }

  /** Presents {@code chain} with {@code key} from the next handshake on. */
  public void replace(PrivateKey key, List<X509Certificate> chain) {
    Identity next = identity(key, chain);
    state.updateAndGet(s -> new State(next, s.current()));
  }

  /** The chain presented now, leaf first. */
  public List<X509Certificate> chain() {
    return List.of(state.get().current().chain());
  }

  private static Identity identity(PrivateKey key, List<X509Certificate> chain) {
    Objects.requireNonNull(key, "key");
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("an empty certificate chain");
    }
    X509Certificate leaf = chain.get(0);
    // the serial and issuer name one certificate: no two identities share an alias
    String alias =
        "cms-"
            + leaf.getSerialNumber().toString(16)
            + "-"
            + leaf.getIssuerX500Principal().hashCode();
    return new Identity(alias, key, chain.toArray(X509Certificate[]::new));
  }

  private Identity find(String alias) {
    State s = state.get();
    if (s.current().alias().equals(alias)) {
      return s.current();
    }
    return s.previous() != null && s.previous().alias().equals(alias) ? s.previous() : null;
  }

  private String serverAlias(String keyType) {
    Identity i = state.get().current();
    return i.key().getAlgorithm().equals(keyType) ? i.alias() : null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    String a = serverAlias(keyType);
    return a == null ? null : new String[] {a};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    return serverAlias(keyType);
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    return serverAlias(keyType);
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Identity i = find(alias);
    return i == null ? null : i.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Identity i = find(alias);
    return i == null ? null : i.key();
  }

  // a listener's identity only: it never acts as a TLS client
  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
    return null;
  }
}
