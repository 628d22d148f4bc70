package dev.vouch.server.as;

import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.CollateralFolder;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.Verifiers;
import dev.vouch.evidence.azure.AzSnpVtpmVerifier;
import dev.vouch.evidence.azure.AzTdxVtpmVerifier;
import dev.vouch.evidence.cca.CcaEvidenceVerifier;
import dev.vouch.evidence.cca.CcaTrustAnchor;
import dev.vouch.evidence.dcap.CollateralSource;
import dev.vouch.evidence.dcap.DcapCollateral;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.IntelPki;
import dev.vouch.evidence.dcap.PccsCollateralSource;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import dev.vouch.evidence.snp.AmdRoots;
import dev.vouch.evidence.snp.KdsVcekSource;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import dev.vouch.evidence.tpm.AkCertificateVerifier;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the {@code verifiers} configuration section into the verifiers and the collateral the
 * attestation service uses: which evidence kinds are accepted, with which trust material. A kind
 * whose trust material is missing is left out with a reason the service shows when it refuses that
 * kind. Checked once at start: unreadable or unusable files are configuration errors.
 *
 * @param verifiers the accepted kinds and their verifiers
 * @param collateral the offline collateral handed to every verification
 */
public record TrustSetup(Verifiers verifiers, AttestationService.CollateralFiles collateral) {
  private static final Logger LOG = LoggerFactory.getLogger(TrustSetup.class);

  /** How often collateral folders are read again, so that refreshed files take effect. */
  static final Duration REREAD = Duration.ofMinutes(1);

  /** The AK path check as configured: CRLs required unless {@code verifiers.revocation} is off. */
  private static AkCertificateVerifier revocation(
      AkCertificateVerifier v, ServerConfig.Verifiers cfg) {
    return cfg.revocation() ? v : v.withoutRevocation();
  }

  /**
   * Builds the verifiers for {@code cfg}.
   *
   * @param clock the service clock (collateral validity, PCCS cache)
   * @throws ConfigException for a folder or file that cannot be read or used
   */
  public static TrustSetup of(ServerConfig.Verifiers cfg, Clock clock) throws ConfigException {
    FolderCollateral folders = new FolderCollateral(cfg.collateralDirs(), clock);
    List<byte[]> files = folders.current();
    Verifiers v = Verifiers.defaults();

    // TPM: AK certificates chain to the configured roots; without roots AK trust is the policy's
    if (!cfg.tpmAkRoots().isEmpty()) {
      try {
        v =
            v.with(
                TpmEvidenceVerifier.withAkRoots(
                    revocation(
                        AkCertificateVerifier.ofEncodedRoots(
                            read(cfg.tpmAkRoots(), "verifiers.tpm_ak_roots")),
                        cfg)));
      } catch (VerificationException e) {
        throw new ConfigException("verifiers.tpm_ak_roots: " + e.getMessage(), e);
      }
    }

    // AMD: pinned ARKs; a VCEK from the evidence, the folders or, when configured, the KDS
    SnpEvidenceVerifier snp =
        new SnpEvidenceVerifier(
            AmdRoots.builtIn(),
            cfg.amdKdsUrl()
                .map(
                    url ->
                        new KdsVcekSource(
                            url,
                            HttpClient.newBuilder()
                                .connectTimeout(Duration.ofSeconds(10))
                                .build())));
    snp = cfg.revocation() ? snp : snp.withoutRevocation();
    v = v.with(snp);
    // Azure SEV-SNP CVMs: the same AMD trust, the vTPM bound through the HCL report
    v = v.with(new AzSnpVtpmVerifier(snp));

    // Intel: the pinned root, plus test roots when configured; collateral from folders or a PCCS
    boolean intelCollateral;
    try {
      intelCollateral = !DcapCollateral.parse(files).tcbInfos().isEmpty();
    } catch (VerificationException e) {
      throw new ConfigException("collateral folders: " + e.getMessage(), e);
    }
    Optional<CollateralSource> pccs =
        cfg.intelPccsUrl()
            .map(
                u ->
                    new PccsCollateralSource(
                        u,
                        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(),
                        clock));
    if (intelCollateral || pccs.isPresent()) {
      List<IntelPki> pkis = new ArrayList<>();
      pkis.add(IntelPki.production());
      for (X509Certificate root : certificates(cfg.extraAnchors(), "verifiers.extra_anchors")) {
        LOG.warn(
            "trusting an extra Intel root for tests: {}", root.getSubjectX500Principal().getName());
        pkis.add(IntelPki.withRoot(root));
      }
      EvidenceVerifier tdx =
          anyRoot(pkis, p -> new TdxEvidenceVerifier(new DcapQuoteVerifier(p, true), pccs));
      v = v.with(tdx);
      // Azure TDX CVMs: the same Intel trust and collateral, the vTPM bound through the HCL report
      v = v.with(new AzTdxVtpmVerifier(tdx));
      v = v.with(anyRoot(pkis, p -> new SgxEvidenceVerifier(new DcapQuoteVerifier(p, true), pccs)));
    } else {
      String why =
          " evidence is not accepted: no Intel collateral is configured (TCB info and QE identity"
              + " in verifiers.collateral_dirs or --collateral, or verifiers.intel_pccs_url)";
      v =
          v.without(Tee.TDX, "tdx" + why)
              .without(Tee.SGX, "sgx" + why)
              .without(Tee.AZ_TDX_VTPM, "az-tdx-vtpm" + why);
    }

    // CCA: platform keys from their own files or from the collateral folders
    List<CcaTrustAnchor> anchors = new ArrayList<>();
    try {
      for (byte[] f : read(cfg.ccaPlatformKeys(), "verifiers.cca_platform_keys")) {
        List<CcaTrustAnchor> found = CcaTrustAnchor.recognise(f);
        if (found.isEmpty()) {
          throw new ConfigException("verifiers.cca_platform_keys: a file holds no platform key");
        }
        anchors.addAll(found);
      }
      boolean inFolders = false;
      for (byte[] f : files) {
        inFolders |= !CcaTrustAnchor.recognise(f).isEmpty();
      }
      if (anchors.isEmpty() && !inFolders) {
        v =
            v.without(
                Tee.CCA,
                "cca evidence is not accepted: no CCA platform keys are configured"
                    + " (verifiers.cca_platform_keys or a collateral folder)");
      } else {
        v = v.with(new CcaEvidenceVerifier(anchors));
      }
    } catch (VerificationException e) {
      throw new ConfigException("CCA platform keys: " + e.getMessage(), e);
    }

    if (!cfg.sample()) {
      v =
          v.without(
              Tee.SAMPLE,
              "sample evidence is not accepted: it proves nothing and is for tests only"
                  + " (verifiers.sample)");
    }
    LOG.info(
        "verifiers tees={} collateral_dirs={} collateral_files={} pccs={} kds={}",
        v.tees(),
        cfg.collateralDirs(),
        files.size(),
        cfg.intelPccsUrl().isPresent(),
        cfg.amdKdsUrl().isPresent());
    return new TrustSetup(v, folders);
  }

  private static EvidenceVerifier anyRoot(
      List<IntelPki> pkis, Function<IntelPki, EvidenceVerifier> make) {
    List<EvidenceVerifier> each = pkis.stream().map(make).toList();
    return each.size() == 1 ? each.get(0) : new AnyRoot(each);
  }

  /**
   * One evidence kind verified under several roots (the pinned one first): the first verifier that
   * accepts the evidence wins. When all refuse, the failure reported is the first one that is not
   * {@link Failure#CHAIN_UNTRUSTED} (the root that knew the chain found something else wrong), else
   * the pinned root's.
   */
  private record AnyRoot(List<EvidenceVerifier> each) implements EvidenceVerifier {
    @Override
    public Tee tee() {
      return each.get(0).tee();
    }

    @Override
    public int reportDataLength() {
      return each.get(0).reportDataLength();
    }

    @Override
    public void checkInitData(VerifiedEvidence verified, byte[] digest)
        throws VerificationException {
      each.get(0).checkInitData(verified, digest);
    }

    @Override
    public VerifiedEvidence verify(byte[] evidence, Expectations expected)
        throws VerificationException {
      VerificationException first = null;
      VerificationException known = null;
      for (EvidenceVerifier v : each) {
        try {
          return v.verify(evidence, expected);
        } catch (VerificationException e) {
          first = first == null ? e : first;
          if (known == null && e.failure() != Failure.CHAIN_UNTRUSTED) {
            known = e;
          }
        }
      }
      throw known != null ? known : first;
    }
  }

  private static List<byte[]> read(List<Path> files, String key) throws ConfigException {
    List<byte[]> out = new ArrayList<>();
    for (Path p : files) {
      try {
        out.add(Files.readAllBytes(p));
      } catch (IOException e) {
        throw new ConfigException(key + ": cannot read " + p + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static List<X509Certificate> certificates(List<Path> files, String key)
      throws ConfigException {
    List<X509Certificate> out = new ArrayList<>();
    for (byte[] f : read(files, key)) {
      try {
        for (var c :
            CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(f))) {
          out.add((X509Certificate) c);
        }
      } catch (CertificateException e) {
        throw new ConfigException(key + ": not a certificate: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * The files of the collateral folders, read as {@code vouch verify --collateral} reads them and
   * read again when {@link #REREAD} has passed; a folder that cannot be read then keeps its last
   * files (logged), so that a transient error does not drop collateral.
   */
  static final class FolderCollateral implements AttestationService.CollateralFiles {
    private final List<Path> dirs;
    private final Clock clock;
    private List<byte[]> files;
    private Instant readAt;

    FolderCollateral(List<Path> dirs, Clock clock) throws ConfigException {
      this.dirs = List.copyOf(dirs);
      this.clock = clock;
      try {
        this.files = readAll();
      } catch (IOException e) {
        throw new ConfigException("collateral folder: " + e.getMessage(), e);
      }
      this.readAt = clock.instant();
    }

    private List<byte[]> readAll() throws IOException {
      List<byte[]> out = new ArrayList<>();
      for (Path d : dirs) {
        out.addAll(CollateralFolder.read(d));
      }
      return out;
    }

    @Override
    public synchronized List<byte[]> current() {
      Instant now = clock.instant();
      if (!dirs.isEmpty() && !now.isBefore(readAt.plus(REREAD))) {
        try {
          files = readAll();
        } catch (IOException e) {
          LOG.warn("collateral folders not re-read, keeping the last files: {}", e.getMessage());
        }
        readAt = now;
      }
      return files;
    }
  }
}
