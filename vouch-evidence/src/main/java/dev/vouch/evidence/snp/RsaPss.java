package dev.vouch.evidence.snp;

import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/** Recognises the one signature scheme AMD signs certificates and CRLs with. */
final class RsaPss {
  private RsaPss() {}

  /** True for RSASSA-PSS with SHA-384, MGF1 over SHA-384, a 48-byte salt and trailer 1. */
  static boolean isSha384Salt48(AlgorithmIdentifier alg) {
    if (!PKCSObjectIdentifiers.id_RSASSA_PSS.equals(alg.getAlgorithm())) {
      return false;
    }
    try {
      ASN1Encodable p = alg.getParameters();
      if (p == null) {
        return false;
      }
      RSASSAPSSparams params = RSASSAPSSparams.getInstance(p);
      AlgorithmIdentifier mgf = params.getMaskGenAlgorithm();
      return NISTObjectIdentifiers.id_sha384.equals(params.getHashAlgorithm().getAlgorithm())
          && PKCSObjectIdentifiers.id_mgf1.equals(mgf.getAlgorithm())
          && NISTObjectIdentifiers.id_sha384.equals(
              AlgorithmIdentifier.getInstance(mgf.getParameters()).getAlgorithm())
          && params.getSaltLength().intValueExact() == 48
          && params.getTrailerField().intValueExact() == 1;
    } catch (RuntimeException e) {
      return false;
    }
  }
}
