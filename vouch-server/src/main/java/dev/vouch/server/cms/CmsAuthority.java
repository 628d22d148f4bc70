package dev.vouch.server.cms;

import dev.vouch.server.monitor.ServerIdentity;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.SealedCertificates;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.StoreException;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The CMS certificate authority: a self-signed P-384 root and a P-256 intermediate it certifies,
 * created by the first replica that starts and shared through the database. Both private keys are
 * sealed under the KEK; the root's is never unsealed again (it signed the intermediate and is kept
 * only for re-issuing it), the intermediate's signs every leaf and CRL. Agents and the server pin
 * the root ({@code GET /api/v1/cms/ca}).
 */
public final class CmsAuthority {
  static final String TABLE = "cms_ca";
  private static final String ROOT = "root";
  private static final String INTERMEDIATE = "intermediate";
  private static final Duration ROOT_VALIDITY = Duration.ofDays(3650);
  private static final Duration INTERMEDIATE_VALIDITY = Duration.ofDays(1825);
  // verifiers with a slightly slow clock accept a fresh certificate
  private static final Duration BACKDATE = Duration.ofHours(1);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final PrivateKey intermediateKey;
  private final X509Certificate intermediate;
  private final X509Certificate root;

  private CmsAuthority(
      PrivateKey intermediateKey, X509Certificate intermediate, X509Certificate root) {
    this.intermediateKey = intermediateKey;
    this.intermediate = intermediate;
    this.root = root;
  }

  /**
   * Loads the CA from the database, creating it when no replica has yet.
   *
   * @throws StoreException when the database fails or the stored key does not unseal
   */
  public static CmsAuthority loadOrCreate(Database db, Sealer sealer, Clock clock) {
    return SealedCertificates.loadOrCreate(
        db, c -> load(c, sealer), c -> create(c, sealer, clock.instant()));
  }

  /** The root certificate agents and the server pin. */
  public X509Certificate root() {
    return root;
  }

  /** The CA chain, intermediate first, root last. */
  public List<X509Certificate> chain() {
    return List.of(intermediate, root);
  }

  /**
   * Issues a TLS leaf for {@code names} (the subject alternative names) with both server and client
   * authentication, so the one certificate serves an agent's listener and its mTLS.
   */
  X509Certificate issueLeaf(
      PublicKey key, String commonName, GeneralNames names, Instant now, Duration validity) {
    try {
      JcaX509v3CertificateBuilder b =
          builder(
              X500Name.getInstance(intermediate.getSubjectX500Principal().getEncoded()),
              new X500Name("CN=" + rdnEscape(commonName)),
              key,
              now,
              validity);
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      int usage = KeyUsage.digitalSignature;
      if ("RSA".equals(key.getAlgorithm())) {
        usage |= KeyUsage.keyEncipherment;
      }
      b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
      b.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectAlternativeName, false, names);
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(key));
      b.addExtension(
          Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(intermediate));
      return new JcaX509CertificateConverter().getCertificate(b.build(signer(intermediateKey)));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException("the CMS intermediate cannot sign: " + e.getMessage(), e);
    }
  }

  /**
   * A CRL signed by the intermediate listing {@code revoked} (serial to revocation time), valid
   * until {@code nextUpdate}. The CRL number is the issue time in milliseconds, so CRLs made by
   * different replicas still increase.
   */
  X509CRL crl(Map<BigInteger, Instant> revoked, Instant now, Duration nextUpdate) {
    try {
      X509v2CRLBuilder b =
          new X509v2CRLBuilder(
              X500Name.getInstance(intermediate.getSubjectX500Principal().getEncoded()),
              Date.from(now));
      b.setNextUpdate(Date.from(now.plus(nextUpdate)));
      revoked.forEach((serial, at) -> b.addCRLEntry(serial, Date.from(at), CRLReason.unspecified));
      b.addExtension(
          Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(now.toEpochMilli())));
      b.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(intermediate));
      return new JcaX509CRLConverter().getCRL(b.build(signer(intermediateKey)));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new IllegalStateException(
          "the CMS intermediate cannot sign a CRL: " + e.getMessage(), e);
    }
  }

  private static Optional<CmsAuthority> load(Connection c, Sealer sealer) throws SQLException {
    X509Certificate rootCert = null;
    X509Certificate interCert = null;
    PrivateKey interKey = null;
    try (PreparedStatement ps =
        c.prepareStatement("SELECT name, sealed_key, certificate_pem FROM " + TABLE)) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString("name");
          X509Certificate cert = SealedCertificates.certificate(rs.getString("certificate_pem"));
          if (ROOT.equals(name)) {
            rootCert = cert;
          } else if (INTERMEDIATE.equals(name)) {
            interCert = cert;
            interKey =
                SealedCertificates.unsealEc(
                    sealer, TABLE, INTERMEDIATE, rs.getString("sealed_key"));
          }
        }
      }
    }
    if (rootCert == null || interCert == null) {
      return Optional.empty();
    }
    return Optional.of(new CmsAuthority(interKey, interCert, rootCert));
  }

  private static CmsAuthority create(Connection c, Sealer sealer, Instant now) throws SQLException {
    try {
      KeyPair rootKeys = keyPair("secp384r1");
      X500Name rootName = new X500Name("CN=Vouch CMS root CA");
      X509Certificate rootCert =
          caCertificate(rootName, rootKeys, rootName, rootKeys.getPublic(), now, ROOT_VALIDITY, 1);
      KeyPair interKeys = keyPair("secp256r1");
      X509Certificate interCert =
          caCertificate(
              rootName,
              rootKeys,
              new X500Name("CN=Vouch CMS intermediate CA"),
              interKeys.getPublic(),
              now,
              INTERMEDIATE_VALIDITY,
              0);
      SealedCertificates.insert(
          c, sealer, TABLE, ROOT, rootKeys.getPrivate(), ServerIdentity.pem(rootCert), now);
      SealedCertificates.insert(
          c,
          sealer,
          TABLE,
          INTERMEDIATE,
          interKeys.getPrivate(),
          ServerIdentity.pem(interCert),
          now);
      return new CmsAuthority(interKeys.getPrivate(), interCert, rootCert);
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new SQLException("cannot create the CMS certificate authority: " + e.getMessage(), e);
    }
  }

  private static KeyPair keyPair(String curve) throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  private static JcaX509v3CertificateBuilder builder(
      X500Name issuer, X500Name subject, PublicKey key, Instant now, Duration validity) {
    // backdated for clocks behind ours, but by at most a sixth of a short validity, so that two
    // thirds of the whole period (when holders renew) still lies ahead at issuance
    Duration back =
        validity.dividedBy(6).compareTo(BACKDATE) < 0 ? validity.dividedBy(6) : BACKDATE;
    return new JcaX509v3CertificateBuilder(
        issuer,
        new BigInteger(128, RANDOM).setBit(127),
        Date.from(now.minus(back)),
        Date.from(now.plus(validity)),
        subject,
        key);
  }

  private static X509Certificate caCertificate(
      X500Name issuer,
      KeyPair issuerKeys,
      X500Name subject,
      PublicKey subjectKey,
      Instant now,
      Duration validity,
      int pathLength)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    JcaX509v3CertificateBuilder b = builder(issuer, subject, subjectKey, now, validity);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLength));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
    b.addExtension(
        Extension.authorityKeyIdentifier,
        false,
        ext.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(signer(issuerKeys.getPrivate())));
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    String alg =
        key instanceof java.security.interfaces.ECPrivateKey ec
                && ec.getParams().getCurve().getField().getFieldSize() > 256
            ? "SHA384withECDSA"
            : "SHA256withECDSA";
    return new JcaContentSignerBuilder(alg).build(key);
  }

  // host ids are validated before they get here; escaping keeps a stray comma from adding an RDN
  private static String rdnEscape(String s) {
    return s.replace("\\", "\\\\").replace(",", "\\,").replace("+", "\\+").replace("=", "\\=");
  }
}
