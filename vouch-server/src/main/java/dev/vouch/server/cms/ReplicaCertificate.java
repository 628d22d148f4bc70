package dev.vouch.server.cms;

import dev.vouch.server.config.ConfigException;
import dev.vouch.server.http.TlsCertificates;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's HTTPS certificate from the CMS ({@code tls.mode: cms}): a fresh P-256 key that
 * never leaves memory, certified by the shared intermediate for the configured names, so every
 * replica chains to the one CMS root that agents and clients pin. Renewed with a new key at two
 * thirds of its validity; the listener reloads the key store {@link #renewIfDue()} returns.
 */
public final class ReplicaCertificate {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicaCertificate.class);

  private final Cms cms;
  private final List<String> names;
  private final Clock clock;
  private Cms.Issued current;
  private KeyStore keyStore;

  /**
   * Issues the first certificate.
   *
   * @throws ConfigException when a name is no DNS name or address ({@code tls.cms_names})
   */
  public ReplicaCertificate(Cms cms, List<String> names, Clock clock) throws ConfigException {
    this.cms = cms;
    this.names = List.copyOf(names);
    this.clock = clock;
    try {
      issue();
    } catch (CmsException e) {
      throw new ConfigException("tls.cms_names: " + e.getMessage(), e);
    }
  }

  /** The key store for the listener now (key alias {@code vouch}). */
  public synchronized KeyStore keyStore() {
    return keyStore;
  }

  /** The certificate presented now. */
  public synchronized X509Certificate certificate() {
    return current.certificate();
  }

  /** When the current certificate is due for renewal: two thirds into its validity period. */
  public synchronized Instant renewAt() {
    Instant from = current.certificate().getNotBefore().toInstant();
    Duration life = Duration.between(from, current.certificate().getNotAfter().toInstant());
    return from.plus(life.multipliedBy(2).dividedBy(3));
  }

  /** A new key store when renewal was due (and is done), else empty. */
  public synchronized Optional<KeyStore> renewIfDue() {
    if (clock.instant().isBefore(renewAt())) {
      return Optional.empty();
    }
    String old = current.serial();
    issue();
    LOG.info("replica TLS certificate {} renewed as {}", old, current.serial());
    return Optional.of(keyStore);
  }

  private void issue() {
    KeyPair keys;
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      keys = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 is not available", e);
    }
    Cms.Issued issued = cms.issueServer(keys.getPublic(), names);
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(issued.certificate());
    chain.addAll(issued.caChain());
    try {
      keyStore = TlsCertificates.keyStore(chain, keys.getPrivate());
    } catch (java.io.IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build an in-memory key store", e);
    }
    current = issued;
  }
}
