package dev.vouch.server.config;

import dev.vouch.core.Tee;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The whole server configuration, loaded once at start by {@link ConfigLoader} (YAML file, then
 * {@code VOUCH_*} environment variables, then command-line flags) and validated before anything
 * starts. Every field has a default, so an empty file gives a working single-node server with TLS,
 * an H2 database and sealed keys under the data directory.
 *
 * @param dataDir where the H2 database, the generated TLS certificate, the key-encryption key and
 *     the generated admin token live ({@code data_dir}, default {@code ./vouch-data})
 * @param http listener settings
 * @param tls transport security
 * @param storage database and key sealing
 * @param tokens attestation result tokens
 * @param admin admin API authentication
 * @param rvps reference value ingestion
 * @param kbs the key broker
 * @param registrar TPM enrollment
 * @param hosts host monitoring
 * @param verifiers trust material of the evidence verifiers (which TEEs the server accepts)
 * @param kubernetes placement of trusted workloads (the admission webhook)
 */
public record ServerConfig(
    Path dataDir,
    Http http,
    Tls tls,
    Storage storage,
    Tokens tokens,
    Admin admin,
    Rvps rvps,
    Kbs kbs,
    Registrar registrar,
    Hosts hosts,
    Verifiers verifiers,
    Kubernetes kubernetes) {

  /** A configuration with the Kubernetes section's defaults. */
  public ServerConfig(
      Path dataDir,
      Http http,
      Tls tls,
      Storage storage,
      Tokens tokens,
      Admin admin,
      Rvps rvps,
      Kbs kbs,
      Registrar registrar,
      Hosts hosts,
      Verifiers verifiers) {
    this(
        dataDir,
        http,
        tls,
        storage,
        tokens,
        admin,
        rvps,
        kbs,
        registrar,
        hosts,
        verifiers,
        Kubernetes.defaults());
  }

  /**
   * Kubernetes placement ({@code kubernetes.*}).
   *
   * @param admissionRuntimeClasses runtime classes whose pods ask for trusted compute
   */
  public record Kubernetes(List<String> admissionRuntimeClasses) {
    public Kubernetes {
      admissionRuntimeClasses = List.copyOf(admissionRuntimeClasses);
    }

    /** Kata's TEE runtime classes (TDX, SNP, the CoCo dev class and the generic one). */
    public static Kubernetes defaults() {
      return new Kubernetes(
          List.of("kata-qemu-tdx", "kata-qemu-snp", "kata-qemu-coco-dev", "kata-cc"));
    }
  }

  /** A configuration with the verifiers' defaults (TPM and SEV-SNP only). */
  public ServerConfig(
      Path dataDir,
      Http http,
      Tls tls,
      Storage storage,
      Tokens tokens,
      Admin admin,
      Rvps rvps,
      Kbs kbs,
      Registrar registrar,
      Hosts hosts) {
    this(
        dataDir,
        http,
        tls,
        storage,
        tokens,
        admin,
        rvps,
        kbs,
        registrar,
        hosts,
        Verifiers.defaults());
  }

  /** A configuration with the key broker's, the registrar's and host monitoring's defaults. */
  public ServerConfig(
      Path dataDir, Http http, Tls tls, Storage storage, Tokens tokens, Admin admin, Rvps rvps) {
    this(dataDir, http, tls, storage, tokens, admin, rvps, Kbs.defaults());
  }

  /** A configuration with the registrar's and host monitoring's defaults. */
  public ServerConfig(
      Path dataDir,
      Http http,
      Tls tls,
      Storage storage,
      Tokens tokens,
      Admin admin,
      Rvps rvps,
      Kbs kbs) {
    this(
        dataDir,
        http,
        tls,
        storage,
        tokens,
        admin,
        rvps,
        kbs,
        Registrar.defaults(),
        Hosts.defaults());
  }

  /** This configuration with another storage section. */
  public ServerConfig withTls(Tls t) {
    return new ServerConfig(
        dataDir,
        http,
        t,
        storage,
        tokens,
        admin,
        rvps,
        kbs,
        registrar,
        hosts,
        verifiers,
        kubernetes);
  }

  public ServerConfig withStorage(Storage s) {
    return new ServerConfig(
        dataDir, http, tls, s, tokens, admin, rvps, kbs, registrar, hosts, verifiers, kubernetes);
  }

  /** This configuration with another admin (AAS) section. */
  public ServerConfig withAdmin(Admin a) {
    return new ServerConfig(
        dataDir, http, tls, storage, tokens, a, rvps, kbs, registrar, hosts, verifiers, kubernetes);
  }

  /** This configuration with another key broker section. */
  public ServerConfig withKbs(Kbs k) {
    return new ServerConfig(
        dataDir,
        http,
        tls,
        storage,
        tokens,
        admin,
        rvps,
        k,
        registrar,
        hosts,
        verifiers,
        kubernetes);
  }

  /** This configuration with another registrar section. */
  public ServerConfig withRegistrar(Registrar r) {
    return new ServerConfig(
        dataDir, http, tls, storage, tokens, admin, rvps, kbs, r, hosts, verifiers, kubernetes);
  }

  /** This configuration with another host monitoring section. */
  public ServerConfig withHosts(Hosts h) {
    return new ServerConfig(
        dataDir, http, tls, storage, tokens, admin, rvps, kbs, registrar, h, verifiers, kubernetes);
  }

  /** This configuration with another verifiers section. */
  public ServerConfig withVerifiers(Verifiers v) {
    return new ServerConfig(
        dataDir, http, tls, storage, tokens, admin, rvps, kbs, registrar, hosts, v, kubernetes);
  }

  /** This configuration with another Kubernetes section. */
  public ServerConfig withKubernetes(Kubernetes k) {
    return new ServerConfig(
        dataDir, http, tls, storage, tokens, admin, rvps, kbs, registrar, hosts, verifiers, k);
  }

  /**
   * Trust material of the evidence verifiers ({@code verifiers.*}). The attestation service and the
   * key broker accept only the evidence kinds whose trust material is configured: TPM and SEV-SNP
   * always (their roots are AMD's pinned ARKs and, for TPM, the AK trust the policy or {@code
   * tpm_ak_roots} gives); TDX and SGX only with Intel collateral (a folder holding it, or a PCCS);
   * CCA only with platform keys; the sample kind only when {@code sample} is true. Any other kind
   * is refused with a problem that says what is missing. The pinned Intel and AMD roots are the
   * only default anchors.
   *
   * @param collateralDirs folders of offline collateral ({@code verifiers.collateral_dirs}, and
   *     {@code vouch server --collateral DIR}, repeatable): Intel TCB info, QE identity, CRLs and
   *     issuer chains; AMD VCEK/VLEK, ASK/ASVK and CRLs (an offline VCEK store); CCA platform keys.
   *     Files are recognised by content exactly as {@code vouch verify --collateral} recognises
   *     them, and re-read every minute so that refreshed files replace expiring ones
   * @param intelPccsUrl a PCCS or Intel PCS asked for TCB info, QE identity and CRLs when the
   *     folders hold no Intel collateral ({@code verifiers.intel_pccs_url}); answers are cached
   *     until their earliest {@code nextUpdate} and fetched again then
   * @param amdKdsUrl AMD's Key Distribution Service (or a proxy of it) asked for a VCEK and its
   *     chain when neither the evidence's certificate table nor the folders hold one ({@code
   *     verifiers.amd_kds_url}, e.g. {@code https://kdsintf.amd.com}); answers are kept for the
   *     life of the process (a VCEK is bound to one chip and TCB)
   * @param ccaPlatformKeys files of CCA platform attestation (IAK) public keys, in any form {@code
   *     vouch verify --collateral} recognises ({@code verifiers.cca_platform_keys})
   * @param tpmAkRoots CA certificates (PEM or DER) TPM AK certificates must chain to ({@code
   *     verifiers.tpm_ak_roots}); with them {@code tpm.ak.certified} can be true. EK roots stay in
   *     {@code registrar.ek_roots}
   * @param extraAnchors further Intel SGX root certificates trusted besides the pinned one ({@code
   *     verifiers.extra_anchors}): for tests with a test PCK hierarchy only, never in production
   * @param sample accept Trustee's sample evidence, which nothing signs ({@code verifiers.sample},
   *     default false; tests only)
   * @param revocation require current CRLs for the AMD (ARK's CRL) and TPM AK certificate paths
   *     ({@code verifiers.revocation}, default true). False is for recorded evidence whose CRLs
   *     were not kept; every result then says {@code snp.revocation_checked=false} or {@code
   *     tpm.ak.revocation_checked=false}. Intel collateral always carries its CRLs and is always
   *     checked
   */
  public record Verifiers(
      List<Path> collateralDirs,
      Optional<java.net.URI> intelPccsUrl,
      Optional<java.net.URI> amdKdsUrl,
      List<Path> ccaPlatformKeys,
      List<Path> tpmAkRoots,
      List<Path> extraAnchors,
      boolean sample,
      boolean revocation) {
    public Verifiers {
      collateralDirs = List.copyOf(collateralDirs);
      ccaPlatformKeys = List.copyOf(ccaPlatformKeys);
      tpmAkRoots = List.copyOf(tpmAkRoots);
      extraAnchors = List.copyOf(extraAnchors);
    }

    /** Nothing configured: TPM and SEV-SNP only. */
    public static Verifiers defaults() {
      return new Verifiers(
          List.of(),
          Optional.empty(),
          Optional.empty(),
          List.of(),
          List.of(),
          List.of(),
          false,
          true);
    }

    /** These settings with {@code dirs} added to the collateral folders. */
    public Verifiers withCollateralDirs(List<Path> dirs) {
      List<Path> all = new java.util.ArrayList<>(collateralDirs);
      all.addAll(dirs);
      return new Verifiers(
          all,
          intelPccsUrl,
          amdKdsUrl,
          ccaPlatformKeys,
          tpmAkRoots,
          extraAnchors,
          sample,
          revocation);
    }

    /** These settings with the sample kind accepted or not. */
    public Verifiers withSample(boolean on) {
      return new Verifiers(
          collateralDirs,
          intelPccsUrl,
          amdKdsUrl,
          ccaPlatformKeys,
          tpmAkRoots,
          extraAnchors,
          on,
          revocation);
    }

    /** These settings with these further Intel roots (tests only). */
    public Verifiers withExtraAnchors(List<Path> anchors) {
      return new Verifiers(
          collateralDirs,
          intelPccsUrl,
          amdKdsUrl,
          ccaPlatformKeys,
          tpmAkRoots,
          anchors,
          sample,
          revocation);
    }

    /** These settings with CRLs required for AMD and AK paths or, explicitly, not. */
    public Verifiers withRevocation(boolean on) {
      return new Verifiers(
          collateralDirs,
          intelPccsUrl,
          amdKdsUrl,
          ccaPlatformKeys,
          tpmAkRoots,
          extraAnchors,
          sample,
          on);
    }
  }

  /**
   * @param host address to bind ({@code http.host}, default {@code 0.0.0.0})
   * @param port TCP port, 0 for any free port ({@code http.port}, default 8443)
   * @param maxRequestBytes larger request bodies get 413 ({@code http.max_request_bytes}, default 2
   *     MiB as Trustee's KBS: a TDX quote with a full 1 MiB CCEL fits once base64-encoded)
   * @param attestLimit each client's request rate on {@code POST /api/v1/attest} and {@code POST
   *     /attestation} together ({@code http.attest_rate_per_second}, {@code http.attest_burst};
   *     default ten per second, bursts of fifty; 0 per second means unlimited)
   */
  public record Http(String host, int port, long maxRequestBytes, RateLimit attestLimit) {
    /** The default body limit: 2 MiB, Trustee's {@code payload_request_size}. */
    public static final long DEFAULT_MAX_REQUEST_BYTES = 2L << 20;

    /** With the default attestation rate limit. */
    public Http(String host, int port, long maxRequestBytes) {
      this(host, port, maxRequestBytes, RateLimit.DEFAULT);
    }
  }

  /** How the listener is secured. */
  public enum TlsMode {
    /** A self-signed certificate generated into the data dir on first start and reused. */
    SELF_SIGNED,
    /**
     * The PEM certificate chain and private key named in {@code cert_file} and {@code key_file}.
     */
    FILES,
    /** Plain HTTP: only when explicitly configured (tests, or behind a TLS-terminating proxy). */
    OFF,
    /**
     * A certificate for the names in {@code cms_names} issued at start by the server's own CMS
     * intermediate (a fresh key in memory per replica, renewed at two thirds of its validity), so
     * that clients and agents pin the one CMS root for every replica.
     */
    CMS
  }

  /**
   * @param mode {@code self-signed} (default), {@code files} or {@code off}
   * @param certFile PEM certificate chain, leaf first (mode {@code files})
   * @param keyFile PEM private key, PKCS#8 or PKCS#1/SEC1 (mode {@code files})
   * @param allowTls12 whether TLS 1.2 is offered besides 1.3 ({@code tls.min_version: "1.2"}); TLS
   *     1.3 only by default
   * @param cmsValidity how long certificates the CMS issues (agents' and, in mode {@code cms},
   *     replicas') are valid ({@code tls.cms_validity_seconds}, default 30 days); holders renew at
   *     two thirds of it
   * @param cmsNames the DNS names and addresses of this replica's certificate in mode {@code cms}
   *     ({@code tls.cms_names}); the first is its subject's common name
   */
  public record Tls(
      TlsMode mode,
      Optional<Path> certFile,
      Optional<Path> keyFile,
      boolean allowTls12,
      Duration cmsValidity,
      List<String> cmsNames) {
    public Tls {
      cmsNames = List.copyOf(cmsNames);
    }

    /** TLS 1.3 only. */
    public Tls(TlsMode mode, Optional<Path> certFile, Optional<Path> keyFile) {
      this(mode, certFile, keyFile, false);
    }

    /** CMS certificates valid for the default time. */
    public Tls(TlsMode mode, Optional<Path> certFile, Optional<Path> keyFile, boolean allowTls12) {
      this(mode, certFile, keyFile, allowTls12, DEFAULT_CMS_VALIDITY, List.of());
    }

    /** A listener with a CMS certificate for {@code names}. */
    public static Tls cms(List<String> names) {
      return new Tls(
          TlsMode.CMS, Optional.empty(), Optional.empty(), false, DEFAULT_CMS_VALIDITY, names);
    }

    /** Thirty days. */
    public static final Duration DEFAULT_CMS_VALIDITY = Duration.ofDays(30);

    /** These settings with CMS certificates valid for {@code validity}. */
    public Tls withCmsValidity(Duration validity) {
      return new Tls(mode, certFile, keyFile, allowTls12, validity, cmsNames);
    }

    /** The protocol names to enable, newest first. */
    public String[] protocols() {
      return allowTls12 ? new String[] {"TLSv1.3", "TLSv1.2"} : new String[] {"TLSv1.3"};
    }
  }

  /**
   * @param jdbcUrl the database; empty means an H2 file database under the data dir ({@code
   *     jdbc:postgresql://host/db} for PostgreSQL)
   * @param username database user
   * @param password database password
   * @param poolSize connection pool size (default 10)
   * @param kekFile file holding the base64 AES-256 key-encryption key; default {@code
   *     <data_dir>/kek}, generated (mode 0600) on first start. {@code VOUCH_KEK} (base64) wins.
   * @param kek the key-encryption key itself, base64, from {@code VOUCH_KEK} only (never logged)
   */
  public record Storage(
      Optional<String> jdbcUrl,
      Optional<String> username,
      Optional<String> password,
      int poolSize,
      Optional<Path> kekFile,
      Optional<String> kek) {

    @Override
    public String toString() {
      return "Storage[jdbcUrl="
          + jdbcUrl.orElse("(h2 under data dir)")
          + ", username="
          + username.orElse("")
          + ", poolSize="
          + poolSize
          + "]";
    }
  }

  /**
   * @param algorithm {@code ES256} (default) or {@code ES384}
   * @param lifetime token validity ({@code lifetime_seconds}, default 300)
   * @param rotation how often the signing key is replaced ({@code rotation_hours}, default 24);
   *     superseded keys stay in the JWKS until every token they signed has expired
   * @param x5cCaCertFile a PEM chain, issuing CA first, whose CA certifies each signing key for the
   *     tokens' {@code x5c} header ({@code tokens.x5c_ca_cert_file}); absent: no {@code x5c}
   * @param x5cCaKeyFile the issuing CA's PEM private key ({@code tokens.x5c_ca_key_file}); given
   *     exactly when the chain is
   */
  public record Tokens(
      String algorithm,
      Duration lifetime,
      Duration rotation,
      Optional<Path> x5cCaCertFile,
      Optional<Path> x5cCaKeyFile) {

    /** Tokens without {@code x5c}. */
    public Tokens(String algorithm, Duration lifetime, Duration rotation) {
      this(algorithm, lifetime, rotation, Optional.empty(), Optional.empty());
    }

    /** These settings with an issuing CA for {@code x5c}. */
    public Tokens withX5cCa(Path certFile, Path keyFile) {
      return new Tokens(algorithm, lifetime, rotation, Optional.of(certFile), Optional.of(keyFile));
    }
  }

  /**
   * Admin API authentication (AAS).
   *
   * @param token the old single admin token, now an API key of the bootstrap administrator; when
   *     absent one is generated into {@code <data_dir>/admin-token} (mode 0600) on first start
   * @param bootstrapPassword the password of the bootstrap administrator {@code admin}, used only
   *     when the database has no account yet ({@code VOUCH_BOOTSTRAP_ADMIN_PASSWORD}); absent: one
   *     is generated into {@code <data_dir>/admin-password} (0600)
   * @param tokenLifetime how long an admin JWT from {@code POST /api/v1/auth/token} is valid
   * @param keyRotation how often the admin JWT signing key is replaced
   */
  public record Admin(
      Optional<String> token,
      Optional<String> bootstrapPassword,
      Duration tokenLifetime,
      Duration keyRotation) {
    public static final Duration DEFAULT_TOKEN_LIFETIME = Duration.ofMinutes(15);
    public static final Duration DEFAULT_KEY_ROTATION = Duration.ofDays(1);

    /** The given token, a generated bootstrap password and default token timings. */
    public Admin(Optional<String> token) {
      this(token, Optional.empty(), DEFAULT_TOKEN_LIFETIME, DEFAULT_KEY_ROTATION);
    }

    @Override
    public String toString() {
      return "Admin[token="
          + (token.isPresent() ? "(set)" : "(generated)")
          + ", bootstrap_password="
          + (bootstrapPassword.isPresent() ? "(set)" : "(generated)")
          + ", token_lifetime="
          + tokenLifetime
          + ", key_rotation="
          + keyRotation
          + "]";
    }
  }

  /**
   * @param bundleKeysFile a JWKS file of public keys that may sign reference value bundles; without
   *     it every signed bundle is refused (samples are still accepted from admins)
   */
  public record Rvps(Optional<Path> bundleKeysFile) {}

  /**
   * The key broker (Trustee's KBS protocol under {@code /kbs/v0}), backed by this server's
   * attestation service, its sessions, resources and resource policy in the server's database.
   *
   * @param enabled whether the KBS routes are served ({@code kbs.enabled}, default true)
   * @param sessionTtl how long a handshake session lives ({@code kbs.session_ttl_seconds}, default
   *     300)
   * @param adminKeyFiles PEM public keys (Ed25519 or EC P-256/P-384) whose JWTs may manage
   *     resources and the resource policy ({@code kbs.admin_key_files}); none means no KBS admin
   * @param tees the evidence kinds {@code /kbs/v0/auth} accepts ({@code kbs.tees}, default every
   *     real TEE; {@code sample} only for tests)
   * @param passportJwksFile the JWKS of an attestation service whose tokens are accepted as bearer
   *     tokens (passport mode, {@code kbs.passport_jwks_file}); absent means background-check only
   * @param authLimit each client's rate on {@code /kbs/v0/auth} ({@code kbs.auth_rate_per_second},
   *     default 10, 0 for none; {@code kbs.auth_burst}, default 50). A client is its TCP peer
   *     address (IPv6 by /64); behind a proxy all clients share the proxy's rate
   * @param attestLimit each client's rate on {@code /kbs/v0/attest} ({@code
   *     kbs.attest_rate_per_second}, default 10, 0 for none; {@code kbs.attest_burst}, default 50)
   * @param maxUnattestedSessions the most live sessions that have not attested, over all clients
   *     ({@code kbs.max_unattested_sessions}, default 10000); further {@code /auth} requests get
   *     429 until sessions attest or expire
   * @param adminTokenMaxLifetime the longest a KBS admin JWT may be valid, from now and from its
   *     {@code iat} ({@code kbs.admin_token_max_lifetime_seconds}, default 3600)
   * @param adminAcls Trustee's admin {@code regex_acl} rules as {@code role=regex} ({@code
   *     kbs.admin_acls}); when any is given, admin JWTs need a {@code role} claim that a rule
   *     allows for the request path. None (the default): every valid admin JWT may do everything
   * @param passportJwksUrls JWKS URLs of other attestation services whose tokens are accepted as
   *     bearer tokens ({@code kbs.passport_jwks_urls}), re-fetched every {@code
   *     kbs.passport_jwks_refresh_seconds}
   * @param passportJwksRefresh how often published issuer keys are re-read (default 300 s)
   */
  public record Kbs(
      boolean enabled,
      Duration sessionTtl,
      List<Path> adminKeyFiles,
      Set<Tee> tees,
      Optional<Path> passportJwksFile,
      RateLimit authLimit,
      RateLimit attestLimit,
      int maxUnattestedSessions,
      Duration adminTokenMaxLifetime,
      List<String> adminAcls,
      List<java.net.URI> passportJwksUrls,
      Duration passportJwksRefresh) {
    public Kbs {
      adminKeyFiles = List.copyOf(adminKeyFiles);
      adminAcls = List.copyOf(adminAcls);
      passportJwksUrls = List.copyOf(passportJwksUrls);
      tees = tees.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(tees));
    }

    /** These settings with the default rate limits and session bound. */
    public Kbs(
        boolean enabled,
        Duration sessionTtl,
        List<Path> adminKeyFiles,
        Set<Tee> tees,
        Optional<Path> passportJwksFile) {
      this(
          enabled,
          sessionTtl,
          adminKeyFiles,
          tees,
          passportJwksFile,
          RateLimit.DEFAULT,
          RateLimit.DEFAULT,
          10_000,
          Duration.ofHours(1),
          List.of(),
          List.of(),
          Duration.ofMinutes(5));
    }

    /** Enabled, five-minute sessions, every real TEE, no admin keys, no passport. */
    public static Kbs defaults() {
      return new Kbs(
          true,
          Duration.ofMinutes(5),
          List.of(),
          EnumSet.complementOf(EnumSet.of(Tee.SAMPLE)),
          Optional.empty());
    }

    /** These settings with other per-client rates and another bound on unattested sessions. */
    public Kbs withLimits(RateLimit auth, RateLimit attest, int maxUnattested) {
      return new Kbs(
          enabled,
          sessionTtl,
          adminKeyFiles,
          tees,
          passportJwksFile,
          auth,
          attest,
          maxUnattested,
          adminTokenMaxLifetime,
          adminAcls,
          passportJwksUrls,
          passportJwksRefresh);
    }

    /** These settings with another maximum admin token lifetime. */
    public Kbs withAdminTokenMaxLifetime(Duration d) {
      return new Kbs(
          enabled,
          sessionTtl,
          adminKeyFiles,
          tees,
          passportJwksFile,
          authLimit,
          attestLimit,
          maxUnattestedSessions,
          d,
          adminAcls,
          passportJwksUrls,
          passportJwksRefresh);
    }

    /** These settings with Trustee-shaped admin ACL rules ({@code role=regex}). */
    public Kbs withAdminAcls(List<String> rules) {
      return new Kbs(
          enabled,
          sessionTtl,
          adminKeyFiles,
          tees,
          passportJwksFile,
          authLimit,
          attestLimit,
          maxUnattestedSessions,
          adminTokenMaxLifetime,
          rules,
          passportJwksUrls,
          passportJwksRefresh);
    }

    /** These settings with issuers' JWKS URLs and how often published keys are re-read. */
    public Kbs withPassportJwks(List<java.net.URI> urls, Duration refresh) {
      return new Kbs(
          enabled,
          sessionTtl,
          adminKeyFiles,
          tees,
          passportJwksFile,
          authLimit,
          attestLimit,
          maxUnattestedSessions,
          adminTokenMaxLifetime,
          adminAcls,
          urls,
          refresh);
    }
  }

  /**
   * A per-client request rate: bursts of {@code burst}, refilled at {@code perSecond}; {@code
   * perSecond == 0} means unlimited.
   */
  public record RateLimit(int perSecond, int burst) {
    /** Ten per second, bursts of fifty. */
    public static final RateLimit DEFAULT = new RateLimit(10, 50);
  }

  /**
   * Continuous host monitoring ({@code hosts.*}): the attestation manager, flavors and trust
   * reports.
   *
   * @param enabled whether this replica attests hosts ({@code hosts.enabled}, default true; the
   *     host, flavor and report APIs are served either way)
   * @param pollInterval how often each host is re-attested ({@code hosts.poll_seconds}, default
   *     3600)
   * @param groupPolls poll intervals of named host groups ({@code hosts.group_poll_seconds}, a list
   *     of {@code group=seconds})
   * @param lease how long a replica holds a host it attests ({@code hosts.lease_seconds}, default
   *     300; must outlast the slowest attestation)
   * @param maxConcurrency attestations at once per replica ({@code hosts.max_concurrency}, 32)
   * @param goldenMode {@code tofu} (first measurements of each boot become golden, the default; a
   *     changed baseline raises a {@code baseline-changed} event, and approved flavors of a part
   *     constrain what is adopted) or {@code strict} (only administrator-approved flavors count:
   *     the production setting) ({@code hosts.golden_mode})
   * @param reportValidity how long a trust report is valid ({@code hosts.report_validity_seconds},
   *     86400)
   * @param ima whether to fetch and replay the IMA list against PCR 10 ({@code hosts.ima})
   * @param software whether to quote PCR 15 and fetch the agents' software measurements, which
   *     SOFTWARE flavors are made from ({@code hosts.software}, default false: agents of earlier
   *     releases refuse the request)
   * @param agentTimeout how long to wait for an agent's answer ({@code
   *     hosts.agent_timeout_seconds}, 30)
   * @param natsUrl the NATS server for agents that connect over NATS, agent announcements and
   *     status events ({@code hosts.nats_url}); absent means HTTPS agents only and no events
   * @param agentTls PEM files of the client certificate, key and agent CA for HTTPS agents (mutual
   *     TLS; {@code hosts.agent_tls_cert}, {@code agent_tls_key}, {@code agent_tls_ca})
   * @param kubernetes whether failing hosts' nodes are cordoned ({@code hosts.kubernetes}, default
   *     false; the client finds the cluster from kubeconfig or the service account)
   * @param kubernetesUrl the API server, overriding discovery ({@code hosts.kubernetes_url})
   * @param evictPods whether pods on a cordoned node are evicted ({@code hosts.evict_pods})
   * @param nodeLabel the node label holding the host id; without it a node named like the host id
   *     is its node ({@code hosts.node_label})
   * @param webhookUrl where status changes are posted, HMAC-signed ({@code hosts.webhook_url})
   * @param webhookSecretFile the webhook HMAC secret ({@code hosts.webhook_secret_file})
   * @param flavorTemplateFiles flavor templates (JSON, CEL conditions over host facts) tried in
   *     order before the built-in one ({@code hosts.flavor_template_files})
   * @param flavorSigningKeyFiles PEM certificates or EC public keys whose signatures {@code POST
   *     /api/v1/flavors} accepts on imported flavors, besides the server's own flavor key ({@code
   *     hosts.flavor_signing_keys})
   * @param natsAuthDir where the server keeps the NATS operator and account it signs agents'
   *     credentials with ({@code hosts.nats_auth_dir}); absent means NATS without authentication
   * @param reportRetentionAge trust reports older than this are swept, except those kept always
   *     ({@code hosts.report_retention_days}, default 90; 0 keeps reports of any age)
   * @param reportRetentionCount only a host's newest this many reports are kept, except those kept
   *     always ({@code hosts.report_retention_count}, default 1000; 0 for no limit). Kept always: a
   *     host's newest and last report, status-change reports and reports the audit log names
   * @param requireDiskEncryption full-disk encryption is a platform prerequisite: a host is
   *     VERIFIED only when its measured kernel command line (PCR 8) names an encrypted root ({@code
   *     hosts.require_disk_encryption}, default false so existing verdicts stay)
   * @param goldenParts the flavor parts TOFU adopts from a host's first measurements of each boot
   *     ({@code hosts.golden_parts}, default PLATFORM and HOST_UNIQUE; OS adds PCRs 8 and 9,
   *     SOFTWARE the agent's PCR 15 measurements, IMA the IMA list, which needs {@code hosts.ima})
   */
  public record Hosts(
      boolean enabled,
      Duration pollInterval,
      Map<String, Duration> groupPolls,
      Duration lease,
      int maxConcurrency,
      String goldenMode,
      Duration reportValidity,
      boolean ima,
      boolean software,
      Duration agentTimeout,
      Optional<String> natsUrl,
      Optional<List<Path>> agentTls,
      boolean kubernetes,
      Optional<String> kubernetesUrl,
      boolean evictPods,
      Optional<String> nodeLabel,
      Optional<java.net.URI> webhookUrl,
      Optional<Path> webhookSecretFile,
      List<Path> flavorTemplateFiles,
      List<Path> flavorSigningKeyFiles,
      Optional<Path> natsAuthDir,
      Duration reportRetentionAge,
      int reportRetentionCount,
      boolean requireDiskEncryption,
      java.util.Set<dev.vouch.policy.flavor.FlavorPart> goldenParts) {
    public Hosts {
      if (goldenParts.isEmpty()) {
        throw new IllegalArgumentException("TOFU adopts at least one flavor part");
      }
      goldenParts = java.util.Set.copyOf(goldenParts);
      if (reportRetentionAge.isNegative() || reportRetentionCount < 0) {
        throw new IllegalArgumentException("report retention must not be negative");
      }
      java.util.Objects.requireNonNull(natsAuthDir, "natsAuthDir");
      groupPolls = Map.copyOf(groupPolls);
      agentTls = agentTls.map(List::copyOf);
      flavorTemplateFiles = List.copyOf(flavorTemplateFiles);
      flavorSigningKeyFiles = List.copyOf(flavorSigningKeyFiles);
    }

    /** The same without the full-disk encryption prerequisite. */
    public Hosts(
        boolean enabled,
        Duration pollInterval,
        Map<String, Duration> groupPolls,
        Duration lease,
        int maxConcurrency,
        String goldenMode,
        Duration reportValidity,
        boolean ima,
        Duration agentTimeout,
        Optional<String> natsUrl,
        Optional<List<Path>> agentTls,
        boolean kubernetes,
        Optional<String> kubernetesUrl,
        boolean evictPods,
        Optional<String> nodeLabel,
        Optional<java.net.URI> webhookUrl,
        Optional<Path> webhookSecretFile,
        List<Path> flavorTemplateFiles,
        List<Path> flavorSigningKeyFiles,
        Optional<Path> natsAuthDir,
        Duration reportRetentionAge,
        int reportRetentionCount) {
      this(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          flavorSigningKeyFiles,
          natsAuthDir,
          reportRetentionAge,
          reportRetentionCount,
          false);
    }

    /** These settings with full-disk encryption required (or not) of every host. */
    public Hosts withDiskEncryptionRequired(boolean required) {
      return new Hosts(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          software,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          flavorSigningKeyFiles,
          natsAuthDir,
          reportRetentionAge,
          reportRetentionCount,
          required,
          goldenParts);
    }

    /** The parts TOFU adopts by default. */
    public static final java.util.Set<dev.vouch.policy.flavor.FlavorPart> DEFAULT_GOLDEN_PARTS =
        java.util.Set.of(
            dev.vouch.policy.flavor.FlavorPart.PLATFORM,
            dev.vouch.policy.flavor.FlavorPart.HOST_UNIQUE);

    /** The same with the default golden parts. */
    public Hosts(
        boolean enabled,
        Duration pollInterval,
        Map<String, Duration> groupPolls,
        Duration lease,
        int maxConcurrency,
        String goldenMode,
        Duration reportValidity,
        boolean ima,
        Duration agentTimeout,
        Optional<String> natsUrl,
        Optional<List<Path>> agentTls,
        boolean kubernetes,
        Optional<String> kubernetesUrl,
        boolean evictPods,
        Optional<String> nodeLabel,
        Optional<java.net.URI> webhookUrl,
        Optional<Path> webhookSecretFile,
        List<Path> flavorTemplateFiles,
        List<Path> flavorSigningKeyFiles,
        Optional<Path> natsAuthDir,
        Duration reportRetentionAge,
        int reportRetentionCount,
        boolean requireDiskEncryption) {
      this(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          false,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          flavorSigningKeyFiles,
          natsAuthDir,
          reportRetentionAge,
          reportRetentionCount,
          requireDiskEncryption,
          DEFAULT_GOLDEN_PARTS);
    }

    /** The same with the default report retention (90 days, 1000 reports per host). */
    public Hosts(
        boolean enabled,
        Duration pollInterval,
        Map<String, Duration> groupPolls,
        Duration lease,
        int maxConcurrency,
        String goldenMode,
        Duration reportValidity,
        boolean ima,
        Duration agentTimeout,
        Optional<String> natsUrl,
        Optional<List<Path>> agentTls,
        boolean kubernetes,
        Optional<String> kubernetesUrl,
        boolean evictPods,
        Optional<String> nodeLabel,
        Optional<java.net.URI> webhookUrl,
        Optional<Path> webhookSecretFile,
        List<Path> flavorTemplateFiles,
        List<Path> flavorSigningKeyFiles,
        Optional<Path> natsAuthDir) {
      this(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          flavorSigningKeyFiles,
          natsAuthDir,
          DEFAULT_REPORT_RETENTION_AGE,
          DEFAULT_REPORT_RETENTION_COUNT);
    }

    /** Trust reports older than this are swept by default. */
    public static final Duration DEFAULT_REPORT_RETENTION_AGE = Duration.ofDays(90);

    /** At most this many trust reports per host are kept by default. */
    public static final int DEFAULT_REPORT_RETENTION_COUNT = 1000;

    /** The same with NATS unauthenticated (no {@code hosts.nats_auth_dir}). */
    public Hosts(
        boolean enabled,
        Duration pollInterval,
        Map<String, Duration> groupPolls,
        Duration lease,
        int maxConcurrency,
        String goldenMode,
        Duration reportValidity,
        boolean ima,
        Duration agentTimeout,
        Optional<String> natsUrl,
        Optional<List<Path>> agentTls,
        boolean kubernetes,
        Optional<String> kubernetesUrl,
        boolean evictPods,
        Optional<String> nodeLabel,
        Optional<java.net.URI> webhookUrl,
        Optional<Path> webhookSecretFile,
        List<Path> flavorTemplateFiles,
        List<Path> flavorSigningKeyFiles) {
      this(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          flavorSigningKeyFiles,
          Optional.empty());
    }

    /** The same without extra flavor-signing keys (only the server's own is trusted on import). */
    public Hosts(
        boolean enabled,
        Duration pollInterval,
        Map<String, Duration> groupPolls,
        Duration lease,
        int maxConcurrency,
        String goldenMode,
        Duration reportValidity,
        boolean ima,
        Duration agentTimeout,
        Optional<String> natsUrl,
        Optional<List<Path>> agentTls,
        boolean kubernetes,
        Optional<String> kubernetesUrl,
        boolean evictPods,
        Optional<String> nodeLabel,
        Optional<java.net.URI> webhookUrl,
        Optional<Path> webhookSecretFile,
        List<Path> flavorTemplateFiles) {
      this(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          List.of());
    }

    /** These settings with agents, announcements and events on the NATS server at {@code url}. */
    public Hosts withNatsUrl(String url) {
      return new Hosts(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          software,
          agentTimeout,
          Optional.of(url),
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          flavorSigningKeyFiles,
          natsAuthDir,
          reportRetentionAge,
          reportRetentionCount,
          requireDiskEncryption,
          goldenParts);
    }

    /**
     * These settings with every host polled every {@code poll} (group intervals kept) under leases
     * of {@code leaseDuration}, {@code concurrency} attestations at once per replica. The lease
     * must outlast the slowest attestation.
     */
    public Hosts withSchedule(Duration poll, Duration leaseDuration, int concurrency) {
      return new Hosts(
          enabled,
          poll,
          groupPolls,
          leaseDuration,
          concurrency,
          goldenMode,
          reportValidity,
          ima,
          software,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          flavorSigningKeyFiles,
          natsAuthDir,
          reportRetentionAge,
          reportRetentionCount,
          requireDiskEncryption,
          goldenParts);
    }

    /** These settings, also accepting imported flavors signed by the keys in {@code files}. */
    public Hosts withFlavorSigningKeys(List<Path> files) {
      return new Hosts(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          software,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          files,
          natsAuthDir,
          reportRetentionAge,
          reportRetentionCount,
          requireDiskEncryption,
          goldenParts);
    }

    /**
     * These settings with NATS credentials for agents signed by the operator and account kept in
     * {@code dir}.
     */
    public Hosts withNatsAuthDir(Path dir) {
      return new Hosts(
          enabled,
          pollInterval,
          groupPolls,
          lease,
          maxConcurrency,
          goldenMode,
          reportValidity,
          ima,
          software,
          agentTimeout,
          natsUrl,
          agentTls,
          kubernetes,
          kubernetesUrl,
          evictPods,
          nodeLabel,
          webhookUrl,
          webhookSecretFile,
          flavorTemplateFiles,
          flavorSigningKeyFiles,
          Optional.of(dir),
          reportRetentionAge,
          reportRetentionCount,
          requireDiskEncryption,
          goldenParts);
    }

    /** Enabled, hourly polls, 5-minute leases, TOFU, no NATS, no Kubernetes, no webhook. */
    public static Hosts defaults() {
      return new Hosts(
          true,
          Duration.ofHours(1),
          Map.of(),
          Duration.ofMinutes(5),
          32,
          "tofu",
          Duration.ofDays(1),
          false,
          Duration.ofSeconds(30),
          Optional.empty(),
          Optional.empty(),
          false,
          Optional.empty(),
          false,
          Optional.empty(),
          Optional.empty(),
          Optional.empty(),
          List.of());
    }
  }

  /**
   * The registrar, which enrolls hosts' TPM attestation keys under {@code /api/v1/registrar}. It
   * always runs; without roots every enrollment is refused with {@code ek-roots-not-configured}.
   *
   * @param ekRoots PEM files of the TPM manufacturer root certificates EK certificates must chain
   *     to ({@code registrar.ek_roots})
   * @param ekIntermediates PEM files of intermediate CA certificates a chain may pass through,
   *     never trusted on their own ({@code registrar.ek_intermediates})
   * @param challengeTtl how long an agent has to answer its enrollment challenge ({@code
   *     registrar.challenge_ttl_seconds}, default 60)
   * @param ekCrls CRL files (PEM or DER) of the roots and intermediates ({@code registrar.ek_crls})
   * @param ekRevocation require a current CRL of every issuer on an EK certificate's path ({@code
   *     registrar.ek_revocation}, default true); false only explicitly, for CAs that publish none
   *     or cannot sign one (swtpm's local CA), and the server says so at start
   */
  public record Registrar(
      List<Path> ekRoots,
      List<Path> ekIntermediates,
      Duration challengeTtl,
      List<Path> ekCrls,
      boolean ekRevocation) {
    public Registrar {
      ekRoots = List.copyOf(ekRoots);
      ekIntermediates = List.copyOf(ekIntermediates);
      ekCrls = List.copyOf(ekCrls);
    }

    /** These roots and intermediates, one-minute challenges, revocation required, no CRLs. */
    public Registrar(List<Path> ekRoots, List<Path> ekIntermediates, Duration challengeTtl) {
      this(ekRoots, ekIntermediates, challengeTtl, List.of(), true);
    }

    /** No roots, one-minute challenges. */
    public static Registrar defaults() {
      return new Registrar(List.of(), List.of(), Duration.ofSeconds(60));
    }

    /** These settings with EK revocation required or, explicitly, not. */
    public Registrar withEkRevocation(boolean on) {
      return new Registrar(ekRoots, ekIntermediates, challengeTtl, ekCrls, on);
    }
  }
}
