package dev.vouch.server.cms;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts agents whose certificates chain to the CMS root (or to further configured anchors), and
 * refuses a CMS-issued certificate once it is revoked. Revocation is read from the CMS table every
 * replica shares, the same source the CRL is made from, so a revocation counts on the next
 * handshake anywhere rather than at the next CRL fetch. Chain, validity, key usage and host name
 * checks are the JDK's PKIX trust manager's.
 */
public final class CmsTrustManager extends X509ExtendedTrustManager {
  private final X509ExtendedTrustManager pkix;
  private final Cms cms;

  private CmsTrustManager(X509ExtendedTrustManager pkix, Cms cms) {
    this.pkix = pkix;
    this.cms = cms;
  }

  /**
   * @param cms the CMS whose root is trusted and whose revocations are enforced
   * @param extraAnchors further CAs trusted for agents (e.g. {@code hosts.agent_tls_ca})
   */
  public static CmsTrustManager of(Cms cms, List<X509Certificate> extraAnchors)
      throws GeneralSecurityException {
    List<X509Certificate> anchors = new ArrayList<>(extraAnchors);
    anchors.add(cms.authority().root());
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try {
      ks.load(null, null);
    } catch (java.io.IOException e) {
      throw new GeneralSecurityException("cannot create an empty key store", e);
    }
    for (int i = 0; i < anchors.size(); i++) {
      ks.setCertificateEntry("anchor-" + i, anchors.get(i));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return new CmsTrustManager(x, cms);
      }
    }
    throw new GeneralSecurityException("the JDK offers no X509 trust manager");
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    pkix.checkServerTrusted(chain, authType, socket);
    notRevoked(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    pkix.checkServerTrusted(chain, authType, engine);
    notRevoked(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    pkix.checkServerTrusted(chain, authType);
    notRevoked(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType, socket);
    notRevoked(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType, engine);
    notRevoked(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    pkix.checkClientTrusted(chain, authType);
    notRevoked(chain);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return pkix.getAcceptedIssuers();
  }

  /**
   * Throws when {@code chain}'s leaf is a CMS certificate that has been revoked; for checks on
   * established connections, where no handshake runs the trust manager. Only a leaf the CMS
   * intermediate signed can be in the CMS table; others are the anchors' affair.
   */
  public void notRevoked(X509Certificate[] chain) throws CertificateException {
    X509Certificate leaf = chain[0];
    X509Certificate intermediate = cms.authority().chain().get(0);
    if (!leaf.getIssuerX500Principal().equals(intermediate.getSubjectX500Principal())) {
      return;
    }
    try {
      leaf.verify(intermediate.getPublicKey());
    } catch (GeneralSecurityException e) {
      return;
    }
    if (cms.isRevoked(leaf.getSerialNumber())) {
      throw new Revoked(
          "the peer's CMS certificate " + leaf.getSerialNumber().toString(16) + " is revoked");
    }
  }

  /** The peer presented a CMS certificate that has been revoked. */
  public static final class Revoked extends CertificateException {
    private static final long serialVersionUID = 1L;

    Revoked(String message) {
      super(message);
    }

    /** Whether {@code e} or one of its causes is a {@link Revoked}. */
    public static boolean in(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof Revoked) {
          return true;
        }
      }
      return false;
    }
  }
}
