package dev.vouch.server.store;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * Rows of a CA table shared by replicas: a name, a private key sealed under the KEK for that row,
 * and a PEM certificate (the report CA's {@code server_identity}, the CMS's {@code cms_ca}). The
 * first replica to start creates them; the others load them.
 */
public final class SealedCertificates {
  private SealedCertificates() {}

  /**
   * Loads with {@code load}, else creates with {@code create} in a transaction; when another
   * replica created them first (a primary key clash), loads theirs.
   */
  public static <T> T loadOrCreate(
      Database db, Database.Work<Optional<T>> load, Database.Work<T> create) {
    Optional<T> found = db.read(load);
    if (found.isPresent()) {
      return found.get();
    }
    try {
      return db.transaction(create);
    } catch (StoreException e) {
      return db.read(load).orElseThrow(() -> e);
    }
  }

  /** Inserts row {@code name} with {@code key} sealed for it and {@code certificatePem}. */
  public static void insert(
      Connection c,
      Sealer sealer,
      String table,
      String name,
      PrivateKey key,
      String certificatePem,
      Instant now)
      throws SQLException {
    byte[] pkcs8 = key.getEncoded();
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO "
                + table
                + " (name, sealed_key, certificate_pem, created_at) VALUES (?, ?, ?, ?)")) {
      ps.setString(1, name);
      ps.setString(2, Base64.getEncoder().encodeToString(sealer.seal(pkcs8, table, name)));
      ps.setString(3, certificatePem);
      Sql.setInstant(ps, 4, now);
      ps.executeUpdate();
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  /** The EC private key sealed (base64) for row {@code name} of {@code table}. */
  public static PrivateKey unsealEc(Sealer sealer, String table, String name, String sealed)
      throws SQLException {
    byte[] pkcs8 = sealer.unseal(Base64.getDecoder().decode(sealed), table, name);
    try {
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      throw new SQLException("the " + table + "/" + name + " key does not parse", e);
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  /** A stored PEM certificate. */
  public static X509Certificate certificate(String pem) throws SQLException {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new SQLException("a stored certificate does not parse", e);
    }
  }
}
