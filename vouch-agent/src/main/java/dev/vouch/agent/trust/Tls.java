package dev.vouch.agent.trust;

import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Builds the TLS context of a mutually authenticated endpoint from keys held in memory. */
public final class Tls {
  private Tls() {}

  /**
   * A TLS context that presents {@code chain} (leaf first) with {@code key} and accepts peers whose
   * certificates chain to one of {@code trusted}, and nothing else (not the JDK's default CAs).
   */
  public static SSLContext context(
      PrivateKey key, List<X509Certificate> chain, List<X509Certificate> trusted)
      throws GeneralSecurityException {
    char[] password = new char[0];
    KeyStore keys = emptyStore();
    keys.setKeyEntry("self", key, password, chain.toArray(X509Certificate[]::new));
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, password);
    KeyStore anchors = emptyStore();
    for (int i = 0; i < trusted.size(); i++) {
      anchors.setCertificateEntry("ca" + i, trusted.get(i));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(anchors);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), new SecureRandom());
    return ctx;
  }

  private static KeyStore emptyStore() throws GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try {
      ks.load(null, null);
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("cannot create an empty key store", e);
    }
    return ks;
  }
}
