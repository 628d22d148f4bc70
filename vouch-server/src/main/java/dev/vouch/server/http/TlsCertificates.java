package dev.vouch.server.http;

import dev.vouch.server.config.ConfigException;
import dev.vouch.server.store.Sealer;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The server's TLS identity: PEM files as configured, or a self-signed P-256 certificate generated
 * into {@code <data_dir>/tls/} on first start and reused after restarts, so that clients can pin
 * it. The generated private key is kept sealed under the key-encryption key ({@code
 * server.key.sealed}, mode 0600) like every other private key of the server; a plain {@code
 * server.key} left by an older version is sealed and removed on the next start.
 */
public final class TlsCertificates {
  /** The in-memory key store password; the key store never leaves the process. */
  static final char[] PASSWORD = "vouch".toCharArray();

  /** The password of key stores from {@link #fromPem} (they never leave the process). */
  public static char[] keyStorePassword() {
    return PASSWORD.clone();
  }

  private TlsCertificates() {}

  /** Paths of the generated certificate and key under a data dir. */
  public static Path selfSignedCert(Path dataDir) {
    return dataDir.resolve("tls").resolve("server.crt");
  }

  /** The sealed private key of the generated certificate. */
  public static Path selfSignedKey(Path dataDir) {
    return dataDir.resolve("tls").resolve("server.key.sealed");
  }

  private static Path plainKey(Path dataDir) {
    return dataDir.resolve("tls").resolve("server.key");
  }

  private static final String SEAL_TABLE = "tls";
  private static final String SEAL_ID = "server.key";

  /** Generates the self-signed pair unless it exists, and returns it as a key store. */
  public static KeyStore selfSigned(Path dataDir, Sealer sealer) throws ConfigException {
    Path cert = selfSignedCert(dataDir);
    Path key = selfSignedKey(dataDir);
    Path plain = plainKey(dataDir);
    try {
      if (Files.exists(cert) && !Files.exists(key) && Files.exists(plain)) {
        writeSealed(key, sealer, readKey(plain).getEncoded());
        Files.delete(plain);
      }
      if (!Files.exists(cert) || !Files.exists(key)) {
        generate(cert, key, sealer);
      }
      byte[] pkcs8 = sealer.unseal(Files.readAllBytes(key), SEAL_TABLE, SEAL_ID);
      PrivateKey pk =
          java.security.KeyFactory.getInstance("EC")
              .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8));
      return keyStore(readChain(cert), pk);
    } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
      throw new ConfigException("cannot create or open the self-signed TLS identity: " + e, e);
    }
  }

  /** A key store holding the PEM key and certificate chain. */
  public static KeyStore fromPem(Path certFile, Path keyFile) throws ConfigException {
    try {
      return keyStore(readChain(certFile), readKey(keyFile));
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new ConfigException("cannot load TLS files " + certFile + ", " + keyFile + ": " + e, e);
    }
  }

  /**
   * The PEM certificates of a file, in file order.
   *
   * @throws ConfigException when the file holds none
   */
  public static List<X509Certificate> readChain(Path certFile) throws IOException, ConfigException {
    try {
      List<X509Certificate> chain = new ArrayList<>();
      JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
      try (Reader r = Files.newBufferedReader(certFile);
          PEMParser p = new PEMParser(r)) {
        Object o;
        while ((o = p.readObject()) != null) {
          if (o instanceof X509CertificateHolder h) {
            chain.add(conv.getCertificate(h));
          }
        }
      }
      if (chain.isEmpty()) {
        throw new ConfigException(certFile + " holds no PEM certificate");
      }
      return chain;
    } catch (java.security.cert.CertificateException e) {
      throw new IOException(certFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * The unencrypted PEM private key of a file (PKCS#8, or SEC1/PKCS#1).
   *
   * @throws ConfigException when the file holds none
   */
  public static PrivateKey readKey(Path keyFile) throws IOException, ConfigException {
    try (Reader r = Files.newBufferedReader(keyFile);
        PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      JcaPEMKeyConverter kc = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair kp) {
        // SEC1 keys may omit the public half, so read only the private key info
        return kc.getPrivateKey(kp.getPrivateKeyInfo());
      } else if (o instanceof PrivateKeyInfo pki) {
        return kc.getPrivateKey(pki);
      }
      throw new ConfigException(keyFile + " holds no unencrypted PEM private key");
    }
  }

  /** A key store holding {@code key} with {@code chain} under the alias {@code vouch}. */
  public static KeyStore keyStore(List<? extends Certificate> chain, PrivateKey key)
      throws IOException, java.security.GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("vouch", key, PASSWORD, chain.toArray(Certificate[]::new));
    return ks;
  }

  private static void writeSealed(Path keyFile, Sealer sealer, byte[] pkcs8) throws IOException {
    Files.createDirectories(keyFile.getParent());
    Path tmpKey = keyFile.resolveSibling(keyFile.getFileName() + ".tmp");
    Files.deleteIfExists(tmpKey);
    Files.createFile(
        tmpKey, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(tmpKey, sealer.seal(pkcs8, SEAL_TABLE, SEAL_ID));
    Files.move(tmpKey, keyFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static void generate(Path certFile, Path keyFile, Sealer sealer)
      throws IOException, java.security.GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    X500Name name = new X500Name("CN=vouch server");
    Instant now = Instant.now();
    List<GeneralName> sans = new ArrayList<>();
    sans.add(new GeneralName(GeneralName.dNSName, "localhost"));
    sans.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    sans.add(new GeneralName(GeneralName.iPAddress, "::1"));
    try {
      String host = InetAddress.getLocalHost().getHostName();
      if (!host.equals("localhost")) {
        sans.add(new GeneralName(GeneralName.dNSName, host));
      }
    } catch (IOException e) {
      // no resolvable host name: localhost and loopback addresses still work
    }
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            new BigInteger(64, new SecureRandom()).setBit(63),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(Duration.ofDays(825))),
            name,
            kp.getPublic());
    b.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(sans.toArray(GeneralName[]::new)));
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    X509Certificate cert;
    try {
      cert =
          new JcaX509CertificateConverter()
              .getCertificate(
                  b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new java.security.GeneralSecurityException(e);
    }
    writeSealed(keyFile, sealer, kp.getPrivate().getEncoded());
    Files.writeString(certFile, pem(cert));
  }

  private static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    return sw.toString();
  }
}
