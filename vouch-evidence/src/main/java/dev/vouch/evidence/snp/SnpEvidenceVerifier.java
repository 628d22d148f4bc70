package dev.vouch.evidence.snp;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import dev.vouch.core.pki.CertPaths;
import dev.vouch.core.pki.PathResult;
import dev.vouch.core.pki.PathSettings;
import dev.vouch.core.pki.Revocation;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.InitData;
import java.security.interfaces.ECPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Verifies AMD SEV-SNP attestation reports (versions 2 to 5) against AMD's pinned roots.
 *
 * <p>Checks, in this order, each with its own failure code:
 *
 * <ol>
 *   <li>the evidence parses ({@link Failure#TRUNCATED}, {@link Failure#MALFORMED}, {@link
 *       Failure#UNSUPPORTED} for other versions, signature algorithms or CPUs);
 *   <li>the report is signed at all ({@link Failure#SIGNATURE_INVALID} when KEY_INFO says it is
 *       not);
 *   <li>a VCEK or VLEK, as KEY_INFO names, is among the evidence's {@code cert_chain} or the
 *       collateral ({@link Failure#COLLATERAL_MISSING}; {@link Failure#KEY_MISMATCH} when only the
 *       other kind is there);
 *   <li>the path VCEK → ASK → ARK or VLEK → ASVK → ARK validates with {@link CertPaths}: RSASSA-PSS
 *       SHA-384 signatures (salt 48, else {@link Failure#UNSUPPORTED}), where the ARK is the pinned
 *       one of the product (named by the report's CPUID from version 3 on; for version 2 the
 *       product whose ASK issued the key), and a supplied ASK or ASVK counts only when the pinned
 *       ARK signed it; key usage and critical extensions ({@link Failure#CHAIN_UNTRUSTED}); all
 *       three certificates valid at {@link Expectations#at()} ({@link Failure#CERT_EXPIRED}); the
 *       ARK's CRL among the evidence or collateral, validly signed and current ({@link
 *       Failure#COLLATERAL_MISSING}, {@link Failure#COLLATERAL_EXPIRED}, {@link
 *       Failure#SIGNATURE_INVALID}), not listing the ASK or ASVK ({@link Failure#CERT_REVOKED}).
 *       The CRL is required unless the verifier was built {@link #withoutRevocation()}; {@code
 *       snp.revocation_checked} says which;
 *   <li>the key's extensions match the report: product name, blSPL/teeSPL/snpSPL/ucodeSPL (and
 *       fmcSPL from Turin on) equal REPORTED_TCB, and a VCEK's hwID equals CHIP_ID unless the chip
 *       ID is masked ({@link Failure#KEY_MISMATCH});
 *   <li>the ECDSA P-384 signature over bytes {@code 0x000..0x29F} verifies ({@link
 *       Failure#SIGNATURE_INVALID});
 *   <li>REPORT_DATA starts with the expected nonce and is zero after it ({@link
 *       Failure#REPORT_DATA_MISMATCH}).
 * </ol>
 *
 * <p>Guest policy (debug, migration agent, SMT), VMPL and TCB levels are reported as {@link
 * SnpClaims} for policies to judge; a debuggable guest verifies. Parsed certificates, CRLs and
 * validated paths are cached by exact content (a path while no certificate or CRL window changes),
 * so collateral passed with every call costs one ECDSA verification per report. Immutable apart
 * from those caches; thread-safe.
 */
public final class SnpEvidenceVerifier implements EvidenceVerifier {
  private static final String KDS = "https://kdsintf.amd.com";
  private static final Set<String> CERT_TYPES = Set.of("VCEK", "VLEK", "ASK", "ARK");

  private final AmdRoots roots;
  private final Optional<KdsVcekSource> kds;
  private final Revocation revocation;
  private final SnpCollateral.Cache cache = new SnpCollateral.Cache();
  private final Map<PathKey, PathResult> paths = new ConcurrentHashMap<>();

  /** Parsed certificates and CRLs are shared through the cache, so identity is content here. */
  private record PathKey(
      AmdCertificate vek, AmdCertificate intermediate, AmdCertificate ark, List<AmdCrl> crls) {}

  /** A verifier trusting AMD's built-in ARKs for Milan, Genoa and Turin. */
  public SnpEvidenceVerifier() {
    this(AmdRoots.builtIn());
  }

  /** A verifier trusting exactly these anchors. */
  public SnpEvidenceVerifier(AmdRoots roots) {
    this(roots, Optional.empty());
  }

  /**
   * A verifier trusting these anchors that asks {@code kds} for the VCEK and its chain when neither
   * the evidence nor the collateral holds a VEK (checked like any supplied certificate).
   */
  public SnpEvidenceVerifier(AmdRoots roots, Optional<KdsVcekSource> kds) {
    this(roots, kds, Revocation.CA_CERTIFICATES);
  }

  private SnpEvidenceVerifier(AmdRoots roots, Optional<KdsVcekSource> kds, Revocation revocation) {
    this.roots = roots;
    this.kds = kds;
    this.revocation = revocation;
  }

  /**
   * This verifier without the revocation check: the ARK's CRL is then not required, and every
   * result carries {@code snp.revocation_checked=false}. For offline checks of recorded evidence
   * whose CRL was not kept (the research vectors ship none); never the production setting.
   */
  public SnpEvidenceVerifier withoutRevocation() {
    return new SnpEvidenceVerifier(roots, kds, Revocation.DISABLED);
  }

  @Override
  public Tee tee() {
    return Tee.SNP;
  }

  /** REPORT_DATA is 64 bytes. */
  @Override
  public int reportDataLength() {
    return 64;
  }

  /** Init data is bound through HOST_DATA: the digest, zero-padded or truncated to 32 bytes. */
  @Override
  public void checkInitData(VerifiedEvidence verified, byte[] digest) throws VerificationException {
    InitData.requireClaim(verified, SnpClaims.HOST_DATA, Arrays.copyOf(digest, 32), "HOST_DATA");
  }

  @Override
  public VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    return verify(SnpEvidence.parse(evidence), expected);
  }

  /** Verifies parsed evidence; see the class description for the checks. */
  public VerifiedEvidence verify(SnpEvidence evidence, Expectations expected)
      throws VerificationException {
    SnpReport report = evidence.report();
    SnpReport.SigningKey kind = report.signingKey();
    if (kind == SnpReport.SigningKey.NONE || report.maskChipKey()) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID,
          "the report is unsigned (KEY_INFO signing key NONE or masked)");
    }
    SnpCollateral collateral = collect(evidence, expected);
    List<SnpProduct> products = candidateProducts(report);
    if (collateral.veks.isEmpty() && kds.isPresent()) {
      fetchVcek(report, kind, products, collateral);
    }
    Instant at = expected.at();
    if (collateral.crls.isEmpty() && kds.isPresent() && revocation != Revocation.DISABLED) {
      for (SnpProduct p : products) {
        kds.get().crl(p, at).ifPresent(der -> collateral.add(cache.get(der)));
      }
    }
    Chain chain = chain(report, kind, collateral, products, at);

    VekExtensions ext = chain.vek.vekExtensions();
    TcbVersion reported = TcbVersion.decode(report.reportedTcb(), chain.product);
    matchExtensions(report, kind, chain, ext, reported);
    requireSignature(report, chain.vek);
    checkReportData(report, expected);
    Claims.Builder c = claims(report, kind, chain.product, ext);
    c.put(SnpClaims.REVOCATION_CHECKED, chain.path.revocationChecked());
    return new VerifiedEvidence(Tee.SNP, c.build());
  }

  private SnpCollateral collect(SnpEvidence evidence, Expectations expected)
      throws VerificationException {
    SnpCollateral c = new SnpCollateral();
    for (SnpEvidence.Carried carried : evidence.certificates()) {
      SnpCollateral.ParsedFile f = cache.get(carried.data());
      if (CERT_TYPES.contains(carried.declaredType()) && f.certificates().isEmpty()) {
        throw new VerificationException(
            Failure.MALFORMED,
            "cert_chain entry " + carried.declaredType() + " is not an X.509 certificate");
      }
      c.add(f);
    }
    for (byte[] file : expected.collateral()) {
      c.add(cache.get(file));
    }
    return c;
  }

  private List<SnpProduct> candidateProducts(SnpReport report) throws VerificationException {
    if (report.cpuid().isPresent()) {
      SnpReport.Cpuid id = report.cpuid().get();
      SnpProduct p =
          SnpProduct.fromCpuid(id.family(), id.model())
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.UNSUPPORTED,
                          String.format(
                              "CPU family %02xh model %02xh has no known SEV-SNP product",
                              id.family(), id.model())));
      return List.of(p);
    }
    return List.of(SnpProduct.values());
  }

  /** A verified VEK → intermediate → ARK path of one product. */
  private record Chain(
      SnpProduct product,
      AmdCertificate vek,
      AmdCertificate intermediate,
      AmdCertificate ark,
      PathResult path) {}

  private Chain chain(
      SnpReport report,
      SnpReport.SigningKey kind,
      SnpCollateral collateral,
      List<SnpProduct> products,
      Instant at)
      throws VerificationException {
    String wantCn = kind == SnpReport.SigningKey.VLEK ? "SEV-VLEK" : "SEV-VCEK";
    List<AmdCertificate> veks = new ArrayList<>();
    for (AmdCertificate c : collateral.veks) {
      if (c.subjectCn().equals(wantCn)) {
        veks.add(c);
      }
    }
    if (veks.isEmpty()) {
      if (!collateral.veks.isEmpty()) {
        throw new VerificationException(
            Failure.KEY_MISMATCH,
            "the report is signed by a "
                + kind
                + " but only "
                + collateral.veks.get(0).subjectCn()
                + " certificates were supplied");
      }
      throw new VerificationException(
          Failure.COLLATERAL_MISSING,
          "no " + kind + " certificate supplied" + kdsHint(report, kind, products));
    }
    AmdCertificate vek = veks.size() == 1 ? veks.get(0) : pick(report, veks);
    VerificationException last = null;
    VerificationException pathFailure = null;
    for (SnpProduct p : products) {
      Optional<AmdRoots.Anchors> anchors = roots.anchors(p);
      if (anchors.isEmpty()) {
        last =
            new VerificationException(Failure.CHAIN_UNTRUSTED, "no pinned ARK for " + p.amdName());
        continue;
      }
      String interCn = (kind == SnpReport.SigningKey.VLEK ? "SEV-VLEK-" : "SEV-") + p.amdName();
      List<AmdCertificate> inters = new ArrayList<>();
      for (AmdCertificate c : collateral.intermediates) {
        if (c.subject().equals(vek.issuer())) {
          inters.add(c);
        }
      }
      anchors
          .get()
          .intermediate(kind)
          .filter(c -> c.subject().equals(vek.issuer()))
          .ifPresent(inters::add);
      for (AmdCertificate inter : inters) {
        if (!inter.subjectCn().equals(interCn)) {
          last =
              new VerificationException(
                  Failure.CHAIN_UNTRUSTED,
                  kind + " is issued by " + inter.subjectCn() + ", expected " + interCn);
          continue;
        }
        try {
          inter.requireAmdScheme();
          vek.requireAmdScheme();
          // of several genuine intermediates (a supplied one and the pinned one), use one whose
          // path validates now
          PathResult path = validated(vek, inter, anchors.get().ark(), collateral.crls, at);
          return new Chain(p, vek, inter, anchors.get().ark(), path);
        } catch (VerificationException e) {
          pathFailure = pathFailure == null ? e : pathFailure;
        }
      }
    }
    // the failure of a real candidate path says more than a name that did not fit another product
    if (pathFailure != null) {
      throw pathFailure;
    }
    if (last != null) {
      throw last;
    }
    throw new VerificationException(
        Failure.CHAIN_UNTRUSTED,
        kind
            + " is issued by "
            + vek.issuerCn()
            + ", which is no ASK/ASVK of "
            + products.stream().map(SnpProduct::amdName).toList());
  }

  /** With several candidate keys, the one that signed the report, else the first. */
  private static AmdCertificate pick(SnpReport report, List<AmdCertificate> veks)
      throws VerificationException {
    byte[] signed = report.signedBytes();
    byte[] sig = report.signatureDer();
    for (AmdCertificate v : veks) {
      // trying candidates: the report signature is required for real in requireSignature
      if (Signatures.isValid(SignatureScheme.ECDSA_SHA384, v.publicKey(), signed, sig)) {
        return v;
      }
    }
    return veks.get(0);
  }

  /**
   * The path validated by {@link CertPaths}; a result is reused for another instant only while no
   * certificate or CRL window opens or closes ({@link PathResult#holdsAt}).
   */
  private PathResult validated(
      AmdCertificate vek, AmdCertificate inter, AmdCertificate ark, List<AmdCrl> crls, Instant at)
      throws VerificationException {
    PathKey k = new PathKey(vek, inter, ark, List.copyOf(crls));
    PathResult r = paths.get(k);
    if (r == null || !r.holdsAt(at)) {
      r =
          CertPaths.validate(
              List.of(vek.x509(), inter.x509()),
              crls.stream().map(AmdCrl::x509).toList(),
              at,
              pathSettings(ark));
      if (paths.size() >= 512) {
        paths.clear(); // a stream of distinct chains must not grow memory
      }
      paths.put(k, r);
    }
    return r;
  }

  /**
   * One path VEK → ASK/ASVK → ARK: the product's pinned ARK is the only anchor; revocation covers
   * the intermediate through the ARK's CRL (the ASK and ASVK may not sign CRLs: keyUsage
   * keyCertSign only), unless this verifier was built {@link #withoutRevocation()}. The leaf's
   * keyUsage is not required, as AMD's VCEKs and VLEKs carry none. No critical extension is allowed
   * beyond those PKIX processes: AMD's VEK extensions (1.3.6.1.4.1.3704.1.*) are non-critical in
   * every VCEK and VLEK of the research vectors.
   */
  private PathSettings pathSettings(AmdCertificate ark) throws VerificationException {
    return PathSettings.of(List.of(ark.x509())).withRevocation(revocation);
  }

  private static void matchExtensions(
      SnpReport report,
      SnpReport.SigningKey kind,
      Chain chain,
      VekExtensions ext,
      TcbVersion reported)
      throws VerificationException {
    SnpProduct product = chain.product;
    if (ext.productName().isPresent() && !ext.productName().get().isEmpty()) {
      String name = ext.productName().get();
      int dash = name.indexOf('-');
      String family = dash < 0 ? name : name.substring(0, dash);
      if (!family.equalsIgnoreCase(product.amdName())) {
        throw new VerificationException(
            Failure.KEY_MISMATCH,
            kind + " is for product " + name + " but the report is from " + product.amdName());
      }
    }
    requireSpl(kind, "bootloader (blSPL)", ext.bootloader(), reported.bootloader());
    requireSpl(kind, "tee (teeSPL)", ext.tee(), reported.tee());
    requireSpl(kind, "snp (snpSPL)", ext.snp(), reported.snp());
    requireSpl(kind, "microcode (ucodeSPL)", ext.microcode(), reported.microcode());
    if (product.fmcTcbLayout()) {
      if (ext.fmc().isEmpty()) {
        throw new VerificationException(
            Failure.MALFORMED, kind + " for " + product.amdName() + " lacks the fmcSPL extension");
      }
      requireSpl(kind, "fmc (fmcSPL)", ext.fmc().getAsInt(), reported.fmc().orElse(-1));
    }
    if (kind == SnpReport.SigningKey.VCEK) {
      byte[] hwId =
          ext.hwId()
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.MALFORMED, "VCEK lacks the hwID extension"));
      if (report.chipIdMasked()) {
        return; // MASK_CHIP_ID: the firmware hides the chip; the VCEK signature alone binds it
      }
      byte[] chipId = report.chipId();
      boolean same =
          hwId.length == product.hwIdLength()
              && Crypto.constantTimeEquals(hwId, Arrays.copyOf(chipId, hwId.length));
      for (int i = hwId.length; same && i < chipId.length; i++) {
        same = chipId[i] == 0;
      }
      if (!same) {
        throw new VerificationException(
            Failure.KEY_MISMATCH,
            "the VCEK is for chip "
                + Hex.encode(hwId)
                + ", the report is from chip "
                + Hex.encode(chipId));
      }
    }
  }

  private static void requireSpl(SnpReport.SigningKey kind, String what, int cert, int report)
      throws VerificationException {
    if (cert != report) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          kind
              + " certifies TCB "
              + what
              + " "
              + cert
              + " but the report's REPORTED_TCB has "
              + report);
    }
  }

  private static void requireSignature(SnpReport report, AmdCertificate vek)
      throws VerificationException {
    if (!(vek.publicKey() instanceof ECPublicKey ec)
        || ec.getParams().getCurve().getField().getFieldSize() != 384) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "the " + vek.subjectCn() + " key is not P-384");
    }
    if (!report.signatureFitsP384()) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, "the report's signature does not fit P-384");
    }
    Signatures.requireValid(
        SignatureScheme.ECDSA_SHA384,
        vek.publicKey(),
        report.signedBytes(),
        report.signatureDer(),
        "the report signed with the " + vek.subjectCn() + " key");
  }

  private static void checkReportData(SnpReport report, Expectations expected)
      throws VerificationException {
    Optional<byte[]> nonce = expected.nonce();
    if (nonce.isEmpty()) {
      return;
    }
    byte[] n = nonce.get();
    byte[] data = report.reportData();
    byte[] want = new byte[data.length];
    if (n.length > want.length) {
      throw new VerificationException(
          Failure.REPORT_DATA_MISMATCH, "nonce of " + n.length + " bytes exceeds REPORT_DATA (64)");
    }
    System.arraycopy(n, 0, want, 0, n.length);
    if (!Crypto.constantTimeEquals(want, data)) {
      throw new VerificationException(
          Failure.REPORT_DATA_MISMATCH,
          "REPORT_DATA " + Hex.encode(data) + " is not the nonce followed by zeros");
    }
  }

  /**
   * Adds the VCEK and chain from the KDS. A report before version 3 does not name its product, so
   * each candidate is asked in turn and the first the KDS knows the chip for is used (the chain is
   * still checked against that product's pinned ARK).
   */
  private void fetchVcek(
      SnpReport report,
      SnpReport.SigningKey kind,
      List<SnpProduct> products,
      SnpCollateral collateral)
      throws VerificationException {
    if (kind != SnpReport.SigningKey.VCEK || report.chipIdMasked()) {
      return; // a VLEK or a masked chip ID cannot be looked up
    }
    VerificationException last = null;
    for (SnpProduct p : products) {
      List<byte[]> files;
      try {
        files = kds.get().vcek(p, hwid(report, p), kdsQuery(report, p));
      } catch (VerificationException e) {
        last = e;
        continue;
      }
      for (byte[] f : files) {
        collateral.add(cache.get(f));
      }
      return;
    }
    if (last != null) {
      throw last;
    }
  }

  private static String hwid(SnpReport report, SnpProduct p) {
    return Hex.encode(Arrays.copyOf(report.chipId(), p.hwIdLength()));
  }

  private static String kdsQuery(SnpReport report, SnpProduct p) {
    TcbVersion t = TcbVersion.decode(report.reportedTcb(), p);
    String fmc = t.fmc().isPresent() ? String.format("fmcSPL=%02d&", t.fmc().getAsInt()) : "";
    return String.format(
        "%sblSPL=%02d&teeSPL=%02d&snpSPL=%02d&ucodeSPL=%02d",
        fmc, t.bootloader(), t.tee(), t.snp(), t.microcode());
  }

  private static String kdsHint(
      SnpReport report, SnpReport.SigningKey kind, List<SnpProduct> products) {
    if (kind != SnpReport.SigningKey.VCEK || products.size() != 1 || report.chipIdMasked()) {
      return "";
    }
    SnpProduct p = products.get(0);
    return String.format(
        " (AMD KDS: %s/vcek/v1/%s/%s?%s)", KDS, p.amdName(), hwid(report, p), kdsQuery(report, p));
  }

  private static Claims.Builder claims(
      SnpReport r, SnpReport.SigningKey kind, SnpProduct product, VekExtensions ext) {
    Claims.Builder c = Claims.builder();
    c.put(SnpClaims.VERSION, r.version());
    c.put(SnpClaims.GUEST_SVN, r.guestSvn());
    long policy = r.policy();
    c.put(SnpClaims.POLICY, hex16(policy));
    c.put(SnpClaims.POLICY_ABI_MINOR, policy & 0xff);
    c.put(SnpClaims.POLICY_ABI_MAJOR, (policy >>> 8) & 0xff);
    c.put(SnpClaims.POLICY_SMT, bit(policy, 16));
    c.put(SnpClaims.POLICY_MIGRATE_MA, bit(policy, 18));
    c.put(SnpClaims.POLICY_DEBUG, bit(policy, 19));
    c.put(SnpClaims.POLICY_SINGLE_SOCKET, bit(policy, 20));
    c.put(SnpClaims.POLICY_CXL_ALLOW, bit(policy, 21));
    c.put(SnpClaims.POLICY_MEM_AES_256_XTS, bit(policy, 22));
    c.put(SnpClaims.POLICY_RAPL_DIS, bit(policy, 23));
    c.put(SnpClaims.POLICY_CIPHERTEXT_HIDING, bit(policy, 24));
    c.put(SnpClaims.POLICY_PAGE_SWAP_DISABLE, bit(policy, 25));
    c.put(SnpClaims.FAMILY_ID, Hex.encode(r.familyId()));
    c.put(SnpClaims.IMAGE_ID, Hex.encode(r.imageId()));
    c.put(SnpClaims.VMPL, r.vmpl());
    c.put(SnpClaims.SIGNATURE_ALGO, r.signatureAlgo());
    tcb(c, SnpClaims.CURRENT_TCB, TcbVersion.decode(r.currentTcb(), product));
    tcb(c, SnpClaims.REPORTED_TCB, TcbVersion.decode(r.reportedTcb(), product));
    tcb(c, SnpClaims.COMMITTED_TCB, TcbVersion.decode(r.committedTcb(), product));
    tcb(c, SnpClaims.LAUNCH_TCB, TcbVersion.decode(r.launchTcb(), product));
    c.put(SnpClaims.PLATFORM_INFO, hex16(r.platformInfo()));
    c.put(SnpClaims.PLATFORM_SMT, bit(r.platformInfo(), 0));
    c.put(SnpClaims.PLATFORM_TSME, bit(r.platformInfo(), 1));
    c.put(SnpClaims.AUTHOR_KEY_EN, r.authorKeyEnabled());
    c.put(SnpClaims.MEASUREMENT, Hex.encode(r.measurement()));
    c.put(SnpClaims.HOST_DATA, Hex.encode(r.hostData()));
    c.put(SnpClaims.ID_KEY_DIGEST, Hex.encode(r.idKeyDigest()));
    c.put(SnpClaims.AUTHOR_KEY_DIGEST, Hex.encode(r.authorKeyDigest()));
    c.put(SnpClaims.REPORT_ID, Hex.encode(r.reportId()));
    c.put(SnpClaims.REPORT_ID_MA, Hex.encode(r.reportIdMa()));
    c.put(SnpClaims.CHIP_ID, Hex.encode(r.chipId()));
    c.put(SnpClaims.REPORT_DATA, Hex.encode(r.reportData()));
    c.put(SnpClaims.SIGNING_KEY, kind.name().toLowerCase(Locale.ROOT));
    c.put(SnpClaims.PRODUCT, product.wireName());
    c.put(SnpClaims.CURRENT_VERSION, r.current().toString());
    c.put(SnpClaims.COMMITTED_VERSION, r.committed().toString());
    r.cpuid()
        .ifPresent(
            id -> {
              c.put(SnpClaims.CPUID_FAMILY, id.family());
              c.put(SnpClaims.CPUID_MODEL, id.model());
              c.put(SnpClaims.CPUID_STEPPING, id.stepping());
            });
    r.launchMitVector().ifPresent(v -> c.put(SnpClaims.LAUNCH_MIT_VECTOR, hex16(v)));
    r.currentMitVector().ifPresent(v -> c.put(SnpClaims.CURRENT_MIT_VECTOR, hex16(v)));
    ext.cspId().ifPresent(id -> c.put(SnpClaims.VLEK_CSP_ID, id));
    return c;
  }

  private static String hex16(long v) {
    return HexFormat.of().toHexDigits(v);
  }

  private static boolean bit(long v, int n) {
    return ((v >>> n) & 1) != 0;
  }

  private static void tcb(Claims.Builder c, String prefix, TcbVersion t) {
    c.put(prefix + ".bootloader", t.bootloader());
    c.put(prefix + ".tee", t.tee());
    c.put(prefix + ".snp", t.snp());
    c.put(prefix + ".microcode", t.microcode());
    t.fmc().ifPresent(f -> c.put(prefix + ".fmc", f));
  }
}
