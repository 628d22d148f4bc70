package dev.vouch.agent.trust;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * The agent's HTTPS identity from the server's CMS. The agent makes its own P-256 key, asks for a
 * certificate whose subject CN and only subject alternative name are its host id (the name the
 * server dials), and keeps key and chain in one file in its state directory ({@value #FILE}, mode
 * 0600, replaced atomically so a crash never pairs a key with another key's certificate). At two
 * thirds of the certificate's validity it renews with a fresh key, proving possession of the
 * current one, and the listener's {@link ReloadingKeyManager} presents the new chain from the next
 * handshake on.
 *
 * <p>A stored identity that is still valid and names this host id wins over a bootstrap token (a
 * token is spent once; an agent restarted with the same token keeps its certificate). To re-enroll,
 * for example after the certificate was revoked, delete the file and give a new token.
 */
public final class AgentCertificates {
  /** The file in the state directory holding the private key and the chain (PEM). */
  public static final String FILE = "cms-identity.pem";

  private static final Logger LOG = Logger.getLogger(AgentCertificates.class.getName());
  private static final int MAX_FILE_BYTES = 64 * 1024;

  private final String hostId;
  private final Path file;
  private final CmsClient cms;
  private final Clock clock;
  private PrivateKey key;
  private List<X509Certificate> chain;
  private ReloadingKeyManager keys;

  /**
   * @param hostId the name in the certificate: the DNS name (or address) the server dials
   * @param stateDir where {@value #FILE} is kept; created 0700 when missing
   * @param cms the server's CMS
   * @param clock decides when renewal is due
   */
  public AgentCertificates(String hostId, Path stateDir, CmsClient cms, Clock clock) {
    this.hostId = hostId;
    this.file = stateDir.resolve(FILE);
    this.cms = cms;
    this.clock = clock;
  }

  /** Whether a stored identity exists that is still valid now. */
  public boolean hasValidStoredIdentity() throws IOException {
    return load().filter(this::usable).isPresent();
  }

  // still valid, and for this host id (a changed --host-id needs a certificate of its own)
  private boolean usable(Identity id) {
    try {
      X509Certificate leaf = id.chain().get(0);
      boolean named =
          leaf.getSubjectAlternativeNames() != null
              && leaf.getSubjectAlternativeNames().stream()
                  .anyMatch(n -> hostId.equalsIgnoreCase(String.valueOf(n.get(1))));
      return named && clock.instant().isBefore(notAfter(id.chain()));
    } catch (java.security.cert.CertificateParsingException e) {
      return false;
    }
  }

  /**
   * The key manager for the HTTPS listener: the stored identity when it is still valid (renewed
   * first when due), else a new one enrolled with {@code bootstrapToken}.
   *
   * @throws IllegalStateException when there is no valid stored identity and no token
   * @throws RegistrarException when the CMS refuses or cannot be reached
   * @throws IOException when the state file cannot be read or written
   */
  public synchronized ReloadingKeyManager open(Optional<String> bootstrapToken)
      throws RegistrarException, IOException, InterruptedException {
    Optional<Identity> stored = load();
    if (stored.isPresent() && usable(stored.get())) {
      key = stored.get().key();
      chain = stored.get().chain();
      keys = new ReloadingKeyManager(key, chain);
      LOG.info(
          () ->
              "host "
                  + hostId
                  + ": CMS certificate "
                  + serial()
                  + " valid until "
                  + notAfter(chain));
      try {
        renewIfDue();
      } catch (RegistrarException | IOException e) {
        // the stored certificate is still valid: serve with it, the scheduled check tries again
        LOG.log(
            Level.WARNING,
            "host " + hostId + ": CMS certificate renewal at start failed: " + e.getMessage());
      }
      return keys;
    }
    if (bootstrapToken.isEmpty()) {
      throw new IllegalStateException(
          "no valid CMS certificate in "
              + file
              + " and no bootstrap token to enroll with (--bootstrap-token-file)");
    }
    KeyPair fresh = newKey();
    List<X509Certificate> issued = cms.enroll(bootstrapToken.get(), csrPem(fresh));
    checkIssued(issued, fresh);
    store(fresh.getPrivate(), issued);
    key = fresh.getPrivate();
    chain = issued;
    keys = new ReloadingKeyManager(key, chain);
    LOG.info(() -> "host " + hostId + ": enrolled with the CMS, certificate " + serial());
    return keys;
  }

  /** When the current certificate is due for renewal: two thirds into its validity. */
  public synchronized Instant renewAt() {
    Instant from = chain.get(0).getNotBefore().toInstant();
    Duration life = Duration.between(from, notAfter(chain));
    return from.plus(life.multipliedBy(2).dividedBy(3));
  }

  /** The chain presented now, leaf first. */
  public synchronized List<X509Certificate> chain() {
    return List.copyOf(chain);
  }

  /**
   * Renews when {@link #renewAt()} has come: a fresh key, a CSR for the host id, signed proof of
   * the current key; the new identity is stored, then presented from the next handshake on.
   *
   * @return whether it renewed
   */
  public synchronized boolean renewIfDue()
      throws RegistrarException, IOException, InterruptedException {
    if (clock.instant().isBefore(renewAt())) {
      return false;
    }
    KeyPair fresh = newKey();
    String csr = csrPem(fresh);
    byte[] proof;
    try {
      X509Certificate current = chain.get(0);
      Signature s = Signature.getInstance(renewalAlgorithm(current));
      s.initSign(key);
      s.update(der(csr));
      proof = s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the current key", e);
    }
    List<X509Certificate> issued = cms.renew(csr, chain.get(0), proof);
    checkIssued(issued, fresh);
    store(fresh.getPrivate(), issued);
    String old = serial();
    key = fresh.getPrivate();
    chain = issued;
    keys.replace(key, chain);
    LOG.info(() -> "host " + hostId + ": CMS certificate " + old + " renewed as " + serial());
    return true;
  }

  /**
   * Checks every {@code every} whether renewal is due and renews; a failure is logged and tried
   * again at the next check (the current certificate stays in use until it expires).
   */
  public ScheduledFuture<?> scheduleRenewal(ScheduledExecutorService scheduler, Duration every) {
    return scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            renewIfDue();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RegistrarException | IOException | RuntimeException e) {
            LOG.log(
                Level.WARNING,
                "host " + hostId + ": CMS certificate renewal failed: " + e.getMessage());
          }
        },
        every.toMillis(),
        every.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /** How often to check for renewal: a twentieth of a validity, between ten seconds and an hour. */
  public synchronized Duration checkInterval() {
    Duration life =
        Duration.between(chain.get(0).getNotBefore().toInstant(), notAfter(chain)).dividedBy(20);
    Duration min = Duration.ofSeconds(10);
    Duration max = Duration.ofHours(1);
    return life.compareTo(min) < 0 ? min : life.compareTo(max) > 0 ? max : life;
  }

  private String serial() {
    return chain.get(0).getSerialNumber().toString(16);
  }

  private static Instant notAfter(List<X509Certificate> chain) {
    return chain.get(0).getNotAfter().toInstant();
  }

  /** The algorithm the server expects for a renewal proof by this certificate's key. */
  static String renewalAlgorithm(X509Certificate current) {
    if (current.getPublicKey() instanceof java.security.interfaces.ECPublicKey ec) {
      return ec.getParams().getCurve().getField().getFieldSize() == 384
          ? "SHA384withECDSA"
          : "SHA256withECDSA";
    }
    return "SHA256withRSA";
  }

  // the CMS must certify the key we asked for, for our name, under a CA it sent along
  private void checkIssued(List<X509Certificate> issued, KeyPair asked) throws RegistrarException {
    X509Certificate leaf = issued.get(0);
    if (!leaf.getPublicKey().equals(asked.getPublic())) {
      throw new RegistrarException(201, "", "the CMS certified another key than the one asked");
    }
    try {
      leaf.verify(issued.get(1).getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new RegistrarException(201, "", "the CMS certificate is not signed by its CA");
    }
  }

  private static KeyPair newKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 is not available", e);
    }
  }

  /** A PKCS#10 request with CN and one subject alternative name, both the host id. */
  String csrPem(KeyPair keys) {
    try {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, hostId)));
      PKCS10CertificationRequest csr =
          new JcaPKCS10CertificationRequestBuilder(
                  new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, hostId).build(),
                  keys.getPublic())
              .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
              .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
      return CmsClient.Pem.encode("CERTIFICATE REQUEST", csr.getEncoded());
    } catch (IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot build a CSR", e);
    }
  }

  private static byte[] der(String pem) {
    try (PemReader r = new PemReader(new StringReader(pem))) {
      return r.readPemObject().getContent();
    } catch (IOException e) {
      throw new IllegalStateException("our own CSR does not parse", e);
    }
  }

  private record Identity(PrivateKey key, List<X509Certificate> chain) {}

  private Optional<Identity> load() throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    if (Files.size(file) > MAX_FILE_BYTES) {
      throw new IOException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
    }
    PrivateKey k = null;
    List<X509Certificate> certs = new ArrayList<>();
    try (PemReader r = new PemReader(Files.newBufferedReader(file, StandardCharsets.US_ASCII))) {
      for (PemObject o = r.readPemObject(); o != null; o = r.readPemObject()) {
        switch (o.getType()) {
          case "PRIVATE KEY" ->
              k =
                  KeyFactory.getInstance("EC")
                      .generatePrivate(new PKCS8EncodedKeySpec(o.getContent()));
          case "CERTIFICATE" ->
              certs.add(
                  (X509Certificate)
                      CertificateFactory.getInstance("X.509")
                          .generateCertificate(new ByteArrayInputStream(o.getContent())));
          default -> throw new IOException(file + " holds an unexpected " + o.getType());
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " does not parse: " + e.getMessage(), e);
    }
    if (k == null || certs.size() < 2) {
      throw new IOException(file + " lacks the private key or the certificate chain");
    }
    return Optional.of(new Identity(k, List.copyOf(certs)));
  }

  private void store(PrivateKey k, List<X509Certificate> certs) throws IOException {
    StringBuilder pem = new StringBuilder(CmsClient.Pem.encode("PRIVATE KEY", k.getEncoded()));
    try {
      for (X509Certificate c : certs) {
        pem.append(CmsClient.Pem.encode("CERTIFICATE", c.getEncoded()));
      }
    } catch (GeneralSecurityException e) {
      throw new IOException("a certificate does not encode", e);
    }
    Path dir = file.getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    // created 0600 before the key is written, then moved over the old file in one step
    Path tmp =
        Files.createTempFile(
            dir,
            FILE,
            ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
