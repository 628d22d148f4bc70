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

/** Builds TLS contexts from keys and trust anchors held in memory. */
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
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), trustManagers(trusted), new SecureRandom());
    return ctx;
  }

  /**
   * A server TLS context that presents whatever {@code keys} holds at each handshake (so its
   * certificate can be renewed without restarting the listener) and accepts peers whose
   * certificates chain to one of {@code trusted}, and nothing else.
   */
  public static SSLContext context(ReloadingKeyManager keys, List<X509Certificate> trusted)
      throws GeneralSecurityException {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(new javax.net.ssl.KeyManager[] {keys}, trustManagers(trusted), new SecureRandom());
    return ctx;
  }

  /**
   * A client TLS context that presents no certificate and accepts servers whose certificates chain
   * to one of {@code trusted}, and nothing else (not the JDK's default CAs): for a server with a
   * private or self-signed certificate.
   */
  public static SSLContext trusting(List<X509Certificate> trusted) throws GeneralSecurityException {
    if (trusted.isEmpty()) {
      throw new GeneralSecurityException("no trusted certificate given");
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, trustManagers(trusted), new SecureRandom());
    return ctx;
  }

  private static javax.net.ssl.TrustManager[] trustManagers(List<X509Certificate> trusted)
      throws GeneralSecurityException {
    KeyStore anchors = emptyStore();
    for (int i = 0; i < trusted.size(); i++) {
      anchors.setCertificateEntry("ca" + i, trusted.get(i));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(anchors);
    return tmf.getTrustManagers();
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
