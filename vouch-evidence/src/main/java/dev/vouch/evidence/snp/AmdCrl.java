package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CertificateList;
import org.bouncycastle.asn1.x509.TBSCertList;

/**
 * A certificate revocation list of the AMD hierarchy: the KDS publishes one per product, signed by
 * the ARK, listing revoked ASKs and ASVKs; an ASK-signed list may revoke VCEKs. Parsed once;
 * signature checks are memoised per issuer. Thread-safe.
 */
final class AmdCrl {
  private final X500Name issuer;
  private final Instant thisUpdate;
  private final Optional<Instant> nextUpdate;
  private final Map<BigInteger, Instant> revoked;
  private final byte[] tbs;
  private final byte[] signature;
  private final boolean pssSha384;
  private volatile AmdCertificate verifiedIssuer;

  private AmdCrl(CertificateList crl) throws IOException {
    TBSCertList body = crl.getTBSCertList();
    this.issuer = crl.getIssuer();
    this.thisUpdate = crl.getThisUpdate().getDate().toInstant();
    this.nextUpdate = Optional.ofNullable(crl.getNextUpdate()).map(t -> t.getDate().toInstant());
    Map<BigInteger, Instant> r = new HashMap<>();
    for (TBSCertList.CRLEntry e : crl.getRevokedCertificates()) {
      r.put(e.getUserCertificate().getValue(), e.getRevocationDate().getDate().toInstant());
    }
    this.revoked = Map.copyOf(r);
    this.tbs = body.getEncoded(ASN1Encoding.DER);
    this.signature = crl.getSignature().getOctets();
    this.pssSha384 = RsaPss.isSha384Salt48(crl.getSignatureAlgorithm());
  }

  /** Parses one DER CRL; {@link Failure#MALFORMED} when it is not one. */
  static AmdCrl parse(byte[] der) throws VerificationException {
    try {
      CertificateList c = CertificateList.getInstance(ASN1Primitive.fromByteArray(der));
      if (c == null || c.getTBSCertList() == null) {
        throw new VerificationException(Failure.MALFORMED, "not an X.509 CRL");
      }
      return new AmdCrl(c);
    } catch (IOException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "not an X.509 CRL: " + e.getMessage(), e);
    }
  }

  X500Name issuer() {
    return issuer;
  }

  /**
   * Checks the list's signature by {@code issuerCert} and that it is current at {@code at}.
   *
   * @throws VerificationException {@link Failure#SIGNATURE_INVALID} for a list that names the
   *     issuer but was not signed by it (a forged or corrupted list fails closed), {@link
   *     Failure#COLLATERAL_EXPIRED} when {@code at} is past its next update
   */
  void requireUsable(AmdCertificate issuerCert, Instant at) throws VerificationException {
    if (verifiedIssuer != issuerCert) {
      if (!pssSha384
          || !Signatures.verify(
              SignatureScheme.RSA_PSS_SHA384, issuerCert.publicKey(), tbs, signature)) {
        throw new VerificationException(
            Failure.SIGNATURE_INVALID,
            "CRL issued by " + issuerCert.subjectCn() + " is not validly signed by it");
      }
      verifiedIssuer = issuerCert;
    }
    if (nextUpdate.isPresent() && at.isAfter(nextUpdate.get())) {
      throw new VerificationException(
          Failure.COLLATERAL_EXPIRED,
          "CRL of "
              + issuerCert.subjectCn()
              + " expired at "
              + nextUpdate.get()
              + ", before "
              + at);
    }
  }

  /** When {@code serial} was revoked, if this list revokes it. */
  Optional<Instant> revocation(BigInteger serial) {
    return Optional.ofNullable(revoked.get(serial));
  }

  Instant thisUpdate() {
    return thisUpdate;
  }
}
