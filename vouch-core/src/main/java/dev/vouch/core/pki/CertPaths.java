package dev.vouch.core.pki;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.PublicKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXCertPathChecker;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.security.auth.x500.X500Principal;

/**
 * The one certificate-path validator of Vouch: the JDK's PKIX {@link CertPathValidator} with
 * explicit trust anchors, a fixed validation time, key usage checked, unknown critical extensions
 * refused, and revocation checked against the caller's offline CRLs only (each certificate needs a
 * current CRL signed by its issuer, whose key usage allows cRLSign, that does not list it). Nothing
 * is fetched: the JDK's own revocation checker is not used, since it follows CRL distribution
 * points over the network when the given CRLs do not answer.
 *
 * <p>On top of what PKIX checks (signatures, name chaining, validity, basic constraints and path
 * length, name constraints, keyCertSign when a CA carries keyUsage), every CA certificate below the
 * anchor must carry keyUsage with keyCertSign (RFC 5280 4.2.1.3 requires it of CAs), a leaf whose
 * keyUsage is restricted must allow digitalSignature when {@link PathSettings#leafSignsData()} says
 * so (a leaf without keyUsage is unrestricted), and the anchor itself must be valid at the
 * validation time.
 *
 * <p>Failures, each a stable {@link Failure} code:
 *
 * <ul>
 *   <li>{@link Failure#CHAIN_UNTRUSTED}: no anchor issued the path, a signature or name link is
 *       broken, a role or key usage is wrong, an unknown critical extension is present;
 *   <li>{@link Failure#CERT_EXPIRED}: a certificate (or the anchor) is outside its validity window;
 *   <li>{@link Failure#CERT_REVOKED}: a current CRL lists a certificate of the path;
 *   <li>{@link Failure#COLLATERAL_MISSING}: revocation is required and no CRL of a certificate's
 *       issuer was supplied; {@link Failure#COLLATERAL_EXPIRED}: only CRLs that are not current at
 *       the validation time were; {@link Failure#SIGNATURE_INVALID}: only CRLs that the issuer did
 *       not sign were.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class CertPaths {
  private CertPaths() {}

  /**
   * Validates {@code chain} (leaf first, each certificate issued by the next; it may end with the
   * anchor itself, which is then dropped) at {@code at}.
   *
   * @param crls CRLs to check revocation with (any issuers, any dates: the current ones are used)
   * @throws VerificationException with the codes of the class description
   */
  public static PathResult validate(
      List<X509Certificate> chain, Collection<X509CRL> crls, Instant at, PathSettings settings)
      throws VerificationException {
    List<X509Certificate> path = new ArrayList<>(chain);
    while (!path.isEmpty() && isAnchor(path.get(path.size() - 1), settings)) {
      path.remove(path.size() - 1);
    }
    if (path.isEmpty()) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, "the chain holds only a trust anchor, no certificate to check");
    }
    X509Certificate top = path.get(path.size() - 1);
    if (settings.anchors().stream()
        .noneMatch(a -> a.getSubjectX500Principal().equals(top.getIssuerX500Principal()))) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED,
          describe(top)
              + " is issued by "
              + top.getIssuerX500Principal().getName()
              + ", which is no trust anchor");
    }
    Date when = Date.from(at);
    // an anchor outside its own validity ends every path below it (PKIX does not check anchors)
    List<X509Certificate> issuers =
        settings.anchors().stream()
            .filter(a -> a.getSubjectX500Principal().equals(top.getIssuerX500Principal()))
            .toList();
    if (issuers.stream().noneMatch(a -> validAt(a, when))) {
      X509Certificate a = issuers.get(0);
      throw new VerificationException(
          Failure.CERT_EXPIRED, "trust anchor " + describe(a) + validity(a, at));
    }
    List<X509CRL> current = new ArrayList<>();
    for (X509CRL crl : crls) {
      if (isCurrent(crl, at)) {
        current.add(crl);
      }
    }
    Optional<Instant> staleSince = Optional.empty();
    if (settings.revocation() == Revocation.REQUIRED_STALE_REPORTED) {
      staleSince = addStale(path, crls, current, at);
    }
    X509Certificate leaf = path.get(0);
    X509Certificate anchor;
    try {
      anchor =
          switch (settings.revocation()) {
            case DISABLED -> pkix(path, leaf, List.of(), false, when, settings);
            case REQUIRED, REQUIRED_STALE_REPORTED ->
                pkix(path, leaf, current, true, when, settings);
            case CA_CERTIFICATES -> {
              // the whole path without revocation, then the CA part alone with it
              X509Certificate a = pkix(path, leaf, List.of(), false, when, settings);
              if (path.size() > 1) {
                pkix(path.subList(1, path.size()), leaf, current, true, when, settings);
              }
              yield a;
            }
          };
    } catch (CertPathValidatorException e) {
      throw diagnose(e, path, leaf, crls, at, when, settings);
    }
    if (!validAt(anchor, when)) {
      throw new VerificationException(
          Failure.CERT_EXPIRED, "trust anchor " + describe(anchor) + validity(anchor, at));
    }
    return stable(
        new PathResult(path, anchor, settings.revocation(), at, at, staleSince), crls, at);
  }

  /**
   * Adds to {@code usable} the CRLs already issued at {@code at} but past their next update, for
   * the issuers of {@code path} that have no current CRL among {@code usable}; returns the earliest
   * such next update. Whether a stale CRL is signed by its issuer is checked as for any CRL.
   */
  private static Optional<Instant> addStale(
      List<X509Certificate> path, Collection<X509CRL> crls, List<X509CRL> usable, Instant at) {
    Set<X500Principal> issuers = new HashSet<>();
    for (X509Certificate c : path) {
      issuers.add(c.getIssuerX500Principal());
    }
    for (X509CRL crl : usable) {
      issuers.remove(crl.getIssuerX500Principal());
    }
    Instant earliest = null;
    for (X509CRL crl : crls) {
      if (issuers.contains(crl.getIssuerX500Principal()) && isStale(crl, at)) {
        usable.add(crl);
        Instant next = crl.getNextUpdate().toInstant();
        earliest = earliest == null || next.isBefore(earliest) ? next : earliest;
      }
    }
    return Optional.ofNullable(earliest);
  }

  // every instant where a certificate or CRL window opens or closes; between two, nothing changes
  private static PathResult stable(PathResult r, Collection<X509CRL> crls, Instant at) {
    List<Instant> points = new ArrayList<>();
    List<X509Certificate> all = new ArrayList<>(r.path());
    all.add(r.anchor());
    for (X509Certificate c : all) {
      points.add(c.getNotBefore().toInstant());
      points.add(c.getNotAfter().toInstant());
    }
    for (X509CRL l : crls) {
      points.add(l.getThisUpdate().toInstant());
      if (l.getNextUpdate() != null) {
        points.add(l.getNextUpdate().toInstant());
      }
    }
    if (points.contains(at)) {
      return r;
    }
    Instant after = Instant.MIN;
    Instant before = Instant.MAX;
    for (Instant p : points) {
      if (p.isBefore(at) && p.isAfter(after)) {
        after = p;
      }
      if (p.isAfter(at) && p.isBefore(before)) {
        before = p;
      }
    }
    return new PathResult(r.path(), r.anchor(), r.revocation(), after, before, r.staleCrlsSince());
  }

  /**
   * Builds a path from {@code leaf} through certificates of {@code pool} (any order; none of them
   * trusted for being there) to an anchor, and validates it as {@link #validate}. Among several
   * candidate paths the first that validates wins; when none does, the failure of the last one
   * tried is thrown ({@link Failure#CHAIN_UNTRUSTED} when no issuer links lead to an anchor).
   */
  public static PathResult build(
      X509Certificate leaf,
      Collection<X509Certificate> pool,
      Collection<X509CRL> crls,
      Instant at,
      PathSettings settings)
      throws VerificationException {
    List<List<X509Certificate>> candidates = new ArrayList<>();
    List<X509Certificate> start = new ArrayList<>();
    start.add(leaf);
    walk(start, List.copyOf(pool), settings, candidates);
    if (candidates.isEmpty()) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED,
          "no chain from "
              + describe(leaf)
              + " (issuer "
              + leaf.getIssuerX500Principal().getName()
              + ") to a trust anchor");
    }
    VerificationException last = null;
    for (List<X509Certificate> c : candidates) {
      try {
        return validate(c, crls, at, settings);
      } catch (VerificationException e) {
        last = e;
      }
    }
    throw last;
  }

  private static final int MAX_DEPTH = 8;

  // depth-first over issuer links that hold by name and signature; each path ends at an anchor
  private static void walk(
      List<X509Certificate> path,
      List<X509Certificate> pool,
      PathSettings settings,
      List<List<X509Certificate>> out) {
    X509Certificate current = path.get(path.size() - 1);
    for (X509Certificate a : settings.anchors()) {
      if (issued(a, current)) {
        out.add(List.copyOf(path));
        return;
      }
    }
    if (path.size() >= MAX_DEPTH) {
      return;
    }
    for (X509Certificate next : pool) {
      if (!path.contains(next) && !isAnchor(next, settings) && issued(next, current)) {
        path.add(next);
        walk(path, pool, settings, out);
        path.remove(path.size() - 1);
      }
    }
  }

  private static boolean issued(X509Certificate issuer, X509Certificate cert) {
    if (!issuer.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
      return false;
    }
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static X509Certificate pkix(
      List<X509Certificate> path,
      X509Certificate leaf,
      List<X509CRL> crls,
      boolean revocation,
      Date when,
      PathSettings settings)
      throws CertPathValidatorException {
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (X509Certificate a : settings.anchors()) {
        anchors.add(new TrustAnchor(a, null));
      }
      CertPathValidator cpv = CertPathValidator.getInstance("PKIX");
      PKIXParameters params = new PKIXParameters(anchors);
      params.setDate(when);
      // the revocation checker is added explicitly below, never the JDK's default one
      params.setRevocationEnabled(false);
      params.addCertPathChecker(new UsageAndExtensions(leaf, settings));
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      java.security.cert.CertPath certPath = cf.generateCertPath(path);
      PKIXCertPathValidatorResult r = (PKIXCertPathValidatorResult) cpv.validate(certPath, params);
      if (revocation) {
        // our own offline check, not the JDK's revocation checker: that one fetches CRLs from the
        // certificates' distribution points over the network when the given ones do not answer
        offlineRevocation(certPath, path, crls, r.getTrustAnchor().getTrustedCert());
      }
      return r.getTrustAnchor().getTrustedCert();
    } catch (InvalidAlgorithmParameterException | CertificateException e) {
      throw new CertPathValidatorException("path cannot be validated: " + e.getMessage(), e);
    } catch (CertPathValidatorException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK lacks PKIX", e);
    }
  }

  /**
   * Every certificate of the (already validated) path must be covered by a CRL of its issuer that
   * the issuer signed, that is current at the validation time (the caller passes only current
   * ones), and that does not list it. Indirect and delta CRLs are not used.
   */
  private static void offlineRevocation(
      java.security.cert.CertPath certPath,
      List<X509Certificate> path,
      List<X509CRL> crls,
      X509Certificate anchor)
      throws CertPathValidatorException {
    for (int i = 0; i < path.size(); i++) {
      X509Certificate c = path.get(i);
      X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : anchor;
      boolean[] usage = issuer.getKeyUsage();
      boolean mayIssueCrls = usage == null || (usage.length > 6 && usage[6]);
      X509CRL covering = null;
      for (X509CRL crl : crls) {
        if (mayIssueCrls
            && crl.getIssuerX500Principal().equals(c.getIssuerX500Principal())
            && signedBy(crl, issuer.getPublicKey())) {
          covering = crl;
          if (crl.isRevoked(c)) {
            throw new CertPathValidatorException(
                "revoked by the CRL of " + crl.getIssuerX500Principal().getName(),
                null,
                certPath,
                i,
                CertPathValidatorException.BasicReason.REVOKED);
          }
        }
      }
      if (covering == null) {
        throw new CertPathValidatorException(
            "no current CRL of its issuer, signed by the issuer",
            null,
            certPath,
            i,
            CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS);
      }
    }
  }

  private static VerificationException diagnose(
      CertPathValidatorException e,
      List<X509Certificate> path,
      X509Certificate leaf,
      Collection<X509CRL> crls,
      Instant at,
      Date when,
      PathSettings settings) {
    Certificate bad = badCertificate(e);
    String which = bad instanceof X509Certificate x ? describe(x) : "the path";
    if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
        || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
      return new VerificationException(
          Failure.CERT_EXPIRED,
          which + (bad instanceof X509Certificate x ? validity(x, at) : " is not valid at " + at),
          e);
    }
    if (e.getReason() == CertPathValidatorException.BasicReason.REVOKED) {
      return new VerificationException(Failure.CERT_REVOKED, which + " is revoked", e);
    }
    if (e.getReason() != CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS) {
      return new VerificationException(
          Failure.CHAIN_UNTRUSTED, which + " does not validate: " + e.getMessage(), e);
    }
    // revocation undetermined: a broken path says more than the missing CRL does
    try {
      pkix(path, leaf, List.of(), false, when, settings);
    } catch (CertPathValidatorException plain) {
      return diagnose(plain, path, leaf, crls, at, when, settings);
    }
    for (int i = 0; i < path.size(); i++) {
      X509Certificate c = path.get(i);
      if (i == 0 && settings.revocation() == Revocation.CA_CERTIFICATES) {
        continue;
      }
      PublicKey issuerKey = issuerKey(path, i, settings);
      List<X509CRL> named = new ArrayList<>();
      List<X509CRL> signed = new ArrayList<>();
      for (X509CRL crl : crls) {
        if (crl.getIssuerX500Principal().equals(c.getIssuerX500Principal())) {
          named.add(crl);
          if (issuerKey != null && signedBy(crl, issuerKey)) {
            signed.add(crl);
          }
        }
      }
      if (named.isEmpty()) {
        return new VerificationException(
            Failure.COLLATERAL_MISSING,
            "no CRL of " + c.getIssuerX500Principal().getName() + " to check " + describe(c),
            e);
      }
      if (signed.isEmpty()) {
        return new VerificationException(
            Failure.SIGNATURE_INVALID,
            "the CRL of " + c.getIssuerX500Principal().getName() + " is not signed by its issuer",
            e);
      }
      boolean staleAnswers = settings.revocation() == Revocation.REQUIRED_STALE_REPORTED;
      if (signed.stream().noneMatch(l -> isCurrent(l, at) || (staleAnswers && isStale(l, at)))) {
        X509CRL l = signed.get(0);
        return new VerificationException(
            Failure.COLLATERAL_EXPIRED,
            "the CRL of "
                + c.getIssuerX500Principal().getName()
                + " is valid "
                + l.getThisUpdate().toInstant()
                + " to "
                + (l.getNextUpdate() == null ? "(no next update)" : l.getNextUpdate().toInstant())
                + ", not at "
                + at,
            e);
      }
    }
    return new VerificationException(
        Failure.COLLATERAL_MISSING, which + ": no usable CRL (" + e.getMessage() + ")", e);
  }

  private static PublicKey issuerKey(List<X509Certificate> path, int i, PathSettings settings) {
    if (i + 1 < path.size()) {
      return path.get(i + 1).getPublicKey();
    }
    X509Certificate c = path.get(i);
    for (X509Certificate a : settings.anchors()) {
      if (issued(a, c)) {
        return a.getPublicKey();
      }
    }
    return null;
  }

  private static boolean signedBy(X509CRL crl, PublicKey key) {
    try {
      crl.verify(key);
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static Certificate badCertificate(CertPathValidatorException e) {
    int i = e.getIndex();
    if (e.getCertPath() == null || i < 0 || i >= e.getCertPath().getCertificates().size()) {
      return null;
    }
    return e.getCertPath().getCertificates().get(i);
  }

  /** Current means issued by {@code at} and with a next update no earlier than {@code at}. */
  private static boolean isCurrent(X509CRL crl, Instant at) {
    return crl.getNextUpdate() != null
        && !at.isBefore(crl.getThisUpdate().toInstant())
        && !at.isAfter(crl.getNextUpdate().toInstant());
  }

  /** Stale means issued by {@code at} but with a next update before it. */
  private static boolean isStale(X509CRL crl, Instant at) {
    return crl.getNextUpdate() != null
        && !at.isBefore(crl.getThisUpdate().toInstant())
        && at.isAfter(crl.getNextUpdate().toInstant());
  }

  private static boolean validAt(X509Certificate c, Date when) {
    return !when.before(c.getNotBefore()) && !when.after(c.getNotAfter());
  }

  private static boolean isAnchor(X509Certificate c, PathSettings settings) {
    for (X509Certificate a : settings.anchors()) {
      if (sameEncoding(a, c)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameEncoding(X509Certificate a, X509Certificate b) {
    try {
      return Arrays.equals(a.getEncoded(), b.getEncoded());
    } catch (CertificateEncodingException e) {
      return false;
    }
  }

  private static String describe(X509Certificate c) {
    return "certificate "
        + c.getSubjectX500Principal().getName()
        + " (serial "
        + c.getSerialNumber().toString(16)
        + ")";
  }

  private static String validity(X509Certificate c, Instant at) {
    return " is valid "
        + c.getNotBefore().toInstant()
        + " to "
        + c.getNotAfter().toInstant()
        + ", not at "
        + at;
  }

  /**
   * Key usage by role, and the caller's critical extensions: those it names are marked as processed
   * so that PKIX does not refuse them; every other unknown one still fails the path.
   */
  private static final class UsageAndExtensions extends PKIXCertPathChecker {
    private static final int DIGITAL_SIGNATURE = 0;
    private static final int KEY_CERT_SIGN = 5;

    private final X509Certificate leaf;
    private final PathSettings settings;

    UsageAndExtensions(X509Certificate leaf, PathSettings settings) {
      this.leaf = leaf;
      this.settings = settings;
    }

    @Override
    public void init(boolean forward) throws CertPathValidatorException {
      if (forward) {
        throw new CertPathValidatorException("forward checking is not supported");
      }
    }

    @Override
    public boolean isForwardCheckingSupported() {
      return false;
    }

    @Override
    public Set<String> getSupportedExtensions() {
      return settings.allowedCriticalExtensions();
    }

    @Override
    public void check(Certificate cert, Collection<String> unresolvedCritExts)
        throws CertPathValidatorException {
      X509Certificate c = (X509Certificate) cert;
      boolean[] ku = c.getKeyUsage();
      if (c.equals(leaf)) {
        // RFC 5280 4.2.1.3: a leaf without keyUsage is unrestricted; CAs must carry it (below)
        if (settings.leafSignsData() && ku != null && !ku[DIGITAL_SIGNATURE]) {
          throw new CertPathValidatorException(
              "the leaf's keyUsage does not allow digitalSignature");
        }
      } else if (ku == null || !ku[KEY_CERT_SIGN]) {
        throw new CertPathValidatorException(
            "CA certificate " + c.getSubjectX500Principal().getName() + " lacks keyCertSign");
      }
      unresolvedCritExts.removeAll(settings.allowedCriticalExtensions());
    }
  }
}
