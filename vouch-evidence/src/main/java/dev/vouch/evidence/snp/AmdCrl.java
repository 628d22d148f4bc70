package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.ByteArrayInputStream;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;

/**
 * A certificate revocation list of the AMD hierarchy: the KDS publishes one per product, signed by
 * the ARK, listing revoked ASKs and ASVKs. Its signature, dates and entries are checked by {@link
 * dev.vouch.core.pki.CertPaths}; this class only recognises and parses it. Immutable.
 */
final class AmdCrl {
  private final X509CRL crl;

  private AmdCrl(X509CRL crl) {
    this.crl = crl;
  }

  /** Parses one DER CRL; {@link Failure#MALFORMED} when it is not one. */
  static AmdCrl parse(byte[] der) throws VerificationException {
    try {
      X509CRL c =
          (X509CRL)
              CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
      if (c == null) {
        throw new VerificationException(Failure.MALFORMED, "not an X.509 CRL");
      }
      return new AmdCrl(c);
    } catch (CRLException | CertificateException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "not an X.509 CRL: " + e.getMessage(), e);
    }
  }

  /** The list as the JDK parses it. */
  X509CRL x509() {
    return crl;
  }
}
