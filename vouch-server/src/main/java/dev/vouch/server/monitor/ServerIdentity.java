package dev.vouch.server.monitor;

import dev.vouch.server.store.Database;
import dev.vouch.server.store.SealedCertificates;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.StoreException;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
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
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The key the server signs trust reports and flavors with, and its certificate chain: a P-256 key
 * certified by the server's own report CA (a self-signed P-256 root), both created by the first
 * replica that starts and shared through the database, private halves sealed. Relying parties pin
 * the CA certificate ({@code GET /api/v1/reports/ca}, or {@code vouch report verify --ca}).
 */
public final class ServerIdentity {
  private static final String TABLE = "server_identity";
  private static final String CA = "report-ca";
  private static final String SIGNER = "report-signer";
  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  private static final Duration SIGNER_VALIDITY = Duration.ofDays(825);

  private final ECPrivateKey key;
  private final List<X509Certificate> chain;

  private ServerIdentity(ECPrivateKey key, List<X509Certificate> chain) {
    this.key = key;
    this.chain = List.copyOf(chain);
  }

  /**
   * Loads the identity from the database, creating it when no replica has yet.
   *
   * @throws StoreException when the database fails or the stored identity does not unseal
   */
  public static ServerIdentity loadOrCreate(Database db, Sealer sealer, Clock clock) {
    return SealedCertificates.loadOrCreate(
        db, c -> load(c, sealer), c -> create(c, sealer, clock.instant()));
  }

  /** The signing key (P-256). */
  public ECPrivateKey key() {
    return key;
  }

  /** The chain, signer first, CA last. */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** The CA certificate relying parties pin. */
  public X509Certificate ca() {
    return chain.get(chain.size() - 1);
  }

  /** The CA certificate as PEM. */
  public String caPem() {
    return pem(ca());
  }

  private static Optional<ServerIdentity> load(Connection c, Sealer sealer) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT name, sealed_key, certificate_pem FROM " + TABLE + " WHERE name IN (?, ?)")) {
      ps.setString(1, CA);
      ps.setString(2, SIGNER);
      X509Certificate caCert = null;
      X509Certificate signerCert = null;
      ECPrivateKey signerKey = null;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          X509Certificate cert = SealedCertificates.certificate(rs.getString("certificate_pem"));
          if (CA.equals(rs.getString("name"))) {
            caCert = cert;
          } else {
            signerCert = cert;
            signerKey =
                (ECPrivateKey)
                    SealedCertificates.unsealEc(sealer, TABLE, SIGNER, rs.getString("sealed_key"));
          }
        }
      }
      if (caCert == null || signerCert == null) {
        return Optional.empty();
      }
      return Optional.of(new ServerIdentity(signerKey, List.of(signerCert, caCert)));
    }
  }

  private static ServerIdentity create(Connection c, Sealer sealer, Instant now)
      throws SQLException {
    try {
      KeyPair caKeys = p256();
      X500Name caName = new X500Name("CN=Vouch report CA");
      X509Certificate caCert =
          issue(caName, caKeys, caName, caKeys.getPublic(), now, CA_VALIDITY, true);
      KeyPair signerKeys = p256();
      X509Certificate signerCert =
          issue(
              caName,
              caKeys,
              new X500Name("CN=Vouch trust report signer"),
              signerKeys.getPublic(),
              now,
              SIGNER_VALIDITY,
              false);
      SealedCertificates.insert(c, sealer, TABLE, CA, caKeys.getPrivate(), pem(caCert), now);
      SealedCertificates.insert(
          c, sealer, TABLE, SIGNER, signerKeys.getPrivate(), pem(signerCert), now);
      return new ServerIdentity(
          (ECPrivateKey) signerKeys.getPrivate(), List.of(signerCert, caCert));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new SQLException("cannot create the report-signing identity: " + e.getMessage(), e);
    }
  }

  private static KeyPair p256() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate issue(
      X500Name issuer,
      KeyPair issuerKeys,
      X500Name subject,
      java.security.PublicKey subjectKey,
      Instant now,
      Duration validity,
      boolean ca)
      throws GeneralSecurityException, OperatorCreationException, IOException {
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            new BigInteger(64, new SecureRandom()).setBit(63),
            // an hour back, so verifiers with a slightly slow clock accept fresh certificates
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(validity)),
            subject,
            subjectKey);
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
    b.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
    b.addExtension(
        Extension.authorityKeyIdentifier,
        false,
        ext.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
  }

  /** PEM text of a certificate. */
  public static String pem(X509Certificate cert) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(cert);
    } catch (IOException e) {
      throw new IllegalStateException("writing PEM to memory failed", e);
    }
    return out.toString();
  }
}
