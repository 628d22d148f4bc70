package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import dev.vouch.core.pki.PathResult;
import dev.vouch.core.pki.Revocation;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Verifies Intel DCAP quotes (SGX and TDX) the way Intel's quote verification library does: PCK
 * chain to the pinned Intel SGX Root CA, QE report signature by the PCK key, QE report data binding
 * SHA-256(attestation key || QE authentication data), the quote signature by the attestation key,
 * the expected report data, then with collateral: the PCK path and the TCB signing certificate's
 * path validated by {@link dev.vouch.core.pki.CertPaths} (signatures, validity, key usage, critical
 * extensions, root and PCK CRLs current and not listing them), TCB info and QE identity signatures
 * by Intel's TCB signing certificate, their validity at the verification time, and the TCB status
 * ({@link TcbEvaluator}).
 *
 * <p>Expired collateral (a TCB info, QE identity or CRL past its {@code nextUpdate}) is not a
 * failure here, as it is not for Intel's quote verification enclave, which reports a {@code
 * collateral_expiration_status} beside the verdict: every signature is checked as usual, an expired
 * CRL still revokes what it lists, and the result carries {@link
 * VerifiedQuote#collateralExpiredSince} for the claims and the policy to judge. Collateral not yet
 * issued at the verification time, and every signature or chain failure, still fail.
 *
 * <p>Parsed collateral, verified certificate chains and collateral signatures are cached by
 * content, so repeated verifications pay for little beyond the two ECDSA checks every quote needs.
 * Thread-safe.
 */
public final class DcapQuoteVerifier {
  private static final int CACHE_LIMIT = 1024;
  private static final ECParameterSpec P256 = p256();

  private final IntelPki pki;
  private final boolean requireCollateral;
  private final Map<BytesKey, DcapCollateral> collateralCache = new ConcurrentHashMap<>();
  private final Map<BytesKey, PckChain> chainCache = new ConcurrentHashMap<>();
  private final Map<BytesKey, PublicKey> keyCache = new ConcurrentHashMap<>();
  private final Map<IdentityKey, Boolean> signatureCache = new ConcurrentHashMap<>();
  private final Map<PathKey, PathResult> pathCache = new ConcurrentHashMap<>();

  /**
   * @param pki the Intel PKI (pinned root)
   * @param requireCollateral when true (the default), a quote without Intel collateral fails with
   *     {@link Failure#COLLATERAL_MISSING}; when false, such a quote is verified up to its PCK
   *     chain and carries no TCB status
   */
  public DcapQuoteVerifier(IntelPki pki, boolean requireCollateral) {
    this.pki = pki;
    this.requireCollateral = requireCollateral;
  }

  /** Production root, collateral required. */
  public static DcapQuoteVerifier defaults() {
    return new DcapQuoteVerifier(IntelPki.production(), true);
  }

  /**
   * The PCK chain of a quote, parsed and shape-checked once; its path is validated for each
   * verification time and collateral ({@link #validated}).
   */
  record PckChain(IntelPki.PckPath path, PckExtensions extensions, PublicKey leafKey) {}

  /** Recognises collateral files, reusing earlier parses of identical files. */
  public DcapCollateral collateral(List<byte[]> files) throws VerificationException {
    DcapCollateral all = DcapCollateral.empty();
    for (byte[] f : files) {
      DcapCollateral c = cached(collateralCache, new BytesKey(f), k -> DcapCollateral.parseFile(f));
      all = files.size() == 1 ? c : all.plus(c);
    }
    return all;
  }

  /**
   * The collateral for {@code quote}: the caller's files when they hold Intel collateral, else what
   * {@code source} (a PCCS) returns for the quote's platform, else none.
   */
  public DcapCollateral collateral(
      List<byte[]> files, Optional<CollateralSource> source, byte[] quote)
      throws VerificationException {
    DcapCollateral supplied = collateral(files);
    if (supplied.isEmpty() && source.isPresent()) {
      return source.get().collateralFor(DcapQuote.parse(quote));
    }
    return supplied;
  }

  /**
   * Verifies a quote.
   *
   * @param nonce when present, the quote's 64-byte report data must start with it and be zero after
   *     it
   * @param at the time at which certificates, CRLs and collateral must be valid
   * @throws VerificationException with the failure of the first check that fails
   */
  public VerifiedQuote verify(
      byte[] quoteBytes, Optional<byte[]> nonce, Instant at, DcapCollateral collateral)
      throws VerificationException {
    DcapQuote quote = DcapQuote.parse(quoteBytes);
    byte[] pem = quote.pckChainPem();
    PckChain chain = cached(chainCache, new BytesKey(pem), k -> pckChain(pem));
    // the CRLs come with the collateral; a verifier built not to require collateral goes on
    // without them, and the result says that revocation was not checked
    PathResult path =
        validated(
            chain,
            chain.path().chain(),
            collateral,
            at,
            collateral.isEmpty() ? Revocation.DISABLED : Revocation.REQUIRED_STALE_REPORTED,
            "PCK certificate chain");

    Signatures.requireValid(
        SignatureScheme.ECDSA_SHA256,
        chain.leafKey(),
        quote.qeReportBytes(),
        Signatures.ecdsaDerFromConcatenated(quote.qeReportSignature()),
        "QE report signed with the PCK key");
    byte[] attKey = quote.attestationKey();
    MessageDigest sha256 = HashAlg.SHA256.newDigest();
    sha256.update(attKey);
    sha256.update(quote.qeAuthData());
    byte[] binding = Arrays.copyOf(sha256.digest(), 64);
    if (!Arrays.equals(binding, quote.qeReport().reportData())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "QE report data does not bind the attestation key and QE authentication data");
    }
    PublicKey key = cached(keyCache, new BytesKey(attKey), k -> attestationKey(attKey));
    Signatures.requireValid(
        SignatureScheme.ECDSA_SHA256,
        key,
        Arrays.copyOf(quoteBytes, quote.signedLength()),
        Signatures.ecdsaDerFromConcatenated(quote.signature()),
        "quote signed with the attestation key");
    if (nonce.isPresent()) {
      requireReportData(quote.body().reportData(), nonce.get());
    }
    if (collateral.isEmpty()) {
      if (requireCollateral) {
        throw new VerificationException(
            Failure.COLLATERAL_MISSING,
            "no Intel TCB info, QE identity or CRLs were supplied for FMSPC "
                + Hex.encode(chain.extensions().fmspc()));
      }
      return new VerifiedQuote(
          quote, chain.extensions(), Optional.empty(), false, Optional.empty(), rootKeyId(path));
    }
    Expiry expiry = new Expiry();
    expiry.note(path.staleCrlsSince());
    TcbEvaluation tcb = checkCollateral(quote, chain, collateral, at, expiry);
    return new VerifiedQuote(
        quote,
        chain.extensions(),
        Optional.of(tcb),
        path.revocationChecked(),
        expiry.earliest.map(
            t -> new VerifiedQuote.CollateralExpiry(t, java.time.Duration.between(t, at))),
        rootKeyId(path));
  }

  /** SHA-384 of the anchor's public key as its certificate holds it (QvE's root_key_id). */
  private static byte[] rootKeyId(PathResult path) {
    byte[] point =
        org.bouncycastle.asn1.x509.SubjectPublicKeyInfo.getInstance(
                path.anchor().getPublicKey().getEncoded())
            .getPublicKeyData()
            .getBytes();
    return HashAlg.SHA384.newDigest().digest(point);
  }

  /** The earliest {@code nextUpdate} passed among the collateral items used. */
  private static final class Expiry {
    private Optional<Instant> earliest = Optional.empty();

    void note(Optional<Instant> since) {
      since.ifPresent(t -> earliest = Optional.of(earliest.filter(e -> e.isBefore(t)).orElse(t)));
    }
  }

  /** Report data must start with the nonce and be zero after it, as Trustee pads. */
  static void requireReportData(byte[] reportData, byte[] nonce) throws VerificationException {
    if (nonce.length > reportData.length) {
      throw new VerificationException(
          Failure.REPORT_DATA_MISMATCH, "nonce is longer than the 64-byte report data");
    }
    byte[] expected = Arrays.copyOf(nonce, reportData.length);
    if (!Crypto.constantTimeEquals(expected, reportData)) {
      throw new VerificationException(
          Failure.REPORT_DATA_MISMATCH, "report data is not the nonce followed by zeros");
    }
  }

  private PckChain pckChain(byte[] pem) throws VerificationException {
    List<X509Certificate> certs = IntelPki.pemCertificates(pem, true);
    IntelPki.PckPath p = pki.pckPath(certs, "PCK certificate chain");
    return new PckChain(p, PckExtensions.of(p.leaf()), providerKey(p.leaf()));
  }

  /**
   * {@code certs} validated to the pinned root at {@code at} with the collateral's CRLs; a result
   * is reused for another instant only while no certificate or CRL window opens or closes.
   */
  private PathResult validated(
      Object key,
      List<X509Certificate> certs,
      DcapCollateral c,
      Instant at,
      Revocation revocation,
      String what)
      throws VerificationException {
    PathKey k = new PathKey(new IdentityKey(key, c), revocation);
    PathResult r = pathCache.get(k);
    if (r == null || !r.holdsAt(at)) {
      r = pki.validate(certs, c.crls(), at, revocation, what);
      bounded(pathCache).put(k, r);
    }
    return r;
  }

  private record PathKey(IdentityKey objects, Revocation revocation) {}

  private TcbEvaluation checkCollateral(
      DcapQuote quote, PckChain chain, DcapCollateral c, Instant at, Expiry expiry)
      throws VerificationException {
    boolean tdx = quote.header().isTdx();
    byte[] fmspc = chain.extensions().fmspc();
    byte[] pceId = chain.extensions().pceId();
    String tcbId = tdx ? "TDX" : "SGX";
    List<TcbInfo> infos =
        c.tcbInfos().stream()
            .filter(
                t ->
                    t.id().equals(tcbId)
                        && Arrays.equals(t.fmspc(), fmspc)
                        && Arrays.equals(t.pceId(), pceId))
            .toList();
    if (infos.isEmpty()) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING,
          "no " + tcbId + " TCB info for FMSPC " + Hex.encode(fmspc) + " among the collateral");
    }
    TcbInfo info =
        newest(
            infos, at, TcbInfo::issueDate, TcbInfo::nextUpdate, TcbInfo::tcbEvaluationDataNumber);
    expiry.note(
        requireSignedByIntel(info, info.signedBytes(), info.signature(), c, at, "TCB info"));
    expiry.note(requireIssued(info.issueDate(), info.nextUpdate(), at, tcbId + " TCB info"));

    String qeId = tdx ? "TD_QE" : "QE";
    List<QeIdentity> qes = c.qeIdentities().stream().filter(q -> q.id().equals(qeId)).toList();
    if (qes.isEmpty()) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING, "no " + qeId + " identity among the collateral");
    }
    QeIdentity qe =
        newest(
            qes,
            at,
            QeIdentity::issueDate,
            QeIdentity::nextUpdate,
            QeIdentity::tcbEvaluationDataNumber);
    expiry.note(requireSignedByIntel(qe, qe.signedBytes(), qe.signature(), c, at, "QE identity"));
    expiry.note(requireIssued(qe.issueDate(), qe.nextUpdate(), at, qeId + " identity"));
    return TcbEvaluator.evaluate(quote, chain.extensions(), info, qe);
  }

  private static <T> T newest(
      List<T> items,
      Instant at,
      Function<T, Instant> from,
      Function<T, Instant> to,
      Function<T, Integer> evaluation) {
    Comparator<T> order =
        Comparator.<T, Boolean>comparing(
                t -> !at.isBefore(from.apply(t)) && !at.isAfter(to.apply(t)))
            .thenComparing(evaluation)
            .thenComparing(from);
    return items.stream().max(order).orElseThrow();
  }

  /**
   * Collateral not yet issued at {@code at} fails (no verifier could have held it then); one past
   * its next update is returned as expired, for the caller to report.
   */
  private static Optional<Instant> requireIssued(Instant from, Instant to, Instant at, String what)
      throws VerificationException {
    if (at.isBefore(from)) {
      throw new VerificationException(
          Failure.COLLATERAL_EXPIRED, what + " is valid " + from + " to " + to + ", not at " + at);
    }
    return at.isAfter(to) ? Optional.of(to) : Optional.empty();
  }

  /**
   * Requires a valid signature over {@code signed} by an Intel TCB signing certificate among the
   * collateral, whose path to the pinned root validates at {@code at} with the collateral's CRLs.
   */
  private Optional<Instant> requireSignedByIntel(
      Object item, byte[] signed, byte[] rawSignature, DcapCollateral c, Instant at, String what)
      throws VerificationException {
    boolean anyIntelSigner = false;
    for (X509Certificate cert : c.certificates()) {
      if (cert.getBasicConstraints() >= 0 || !issuedByRoot(cert)) {
        continue;
      }
      anyIntelSigner = true;
      IdentityKey k = new IdentityKey(item, cert);
      Boolean ok = signatureCache.get(k);
      if (ok == null) {
        // memoised, and tried against each candidate signer: a boolean is what is needed here
        ok =
            Signatures.isValid(
                SignatureScheme.ECDSA_SHA256,
                cert.getPublicKey(),
                signed,
                Signatures.ecdsaDerFromConcatenated(rawSignature));
        bounded(signatureCache).put(k, ok);
      }
      if (ok) {
        return validated(
                cert,
                List.of(cert),
                c,
                at,
                Revocation.REQUIRED_STALE_REPORTED,
                "TCB signing certificate")
            .staleCrlsSince();
      }
    }
    throw new VerificationException(
        anyIntelSigner ? Failure.SIGNATURE_INVALID : Failure.CHAIN_UNTRUSTED,
        anyIntelSigner
            ? what + " signature does not verify with Intel's TCB signing certificate"
            : what + ": no TCB signing certificate issued by the Intel SGX Root CA was supplied");
  }

  private boolean issuedByRoot(X509Certificate cert) throws VerificationException {
    IdentityKey k = new IdentityKey(cert, pki);
    Boolean ok = signatureCache.get(k);
    if (ok == null) {
      ok = IntelPki.signedBy(cert, pki.root());
      bounded(signatureCache).put(k, ok);
    }
    return ok;
  }

  /**
   * The certificate's key as a BouncyCastle key: BouncyCastle converts a JDK key on every
   * initVerify, which would cost a visible share of each verification.
   */
  private static PublicKey providerKey(X509Certificate cert) throws VerificationException {
    try {
      return KeyFactory.getInstance("EC", Crypto.bouncyCastle())
          .generatePublic(new X509EncodedKeySpec(cert.getPublicKey().getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new VerificationException(Failure.KEY_MISMATCH, "PCK key is not an EC key");
    }
  }

  private static PublicKey attestationKey(byte[] xy) throws VerificationException {
    try {
      ECPoint w =
          new ECPoint(
              new BigInteger(1, Arrays.copyOf(xy, 32)),
              new BigInteger(1, Arrays.copyOfRange(xy, 32, 64)));
      return KeyFactory.getInstance("EC", Crypto.bouncyCastle())
          .generatePublic(new ECPublicKeySpec(w, P256));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new VerificationException(Failure.KEY_MISMATCH, "attestation key is not a P-256 point");
    }
  }

  private static ECParameterSpec p256() {
    try {
      AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
      p.init(new ECGenParameterSpec("secp256r1"));
      return p.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks P-256", e);
    }
  }

  @FunctionalInterface
  private interface Loader<K, V> {
    V load(K key) throws VerificationException;
  }

  private static <K, V> V cached(Map<K, V> cache, K key, Loader<K, V> loader)
      throws VerificationException {
    V v = cache.get(key);
    if (v == null) {
      v = loader.load(key);
      bounded(cache).put(key, v);
    }
    return v;
  }

  private static <K, V> Map<K, V> bounded(Map<K, V> cache) {
    if (cache.size() >= CACHE_LIMIT) {
      // an unbounded stream of distinct inputs must not grow memory; a reset is cheap to refill
      cache.clear();
    }
    return cache;
  }
}
