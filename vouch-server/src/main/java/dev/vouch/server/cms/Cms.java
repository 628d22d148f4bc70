package dev.vouch.server.cms;

import dev.vouch.server.cms.CmsException.Reason;
import dev.vouch.server.monitor.ServerIdentity;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CRLException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.Attribute;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The certificate management service: one-time bootstrap tokens bound to a host id, issuance of TLS
 * certificates from PKCS#10 requests whose names are exactly that host id, revocation and the CRL.
 * All state is in the database, so any replica can issue, revoke or serve the CRL.
 */
public final class Cms {
  /**
   * Every bootstrap token starts with this, so the issuance route can tell it from an AAS token.
   */
  public static final String TOKEN_PREFIX = "vbt.";

  /**
   * How long an issued certificate is valid unless configured ({@code tls.cms_validity_seconds});
   * agents renew at two thirds of it.
   */
  public static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(30);

  /** The shortest validity that may be configured: renewal needs some time to run. */
  public static final Duration MIN_CERTIFICATE_VALIDITY = Duration.ofMinutes(1);

  public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofHours(1);
  static final Duration MAX_TOKEN_LIFETIME = Duration.ofDays(7);
  private static final Duration CRL_NEXT_UPDATE = Duration.ofHours(24);
  private static final int MAX_CSR_CHARS = 16 * 1024;
  // DNS host names (RFC 1123 labels); IP literals are checked apart
  private static final Pattern HOST_NAME =
      Pattern.compile(
          "(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");
  private static final Pattern IP_LITERAL =
      Pattern.compile("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");
  private static final Logger LOG = LoggerFactory.getLogger(Cms.class);

  private final Database db;
  private final CmsAuthority ca;
  private final Clock clock;
  private final Duration validity;
  private final SecureRandom random = new SecureRandom();

  public Cms(Database db, CmsAuthority ca, Clock clock) {
    this(db, ca, clock, CERTIFICATE_VALIDITY);
  }

  /**
   * @param validity how long the certificates it issues are valid
   */
  public Cms(Database db, CmsAuthority ca, Clock clock, Duration validity) {
    if (validity.compareTo(MIN_CERTIFICATE_VALIDITY) < 0) {
      throw new IllegalArgumentException(
          "a CMS certificate is valid " + MIN_CERTIFICATE_VALIDITY.toSeconds() + " s or more");
    }
    this.db = db;
    this.ca = ca;
    this.clock = clock;
    this.validity = validity;
  }

  /** How long the certificates this CMS issues are valid. */
  public Duration validity() {
    return validity;
  }

  public CmsAuthority authority() {
    return ca;
  }

  /** Who asks for a certificate. */
  public sealed interface Requester permits Bootstrap, Enroller, Renewal {}

  /** An agent holding a one-time bootstrap token (the token itself, as sent). */
  public record Bootstrap(String token) implements Requester {
    @Override
    public String toString() {
      return "Bootstrap[token=<redacted>]";
    }
  }

  /** An AAS account holding {@code agents:enroll}, asking for {@code hostId}. */
  public record Enroller(String account, String hostId) implements Requester {}

  /**
   * A holder of a live certificate this CMS issued, renewing it: {@code signature} is the current
   * key's signature over the new CSR's DER encoding (ECDSA with SHA-256 for P-256, SHA-384 for
   * P-384, RSA PKCS#1 v1.5 with SHA-256), so only the current key's holder can ask, and a replayed
   * request can only certify the key whose CSR it carries.
   */
  public record Renewal(X509Certificate current, byte[] signature) implements Requester {
    public Renewal {
      signature = signature.clone();
    }

    @Override
    public byte[] signature() {
      return signature.clone();
    }
  }

  /** The signature algorithm a renewal proof by {@code key} is made with. */
  public static String renewalAlgorithm(PublicKey key) {
    return switch (key) {
      case ECPublicKey ec when ec.getParams().getCurve().getField().getFieldSize() == 384 ->
          "SHA384withECDSA";
      case ECPublicKey ec -> "SHA256withECDSA";
      default -> "SHA256withRSA";
    };
  }

  /** A new bootstrap token: {@code token} is shown once and stored only as a hash. */
  public record BootstrapToken(String id, String token, String hostId, Instant expiresAt) {
    @Override
    public String toString() {
      return "BootstrapToken[id=" + id + ", hostId=" + hostId + ", expiresAt=" + expiresAt + "]";
    }
  }

  /** An issued certificate and the CA chain above it. */
  public record Issued(
      String serial, String hostId, X509Certificate certificate, List<X509Certificate> caChain) {
    public Issued {
      caChain = List.copyOf(caChain);
    }

    /** Leaf, intermediate, root as PEM ({@code application/pem-certificate-chain}). */
    public String chainPem() {
      StringBuilder b = new StringBuilder(ServerIdentity.pem(certificate));
      caChain.forEach(c -> b.append(ServerIdentity.pem(c)));
      return b.toString();
    }
  }

  /** A certificate as listed (no key material). */
  public record CertificateInfo(
      String serial,
      String hostId,
      String issuedBy,
      Instant notBefore,
      Instant notAfter,
      Optional<Instant> revokedAt) {}

  /**
   * Creates a one-time bootstrap token for {@code hostId}.
   *
   * @throws CmsException HOST_ID_INVALID, TOKEN_LIFETIME_INVALID
   */
  public BootstrapToken createBootstrapToken(String hostId, Duration lifetime, String createdBy) {
    String host = checkedHostId(hostId);
    if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_TOKEN_LIFETIME) > 0) {
      throw new CmsException(
          Reason.TOKEN_LIFETIME_INVALID,
          "a bootstrap token lives more than 0 s and at most "
              + MAX_TOKEN_LIFETIME.toDays()
              + " days");
    }
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    String id = UUID.randomUUID().toString();
    Instant now = clock.instant();
    Instant expires = now.plus(lifetime);
    db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO cms_bootstrap_tokens (id, token_hash, host_id, created_by,"
                      + " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, id);
            ps.setString(2, hash(token));
            ps.setString(3, host);
            ps.setString(4, createdBy);
            Sql.setInstant(ps, 5, now);
            Sql.setInstant(ps, 6, expires);
            return ps.executeUpdate();
          }
        });
    LOG.info(
        "cms bootstrap token created id={} host={} by={} expires={}", id, host, createdBy, expires);
    return new BootstrapToken(id, token, host, expires);
  }

  /**
   * Issues a certificate for the CSR in {@code csrPem}. The CSR's signature must verify and its
   * names (subject CN and every subject alternative name, at least one) must be the requester's
   * host id. A bootstrap token is spent only when the certificate is issued, in the same
   * transaction, so two concurrent uses get one certificate.
   *
   * @throws CmsException CSR_MALFORMED, CSR_SIGNATURE_INVALID, CSR_KEY_UNSUPPORTED,
   *     CSR_NAME_MISMATCH, HOST_ID_INVALID, BOOTSTRAP_TOKEN_UNKNOWN/USED/EXPIRED
   */
  public Issued issue(String csrPem, Requester requester) {
    JcaPKCS10CertificationRequest csr = parse(csrPem);
    PublicKey key = checkedKey(csr);
    verifySignature(csr);
    Instant now = clock.instant();
    String host =
        switch (requester) {
          case Bootstrap b -> db.read(c -> tokenHost(c, hash(b.token()), now));
          case Enroller e -> checkedHostId(e.hostId());
          case Renewal r -> renewedHost(r, csr, now);
        };
    GeneralNames names = checkedNames(csr, host);
    String issuedBy =
        switch (requester) {
          case Bootstrap b -> "bootstrap-token";
          case Enroller e -> "account:" + e.account();
          case Renewal r -> "renewal:" + serial(r.current().getSerialNumber());
        };
    Issued issued =
        db.transaction(
            c -> {
              if (requester instanceof Bootstrap b) {
                spend(c, hash(b.token()), now);
              }
              return record(c, ca.issueLeaf(key, host, names, now, validity), host, issuedBy);
            });
    LOG.info("cms certificate issued serial={} host={} by={}", issued.serial(), host, issuedBy);
    return issued;
  }

  /**
   * Issues a server replica's TLS certificate for {@code names} (DNS names or addresses; the first
   * is the common name and the host id it is listed under). The replica's configuration is the
   * authority here, so no token is asked for.
   *
   * @throws CmsException HOST_ID_INVALID for a name that is neither
   */
  public Issued issueServer(PublicKey key, List<String> names) {
    List<String> hosts = names.stream().map(Cms::checkedHostId).toList();
    if (hosts.isEmpty()) {
      throw new CmsException(Reason.HOST_ID_INVALID, "a replica certificate needs a name");
    }
    GeneralNames san =
        new GeneralNames(hosts.stream().map(Cms::generalName).toArray(GeneralName[]::new));
    Instant now = clock.instant();
    Issued issued =
        db.transaction(
            c ->
                record(
                    c,
                    ca.issueLeaf(key, hosts.get(0), san, now, validity),
                    hosts.get(0),
                    "replica"));
    LOG.info("cms replica certificate issued serial={} names={}", issued.serial(), hosts);
    return issued;
  }

  private Issued record(Connection c, X509Certificate cert, String host, String issuedBy)
      throws SQLException {
    String serial = serial(cert.getSerialNumber());
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO cms_certificates (serial, host_id, certificate_pem, issued_by,"
                + " not_before, not_after) VALUES (?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, serial);
      ps.setString(2, host);
      ps.setString(3, ServerIdentity.pem(cert));
      ps.setString(4, issuedBy);
      Sql.setInstant(ps, 5, cert.getNotBefore().toInstant());
      Sql.setInstant(ps, 6, cert.getNotAfter().toInstant());
      ps.executeUpdate();
    }
    return new Issued(serial, host, cert, ca.chain());
  }

  /**
   * Revokes the certificate with {@code serial} (hex); revoking twice keeps the first time.
   *
   * @throws CmsException CERTIFICATE_UNKNOWN
   */
  public void revoke(String serial) {
    String s = normalSerial(serial);
    Instant now = clock.instant();
    int known =
        db.transaction(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "UPDATE cms_certificates SET revoked_at = COALESCE(revoked_at, ?) WHERE serial = ?")) {
                Sql.setInstant(ps, 1, now);
                ps.setString(2, s);
                return ps.executeUpdate();
              }
            });
    if (known == 0) {
      throw new CmsException(Reason.CERTIFICATE_UNKNOWN, "no certificate with serial " + s);
    }
    LOG.info("cms certificate revoked serial={}", s);
  }

  /** The current CRL (DER), signed by the intermediate. */
  public byte[] crl() {
    Map<BigInteger, Instant> revoked =
        db.read(
            c -> {
              Map<BigInteger, Instant> m = new LinkedHashMap<>();
              try (PreparedStatement ps =
                      c.prepareStatement(
                          "SELECT serial, revoked_at FROM cms_certificates"
                              + " WHERE revoked_at IS NOT NULL ORDER BY revoked_at");
                  ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  m.put(new BigInteger(rs.getString("serial"), 16), Sql.instant(rs, "revoked_at"));
                }
              }
              return m;
            });
    try {
      return ca.crl(revoked, clock.instant(), CRL_NEXT_UPDATE).getEncoded();
    } catch (CRLException e) {
      throw new IllegalStateException("the CRL does not encode", e);
    }
  }

  /** Whether the certificate with {@code serial} was issued here and has been revoked. */
  public boolean isRevoked(BigInteger serial) {
    String s = serial(serial);
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT 1 FROM cms_certificates WHERE serial = ? AND revoked_at IS NOT NULL")) {
            ps.setString(1, s);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  /** Issued certificates, newest first. */
  public List<CertificateInfo> certificates() {
    return db.read(
        c -> {
          List<CertificateInfo> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT serial, host_id, issued_by, not_before, not_after, revoked_at"
                          + " FROM cms_certificates ORDER BY not_before DESC, serial");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(
                  new CertificateInfo(
                      rs.getString("serial"),
                      rs.getString("host_id"),
                      rs.getString("issued_by"),
                      Sql.instant(rs, "not_before"),
                      Sql.instant(rs, "not_after"),
                      Optional.ofNullable(Sql.instant(rs, "revoked_at"))));
            }
          }
          return out;
        });
  }

  /**
   * The host of the certificate a renewal presents, when this CMS issued it, it is within its
   * validity, not revoked, and the renewal's signature over the CSR verifies with its key.
   */
  private String renewedHost(Renewal r, JcaPKCS10CertificationRequest csr, Instant now) {
    X509Certificate current = r.current();
    try {
      current.verify(ca.chain().get(0).getPublicKey());
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new CmsException(
          Reason.RENEWAL_CERTIFICATE_UNKNOWN,
          "the certificate to renew was not issued by this CMS");
    }
    String serial = serial(current.getSerialNumber());
    record Row(String host, boolean revoked) {}
    Row row =
        db.read(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT host_id, revoked_at FROM cms_certificates WHERE serial = ?")) {
                ps.setString(1, serial);
                try (ResultSet rs = ps.executeQuery()) {
                  return rs.next()
                      ? new Row(rs.getString("host_id"), Sql.instant(rs, "revoked_at") != null)
                      : null;
                }
              }
            });
    if (row == null) {
      throw new CmsException(
          Reason.RENEWAL_CERTIFICATE_UNKNOWN, "no certificate with serial " + serial);
    }
    if (row.revoked()) {
      throw new CmsException(
          Reason.RENEWAL_CERTIFICATE_REVOKED, "certificate " + serial + " is revoked");
    }
    if (now.isBefore(current.getNotBefore().toInstant())
        || !now.isBefore(current.getNotAfter().toInstant())) {
      throw new CmsException(
          Reason.RENEWAL_CERTIFICATE_EXPIRED,
          "certificate " + serial + " is not valid now; enroll again with a bootstrap token");
    }
    boolean valid;
    try {
      java.security.Signature v =
          java.security.Signature.getInstance(renewalAlgorithm(current.getPublicKey()));
      v.initVerify(current.getPublicKey());
      v.update(csr.getEncoded());
      valid = v.verify(r.signature());
    } catch (GeneralSecurityException | IOException | RuntimeException e) {
      valid = false;
    }
    if (!valid) {
      throw new CmsException(
          Reason.RENEWAL_SIGNATURE_INVALID,
          "the renewal signature does not verify with the key of certificate " + serial);
    }
    return row.host();
  }

  /** The host a live token is bound to; refuses unknown, spent and expired tokens. */
  private static String tokenHost(Connection c, String tokenHash, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT host_id, expires_at, used_at FROM cms_bootstrap_tokens WHERE token_hash = ?")) {
      ps.setString(1, tokenHash);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new CmsException(
              Reason.BOOTSTRAP_TOKEN_UNKNOWN, "the bootstrap token is not known");
        }
        if (Sql.instant(rs, "used_at") != null) {
          throw new CmsException(
              Reason.BOOTSTRAP_TOKEN_USED, "the bootstrap token was already used");
        }
        if (!now.isBefore(Sql.instant(rs, "expires_at"))) {
          throw new CmsException(Reason.BOOTSTRAP_TOKEN_EXPIRED, "the bootstrap token has expired");
        }
        return rs.getString("host_id");
      }
    }
  }

  // the conditional update is the one-time check: of two concurrent uses only one changes the row
  private static void spend(Connection c, String tokenHash, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE cms_bootstrap_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
                + " AND expires_at > ?")) {
      Sql.setInstant(ps, 1, now);
      ps.setString(2, tokenHash);
      Sql.setInstant(ps, 3, now);
      if (ps.executeUpdate() != 1) {
        throw new CmsException(Reason.BOOTSTRAP_TOKEN_USED, "the bootstrap token was already used");
      }
    }
  }

  private static JcaPKCS10CertificationRequest parse(String pem) {
    if (pem == null || pem.isBlank() || pem.length() > MAX_CSR_CHARS) {
      throw new CmsException(
          Reason.CSR_MALFORMED,
          "send one PEM CERTIFICATE REQUEST of at most " + MAX_CSR_CHARS + " characters");
    }
    try (PEMParser p = new PEMParser(new StringReader(pem))) {
      Object o = p.readObject();
      if (!(o instanceof PKCS10CertificationRequest csr)) {
        throw new CmsException(Reason.CSR_MALFORMED, "the body is not a PEM CERTIFICATE REQUEST");
      }
      if (p.readObject() != null) {
        throw new CmsException(Reason.CSR_MALFORMED, "send exactly one CERTIFICATE REQUEST");
      }
      return new JcaPKCS10CertificationRequest(csr);
    } catch (IOException | RuntimeException e) {
      if (e instanceof CmsException ce) {
        throw ce;
      }
      throw new CmsException(Reason.CSR_MALFORMED, "the CSR does not parse: " + e.getMessage());
    }
  }

  // P-256, P-384 or RSA of 2048 bits and more: what every TLS 1.3 peer can use
  private static PublicKey checkedKey(JcaPKCS10CertificationRequest csr) {
    PublicKey key;
    try {
      key = csr.getPublicKey();
    } catch (GeneralSecurityException e) {
      throw new CmsException(Reason.CSR_MALFORMED, "the CSR's public key does not parse");
    }
    boolean ok =
        switch (key) {
          case ECPublicKey ec -> {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            yield bits == 256 || bits == 384;
          }
          case RSAPublicKey rsa -> rsa.getModulus().bitLength() >= 2048;
          default -> false;
        };
    if (!ok) {
      throw new CmsException(
          Reason.CSR_KEY_UNSUPPORTED,
          "the key must be EC P-256, P-384 or RSA of 2048 bits or more");
    }
    return key;
  }

  private static void verifySignature(JcaPKCS10CertificationRequest csr) {
    boolean valid;
    try {
      valid =
          csr.isSignatureValid(
              new JcaContentVerifierProviderBuilder().build(csr.getSubjectPublicKeyInfo()));
    } catch (OperatorCreationException | PKCSException | RuntimeException e) {
      valid = false;
    }
    if (!valid) {
      throw new CmsException(
          Reason.CSR_SIGNATURE_INVALID, "the CSR's signature does not verify with its own key");
    }
  }

  /** The CSR's names as the certificate's SAN, when every one of them is {@code host}. */
  private static GeneralNames checkedNames(JcaPKCS10CertificationRequest csr, String host) {
    for (RDN rdn : csr.getSubject().getRDNs(BCStyle.CN)) {
      String cn = IETFUtils.valueToString(rdn.getFirst().getValue());
      if (!cn.equalsIgnoreCase(host)) {
        throw new CmsException(
            Reason.CSR_NAME_MISMATCH,
            "the CSR's common name " + cn + " is not the host id " + host);
      }
    }
    List<GeneralName> asked = new ArrayList<>();
    for (Attribute a : csr.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
      for (ASN1Encodable v : a.getAttrValues()) {
        GeneralNames san =
            GeneralNames.fromExtensions(
                Extensions.getInstance(v), Extension.subjectAlternativeName);
        if (san != null) {
          asked.addAll(List.of(san.getNames()));
        }
      }
    }
    if (asked.isEmpty()) {
      throw new CmsException(
          Reason.CSR_NAME_MISMATCH,
          "the CSR asks for no subject alternative name; it must name " + host);
    }
    GeneralName expected = generalName(host);
    for (GeneralName n : asked) {
      if (!sameName(n, expected)) {
        throw new CmsException(
            Reason.CSR_NAME_MISMATCH,
            "the CSR names " + describe(n) + ", which is not the host id " + host);
      }
    }
    return new GeneralNames(expected);
  }

  private static boolean sameName(GeneralName n, GeneralName expected) {
    if (n.getTagNo() != expected.getTagNo()) {
      return false;
    }
    if (n.getTagNo() == GeneralName.dNSName) {
      return n.getName().toString().equalsIgnoreCase(expected.getName().toString());
    }
    return n.equals(expected);
  }

  private static String describe(GeneralName n) {
    return switch (n.getTagNo()) {
      case GeneralName.dNSName -> "DNS:" + n.getName();
      case GeneralName.iPAddress ->
          "IP:" + HexFormat.of().formatHex(ASN1OctetString.getInstance(n.getName()).getOctets());
      default -> "a name of type " + n.getTagNo();
    };
  }

  private static GeneralName generalName(String host) {
    return IP_LITERAL.matcher(host).matches()
        ? new GeneralName(GeneralName.iPAddress, host)
        : new GeneralName(GeneralName.dNSName, host);
  }

  /**
   * The host id in canonical form (lower-case name, or an IP literal).
   *
   * @throws CmsException HOST_ID_INVALID
   */
  static String checkedHostId(String hostId) {
    if (hostId == null || hostId.isEmpty() || hostId.length() > 253) {
      throw new CmsException(Reason.HOST_ID_INVALID, "a host id is a DNS name or an IP address");
    }
    if (IP_LITERAL.matcher(hostId).matches()) {
      try {
        // only literals reach here, so no name lookup happens
        return InetAddress.getByName(hostId).getHostAddress();
      } catch (UnknownHostException e) {
        throw new CmsException(Reason.HOST_ID_INVALID, "not an IP address: " + hostId);
      }
    }
    if (!HOST_NAME.matcher(hostId).matches()) {
      throw new CmsException(Reason.HOST_ID_INVALID, "not a DNS host name: " + hostId);
    }
    return hostId.toLowerCase(Locale.ROOT);
  }

  private static String serial(BigInteger serial) {
    return serial.toString(16);
  }

  private static String normalSerial(String serial) {
    try {
      return serial(new BigInteger(serial.strip(), 16));
    } catch (NumberFormatException e) {
      throw new CmsException(Reason.CERTIFICATE_UNKNOWN, "a serial is a hexadecimal number");
    }
  }

  private static String hash(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
