package dev.vouch.bench.hosts;

import dev.vouch.agent.image.PrivateKeyFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The bench's stand-in for a TPM manufacturer: a P-256 root that certifies the simulated TPMs' EKs,
 * kept in a directory as {@value #KEY}, {@value #CERT} (what the server's {@code
 * registrar.ek_roots} names) and {@value #CRL}, an empty CRL signed by the root (for {@code
 * registrar.ek_crls}, so the server keeps revocation checking on). {@link #create} writes them
 * before the server starts; the bench then {@link #load}s the same directory to issue EK
 * certificates.
 */
public final class BenchEkCa {
  static final String KEY = "ek-ca.key";
  static final String CERT = "ek-ca.pem";
  static final String CRL = "ek-ca.crl";

  /** How long the root and its CRL stay valid: longer than any bench run. */
  private static final Duration VALIDITY = Duration.ofDays(30);

  private final PrivateKey key;
  private final X509Certificate cert;
  private final SecureRandom random;

  private BenchEkCa(PrivateKey key, X509Certificate cert, SecureRandom random) {
    this.key = key;
    this.cert = cert;
    this.random = random;
  }

  /** Makes a new root and its CRL in {@code dir} (created when absent; files replaced). */
  public static BenchEkCa create(Path dir, SecureRandom random)
      throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    var keys = g.generateKeyPair();
    Instant now = Instant.now();
    X500Name name = new X500Name("CN=Vouch bench EK root");
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name,
            serial(random),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(VALIDITY)),
            name,
            keys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    X509Certificate root =
        new JcaX509CertificateConverter().getCertificate(b.build(signer(keys.getPrivate())));
    X509v2CRLBuilder crl = new X509v2CRLBuilder(name, Date.from(now.minus(Duration.ofHours(1))));
    crl.setNextUpdate(Date.from(now.plus(VALIDITY)));
    byte[] crlDer = crl.build(signer(keys.getPrivate())).getEncoded();
    Path keyFile = dir.resolve(KEY);
    Files.deleteIfExists(keyFile);
    Files.createFile(
        keyFile,
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    Files.writeString(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    Files.writeString(dir.resolve(CERT), pem("CERTIFICATE", root.getEncoded()));
    Files.writeString(dir.resolve(CRL), pem("X509 CRL", crlDer));
    return new BenchEkCa(keys.getPrivate(), root, random);
  }

  /** The root {@link #create} wrote to {@code dir}. */
  public static BenchEkCa load(Path dir, SecureRandom random)
      throws IOException, GeneralSecurityException {
    PrivateKey key = PrivateKeyFile.read(dir.resolve(KEY));
    X509Certificate cert =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(Files.readAllBytes(dir.resolve(CERT))));
    return new BenchEkCa(key, cert, random);
  }

  public X509Certificate certificate() {
    return cert;
  }

  /** An EK certificate (DER) for {@code ek}, valid as long as the root. */
  public byte[] issue(String hostId, PublicKey ek) throws GeneralSecurityException {
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name(cert.getSubjectX500Principal().getName()),
            serial(random),
            Date.from(Instant.now().minus(Duration.ofMinutes(10))),
            cert.getNotAfter(),
            new X500Name("CN=bench EK " + hostId),
            ek);
    try {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyAgreement));
      return b.build(signer(key)).getEncoded();
    } catch (IOException e) {
      throw new GeneralSecurityException("EK certificate encoding", e);
    }
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(63, random).add(BigInteger.ONE);
  }

  private static ContentSigner signer(PrivateKey key) throws GeneralSecurityException {
    try {
      return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("no SHA256withECDSA signer", e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
