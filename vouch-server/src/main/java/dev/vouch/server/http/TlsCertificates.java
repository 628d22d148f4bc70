package dev.vouch.server.http;

import dev.vouch.server.config.ConfigException;
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
 * into {@code <data_dir>/tls/} on first start (key file mode 0600) and reused after restarts, so
 * that clients can pin it.
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

  static Path selfSignedKey(Path dataDir) {
    return dataDir.resolve("tls").resolve("server.key");
  }

  /** Generates the self-signed pair unless it exists, and returns it as a key store. */
  public static KeyStore selfSigned(Path dataDir) throws ConfigException {
    Path cert = selfSignedCert(dataDir);
    Path key = selfSignedKey(dataDir);
    try {
      if (!Files.exists(cert) || !Files.exists(key)) {
        generate(cert, key);
      }
    } catch (IOException | java.security.GeneralSecurityException | RuntimeException e) {
      throw new ConfigException("cannot create the self-signed TLS certificate: " + e, e);
    }
    return fromPem(cert, key);
  }

  /** A key store holding the PEM key and certificate chain. */
  public static KeyStore fromPem(Path certFile, Path keyFile) throws ConfigException {
    try {
      List<Certificate> chain = new ArrayList<>();
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
      PrivateKey key;
      try (Reader r = Files.newBufferedReader(keyFile);
          PEMParser p = new PEMParser(r)) {
        Object o = p.readObject();
        JcaPEMKeyConverter kc = new JcaPEMKeyConverter();
        if (o instanceof PEMKeyPair kp) {
          // SEC1 keys may omit the public half, so read only the private key info
          key = kc.getPrivateKey(kp.getPrivateKeyInfo());
        } else if (o instanceof PrivateKeyInfo pki) {
          key = kc.getPrivateKey(pki);
        } else {
          throw new ConfigException(keyFile + " holds no unencrypted PEM private key");
        }
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("vouch", key, PASSWORD, chain.toArray(Certificate[]::new));
      return ks;
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new ConfigException("cannot load TLS files " + certFile + ", " + keyFile + ": " + e, e);
    }
  }

  private static void generate(Path certFile, Path keyFile)
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
    Files.createDirectories(certFile.getParent());
    Path tmpKey = keyFile.resolveSibling(keyFile.getFileName() + ".tmp");
    Files.deleteIfExists(tmpKey);
    Files.createFile(
        tmpKey, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(
        tmpKey, pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(kp.getPrivate(), null)));
    Files.move(tmpKey, keyFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
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
