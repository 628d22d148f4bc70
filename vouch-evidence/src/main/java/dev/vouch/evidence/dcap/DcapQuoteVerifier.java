package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.cert.X509CRL;
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
 * the expected report data, then with collateral: root and PCK CRLs, TCB info and QE identity
 * signatures by Intel's TCB signing certificate, validity of everything at the verification time,
 * and the TCB status ({@link TcbEvaluator}).
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

  /** The PCK chain of a quote, proven to the root once and then cached. */
  record PckChain(
      X509Certificate leaf, X509Certificate ca, PckExtensions extensions, PublicKey leafKey) {}

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
    IntelPki.requireValidAt(pki.root(), at, "Intel SGX Root CA");
    IntelPki.requireValidAt(chain.ca(), at, "PCK CA certificate");
    IntelPki.requireValidAt(chain.leaf(), at, "PCK certificate");

    if (!Signatures.verify(
        SignatureScheme.ECDSA_SHA256,
        chain.leafKey(),
        quote.qeReportBytes(),
        Signatures.ecdsaDerFromConcatenated(quote.qeReportSignature()))) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, "QE report signature does not verify with the PCK key");
    }
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
    if (!Signatures.verify(
        SignatureScheme.ECDSA_SHA256,
        key,
        Arrays.copyOf(quoteBytes, quote.signedLength()),
        Signatures.ecdsaDerFromConcatenated(quote.signature()))) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, "quote signature does not verify with the attestation key");
    }
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
      return new VerifiedQuote(quote, chain.extensions(), Optional.empty());
    }
    return new VerifiedQuote(
        quote, chain.extensions(), Optional.of(checkCollateral(quote, chain, collateral, at)));
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
    IntelPki.TrustedChain t = pki.verifyChain(certs, "PCK certificate chain");
    return new PckChain(
        t.leaf(), t.ca().orElseThrow(), PckExtensions.of(t.leaf()), providerKey(t.leaf()));
  }

  private TcbEvaluation checkCollateral(
      DcapQuote quote, PckChain chain, DcapCollateral c, Instant at) throws VerificationException {
    X509CRL rootCrl = crl(c, pki.root(), at, "Intel SGX Root CA CRL");
    X509CRL pckCrl = crl(c, chain.ca(), at, "PCK CRL");
    IntelPki.requireNotRevoked(chain.ca(), rootCrl, "PCK CA certificate");
    IntelPki.requireNotRevoked(chain.leaf(), pckCrl, "PCK certificate");

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
    requireSignedByIntel(info, info.signedBytes(), info.signature(), c, rootCrl, at, "TCB info");
    requireWindow(info.issueDate(), info.nextUpdate(), at, tcbId + " TCB info");

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
    requireSignedByIntel(qe, qe.signedBytes(), qe.signature(), c, rootCrl, at, "QE identity");
    requireWindow(qe.issueDate(), qe.nextUpdate(), at, qeId + " identity");
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

  private static void requireWindow(Instant from, Instant to, Instant at, String what)
      throws VerificationException {
    if (at.isBefore(from) || at.isAfter(to)) {
      throw new VerificationException(
          Failure.COLLATERAL_EXPIRED, what + " is valid " + from + " to " + to + ", not at " + at);
    }
  }

  /** The freshest CRL issued by {@code issuer}, signature-checked. */
  private X509CRL crl(DcapCollateral c, X509Certificate issuer, Instant at, String what)
      throws VerificationException {
    List<X509CRL> crls =
        c.crls().stream()
            .filter(l -> l.getIssuerX500Principal().equals(issuer.getSubjectX500Principal()))
            .filter(l -> l.getNextUpdate() != null)
            .toList();
    if (crls.isEmpty()) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING,
          what + " (issuer " + issuer.getSubjectX500Principal().getName() + ") was not supplied");
    }
    X509CRL crl =
        newest(
            crls,
            at,
            l -> l.getThisUpdate().toInstant(),
            l -> l.getNextUpdate().toInstant(),
            l -> 0);
    Boolean ok = signatureCache.get(new IdentityKey(crl, issuer));
    if (ok == null) {
      ok = IntelPki.signedBy(crl, issuer);
      bounded(signatureCache).put(new IdentityKey(crl, issuer), ok);
    }
    if (!ok) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, what + " is not signed by its issuer");
    }
    requireWindow(crl.getThisUpdate().toInstant(), crl.getNextUpdate().toInstant(), at, what);
    return crl;
  }

  /**
   * Requires a valid signature over {@code signed} by an Intel TCB signing certificate among the
   * collateral, issued by the pinned root, valid at {@code at} and not revoked.
   */
  private void requireSignedByIntel(
      Object item,
      byte[] signed,
      byte[] rawSignature,
      DcapCollateral c,
      X509CRL rootCrl,
      Instant at,
      String what)
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
        ok =
            Signatures.verify(
                SignatureScheme.ECDSA_SHA256,
                cert.getPublicKey(),
                signed,
                Signatures.ecdsaDerFromConcatenated(rawSignature));
        bounded(signatureCache).put(k, ok);
      }
      if (ok) {
        IntelPki.requireValidAt(cert, at, "TCB signing certificate");
        IntelPki.requireNotRevoked(cert, rootCrl, "TCB signing certificate");
        return;
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
