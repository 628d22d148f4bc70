package dev.vouch.server.http;

import dev.vouch.core.VerificationException;
import dev.vouch.policy.EvaluationLimits;
import dev.vouch.policy.PolicyCompiler;
import dev.vouch.policy.audit.AuditCheckpoint;
import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.policy.ear.EarIssuer;
import dev.vouch.policy.ear.TokenCertifier;
import dev.vouch.policy.ear.VerifierId;
import dev.vouch.policy.rvps.BundleKeys;
import dev.vouch.policy.rvps.ReferenceValueMessages;
import dev.vouch.server.aas.Aas;
import dev.vouch.server.aas.AasRoutes;
import dev.vouch.server.as.AttestationRoutes;
import dev.vouch.server.as.AttestationService;
import dev.vouch.server.as.TrustSetup;
import dev.vouch.server.audit.AuditLog;
import dev.vouch.server.audit.AuditRoutes;
import dev.vouch.server.cms.Cms;
import dev.vouch.server.cms.CmsAuthority;
import dev.vouch.server.cms.CmsRoutes;
import dev.vouch.server.cms.ReplicaCertificate;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.console.ConsoleRoutes;
import dev.vouch.server.kbs.KbsModule;
import dev.vouch.server.kbs.KbsRoutes;
import dev.vouch.server.kbs.KbsService;
import dev.vouch.server.kubernetes.AdmissionRoutes;
import dev.vouch.server.kubernetes.PodAdmission;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.monitor.HostMonitor;
import dev.vouch.server.monitor.ServerIdentity;
import dev.vouch.server.nats.NatsAuthority;
import dev.vouch.server.policy.PolicyRoutes;
import dev.vouch.server.policy.PolicyStore;
import dev.vouch.server.registrar.EnrollmentStore;
import dev.vouch.server.registrar.RegistrarModule;
import dev.vouch.server.rvps.ReferenceValueRoutes;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.JdbcReferenceValueStore;
import dev.vouch.server.store.JdbcSigningKeys;
import dev.vouch.server.store.Sealer;
import dev.vouch.server.store.StoreException;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.HttpResponseException;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code vouch server}: one Javalin 7 app on virtual threads hosting the attestation service, the
 * reference value API, the policy API and (unless {@code kbs.enabled} is false) the key broker over
 * one database, and the registrar, which enrolls hosts' TPM attestation keys. Start with {@link
 * #start}; stop with {@link #close}. Further services (the KBS) plug in through {@link Extension}s
 * that receive the shared {@link Services}.
 */
public final class VouchServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(VouchServer.class);

  /** The build named in tokens and the OpenAPI document. */
  public static final String VERSION = "0.1.0";

  /** What the server shares with services that plug into it. */
  public record Services(
      ServerConfig config,
      Database database,
      Sealer sealer,
      AttestationService attestation,
      JdbcSigningKeys signingKeys,
      PolicyStore policies,
      JdbcReferenceValueStore referenceValues,
      AdminAuth admin,
      OpenApi openApi,
      Clock clock,
      BundleKeys bundleKeys,
      AuditLog audit,
      Cms cms,
      ServerIdentity identity) {}

  /** Adds a service's routes to the app, given the shared services. */
  @FunctionalInterface
  public interface Extension {
    RouteGroup routes(Services services);
  }

  private final Javalin app;
  private final Services services;
  private final Optional<KbsService> kbs;
  private final HostMonitor monitor;
  private final RegistrarModule registrar;
  private final ScheduledExecutorService scheduler;
  private final String adminToken;
  private final boolean tls;
  private java.util.function.BooleanSupplier tlsRenewal = () -> false;
  private io.micrometer.core.instrument.MeterRegistry metrics;

  private VouchServer(
      Javalin app,
      Services services,
      Optional<KbsService> kbs,
      HostMonitor monitor,
      RegistrarModule registrar,
      ScheduledExecutorService scheduler,
      String adminToken,
      boolean tls) {
    this.app = app;
    this.services = services;
    this.kbs = kbs;
    this.monitor = monitor;
    this.registrar = registrar;
    this.scheduler = scheduler;
    this.adminToken = adminToken;
    this.tls = tls;
  }

  /** Starts with the system clock and no extensions. */
  public static VouchServer start(ServerConfig config) throws ConfigException {
    return start(config, Clock.systemUTC(), List.of());
  }

  /**
   * Opens the database (migrating it), loads or creates the sealed signing keys and starts
   * listening.
   *
   * @throws ConfigException when the configuration cannot be put to work (unreadable files, a
   *     database that cannot be reached, a port in use)
   */
  public static VouchServer start(ServerConfig config, Clock clock, List<Extension> extensions)
      throws ConfigException {
    Path dataDir = config.dataDir().toAbsolutePath();
    // every check that needs no data dir comes first: a configuration error must leave no KEK,
    // admin token or database behind for a server that never ran
    BundleKeys bundleKeys = BundleKeys.none();
    if (config.rvps().bundleKeysFile().isPresent()) {
      try {
        bundleKeys = BundleKeys.fromJwks(Files.readString(config.rvps().bundleKeysFile().get()));
      } catch (IOException | IllegalArgumentException e) {
        throw new ConfigException("rvps.bundle_keys_file: " + e.getMessage(), e);
      }
    }
    if (config.tls().mode() == ServerConfig.TlsMode.FILES) {
      TlsCertificates.fromPem(
          config.tls().certFile().orElseThrow(), config.tls().keyFile().orElseThrow());
    }
    RegistrarModule.validate(config.registrar());
    HostMonitor.validate(config.hosts());
    Optional<TokenCertifier> certifier = tokenCertifier(config.tokens(), clock);
    TrustSetup trust = TrustSetup.of(config.verifiers(), clock);
    try {
      if (!Files.isDirectory(dataDir)) {
        // keys, the database and the admin password live here: the owner alone may look inside
        Files.createDirectories(
            dataDir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException e) {
      throw new ConfigException("cannot create data dir " + dataDir + ": " + e.getMessage(), e);
    }
    Sealer sealer;
    try {
      sealer =
          Sealer.load(
              config.storage().kek(), config.storage().kekFile().orElse(dataDir.resolve("kek")));
    } catch (RuntimeException e) {
      throw new ConfigException("key-encryption key: " + e.getMessage(), e);
    }
    String adminToken = adminToken(config, dataDir);
    Database db;
    try {
      db =
          Database.open(
              config.storage().jdbcUrl().orElse(Database.h2Url(dataDir)),
              config.storage().username(),
              config.storage().password(),
              config.storage().poolSize());
    } catch (StoreException e) {
      throw new ConfigException(e.getMessage(), e);
    }
    ownerOnly(dataDir.resolve("vouch.mv.db"));
    try {
      return start(
          config, clock, extensions, dataDir, sealer, bundleKeys, trust, adminToken, db, certifier);
    } catch (ConfigException | RuntimeException e) {
      db.close();
      throw e;
    }
  }

  /**
   * The certifier of token signing keys when {@code tokens.x5c_ca_*} are set: its CA key must be
   * the CA certificate's, so a chain that does not match its key refuses start-up (exit 2).
   */
  private static Optional<TokenCertifier> tokenCertifier(ServerConfig.Tokens tok, Clock clock)
      throws ConfigException {
    if (tok.x5cCaCertFile().isEmpty()) {
      return Optional.empty();
    }
    Path certFile = tok.x5cCaCertFile().get();
    Path keyFile = tok.x5cCaKeyFile().orElseThrow();
    try {
      // a leaf outlives every token it is put in: rotation plus lifetime, re-issued at half
      return Optional.of(
          TokenCertifier.of(
              TlsCertificates.readKey(keyFile),
              TlsCertificates.readChain(certFile),
              tok.rotation().plus(tok.lifetime()).multipliedBy(2),
              clock));
    } catch (IOException | IllegalArgumentException e) {
      throw new ConfigException(
          "tokens.x5c_ca_cert_file "
              + certFile
              + ", x5c_ca_key_file "
              + keyFile
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private static VouchServer start(
      ServerConfig config,
      Clock clock,
      List<Extension> extensions,
      Path dataDir,
      Sealer sealer,
      BundleKeys bundleKeys,
      TrustSetup trust,
      String adminToken,
      Database db,
      Optional<TokenCertifier> certifier)
      throws ConfigException {
    ServerConfig.Tokens tok = config.tokens();
    JdbcSigningKeys keys =
        new JdbcSigningKeys(
            db,
            sealer,
            EarAlgorithm.valueOf(tok.algorithm()),
            tok.lifetime(),
            tok.rotation(),
            clock);
    keys.rotateIfDue();
    EarIssuer plainIssuer =
        new EarIssuer(
            keys, new VerifierId("https://vouch.dev", "vouch " + VERSION), tok.lifetime(), clock);
    EarIssuer issuer = certifier.map(plainIssuer::withCertifier).orElse(plainIssuer);
    PolicyStore policies = new PolicyStore(db, new PolicyCompiler(EvaluationLimits.DEFAULT), clock);
    JdbcReferenceValueStore rvs = new JdbcReferenceValueStore(db);
    AttestationService as =
        new AttestationService(
            trust.verifiers(),
            trust.collateral(),
            policies,
            rvs,
            issuer,
            clock,
            runtimePolicies(db));
    Aas aas =
        Aas.open(db, sealer, config.admin().tokenLifetime(), config.admin().keyRotation(), clock);
    aas.bootstrap(config.admin().bootstrapPassword(), dataDir, adminToken);
    AdminAuth admin = new AdminAuth(aas);
    OpenApi api = new OpenApi(VERSION);
    // one load of the reporting identity: the audit log signs with it, host monitoring too
    ServerIdentity identity = ServerIdentity.loadOrCreate(db, sealer, clock);
    AuditLog audit = auditLog(db, identity, clock);
    Cms cms =
        new Cms(
            db, CmsAuthority.loadOrCreate(db, sealer, clock), clock, config.tls().cmsValidity());
    Services services =
        new Services(
            config,
            db,
            sealer,
            as,
            keys,
            policies,
            rvs,
            admin,
            api,
            clock,
            bundleKeys,
            audit,
            cms,
            identity);
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // the domain metrics (VouchMetrics) are recorded on the global registry: this server shows them
    io.micrometer.core.instrument.Metrics.addRegistry(metrics);
    dev.vouch.server.metrics.VouchMetrics.database(metrics);

    List<RouteGroup> groups = new ArrayList<>();
    ServerConfig.RateLimit attestLimit = config.http().attestLimit();
    ClientRateLimiter attestLimiter =
        new ClientRateLimiter(
            new ClientRateLimiter.Limit(attestLimit.perSecond(), attestLimit.burst()));
    groups.add(
        cfg ->
            new AttestationRoutes(as, keys, attestLimiter).register(new Routes(cfg, api, admin)));
    groups.add(cfg -> new AasRoutes(aas).register(new Routes(cfg, api, admin)));
    groups.add(cfg -> new CmsRoutes(cms, admin).register(new Routes(cfg, api, admin)));
    groups.add(cfg -> new PolicyRoutes(policies).register(new Routes(cfg, api, admin)));
    groups.add(
        cfg ->
            new ReferenceValueRoutes(rvs, new ReferenceValueMessages(bundleKeys, clock), clock)
                .register(new Routes(cfg, api, admin)));
    Optional<KbsModule> kbs =
        config.kbs().enabled() ? Optional.of(KbsModule.create(services)) : Optional.empty();
    kbs.ifPresent(
        k -> {
          groups.add(k.routes());
          KbsRoutes.DOCUMENTED.forEach(api::add);
        });
    // registrar: enrolled hosts join the attestation manager's registry over the same database
    // one NATS operator and account sign the server's own connection and enrolled agents' users
    Optional<NatsAuthority> natsAuth = NatsAuthority.of(config.hosts(), services.sealer());
    RegistrarModule registrar = RegistrarModule.create(services, new HostRegistry(db), natsAuth);
    groups.add(registrar.routes());
    for (Extension e : extensions) {
      groups.add(e.routes(services));
    }
    HostMonitor monitor = HostMonitor.create(services, registrar.store(), natsAuth);
    groups.add(monitor.routes().group(api, admin));
    PodAdmission admission =
        new PodAdmission(
            config.kubernetes().admissionRuntimeClasses(),
            monitor.kubernetes().map(PodAdmission::lookup).orElseGet(PodAdmission::noCluster));
    groups.add(cfg -> new AdmissionRoutes(admission).register(new Routes(cfg, api, admin)));
    groups.add(new ConsoleRoutes());
    groups.add(cfg -> new AuditRoutes(audit).register(new Routes(cfg, api, admin)));
    groups.add(cfg -> cfg.routes.after(AuditRoutes.recorder(api, audit)));
    boolean tls = config.tls().mode() != ServerConfig.TlsMode.OFF;
    Optional<ReplicaCertificate> replicaCert =
        config.tls().mode() == ServerConfig.TlsMode.CMS
            ? Optional.of(new ReplicaCertificate(cms, config.tls().cmsNames(), clock))
            : Optional.empty();
    AtomicReference<SslContextFactory.Server> sslFactory = new AtomicReference<>();
    KeyStore keyStore =
        switch (config.tls().mode()) {
          case CMS -> replicaCert.orElseThrow().keyStore();
          case SELF_SIGNED -> TlsCertificates.selfSigned(dataDir, sealer);
          case FILES ->
              TlsCertificates.fromPem(
                  config.tls().certFile().orElseThrow(), config.tls().keyFile().orElseThrow());
          case OFF -> null;
        };
    long maxBody = config.http().maxRequestBytes();
    Javalin app =
        Javalin.create(
            cfg -> {
              cfg.startup.showJavalinBanner = false;
              cfg.startup.showOldJavalinVersionWarning = false;
              cfg.concurrency.useVirtualThreads = true;
              cfg.http.maxRequestSize = maxBody;
              // a guest's data hub sends its attestation token as a bearer header: EAR tokens
              // with a TPM's PCRs and Trustee's claim tree pass Jetty's 8 KiB default
              cfg.jetty.modifyHttpConfiguration(h -> h.setRequestHeaderSize(64 * 1024));
              cfg.jetty.host = config.http().host();
              cfg.jetty.port = config.http().port();
              if (keyStore != null) {
                tlsConnector(
                    cfg,
                    keyStore,
                    config.http().host(),
                    config.http().port(),
                    config.tls(),
                    sslFactory);
              }
              operations(cfg, db, metrics, api, maxBody, tls);
              for (RouteGroup g : groups) {
                g.register(cfg);
              }
            });
    try {
      app.start();
    } catch (RuntimeException e) {
      io.micrometer.core.instrument.Metrics.removeRegistry(metrics);
      monitor.close();
      throw new ConfigException(
          "cannot listen on "
              + config.http().host()
              + ":"
              + config.http().port()
              + ": "
              + e.getMessage(),
          e);
    }
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "vouch-scheduler");
              t.setDaemon(true);
              return t;
            });
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            keys.rotateIfDue();
            aas.maintain();
          } catch (RuntimeException e) {
            LOG.warn("signing key rotation check failed: {}", e.toString());
          }
        },
        1,
        1,
        TimeUnit.MINUTES);
    kbs.ifPresent(
        k ->
            scheduler.scheduleWithFixedDelay(
                () -> {
                  try {
                    int n = k.service().sweepSessions();
                    if (n > 0) {
                      LOG.debug("swept {} expired kbs sessions", n);
                    }
                  } catch (RuntimeException e) {
                    LOG.warn("kbs session sweep failed: {}", e.toString());
                  }
                },
                1,
                1,
                TimeUnit.MINUTES));
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            audit.checkpoint();
          } catch (RuntimeException e) {
            LOG.warn("audit checkpoint failed: {}", e.toString());
          }
        },
        1,
        60,
        TimeUnit.MINUTES);
    // trust reports past retention go hourly; every replica may sweep, the DELETE is idempotent
    dev.vouch.server.monitor.TrustReportStore.Retention retention =
        new dev.vouch.server.monitor.TrustReportStore.Retention(
            config.hosts().reportRetentionAge(), config.hosts().reportRetentionCount());
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            int n = monitor.reports().prune(retention, monitor.clock().instant());
            if (n > 0) {
              LOG.info("trust report retention: {} reports deleted", n);
            }
          } catch (RuntimeException e) {
            LOG.warn("trust report retention sweep failed: {}", e.toString());
          }
        },
        5,
        60,
        TimeUnit.MINUTES);
    monitor.start();
    VouchServer server =
        new VouchServer(
            app,
            services,
            kbs.map(KbsModule::service),
            monitor,
            registrar,
            scheduler,
            adminToken,
            tls);
    server.metrics = metrics;
    server.tlsRenewal =
        () ->
            replicaCert
                .flatMap(ReplicaCertificate::renewIfDue)
                .map(
                    ks -> {
                      try {
                        // handshakes from now on present the new certificate; connections stay
                        sslFactory.get().reload(f -> f.setKeyStore(ks));
                      } catch (Exception e) {
                        throw new IllegalStateException("cannot reload the TLS key store", e);
                      }
                      return true;
                    })
                .orElse(false);
    scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            server.renewTlsIfDue();
          } catch (RuntimeException e) {
            LOG.warn("replica TLS certificate renewal failed: {}", e.toString());
          }
        },
        1,
        1,
        TimeUnit.MINUTES);
    LOG.info(
        "vouch server listening url={} database={} tls={} data_dir={} kbs={}",
        server.baseUri(),
        db.kind(),
        config.tls().mode(),
        dataDir,
        config.kbs().enabled());
    return server;
  }

  private static void tlsConnector(
      JavalinConfig cfg,
      KeyStore ks,
      String host,
      int port,
      ServerConfig.Tls tls,
      AtomicReference<SslContextFactory.Server> factory) {
    cfg.jetty.addConnector(
        (server, httpConfig) -> {
          SslContextFactory.Server ssl = new SslContextFactory.Server();
          factory.set(ssl);
          ssl.setKeyStore(ks);
          ssl.setKeyStorePassword(new String(TlsCertificates.PASSWORD));
          ssl.setIncludeProtocols(tls.protocols());
          SecureRequestCustomizer src = new SecureRequestCustomizer();
          // clients reach the server by IP or by names not on a self-signed certificate
          src.setSniHostCheck(false);
          httpConfig.addCustomizer(src);
          ServerConnector c =
              new ServerConnector(
                  server,
                  new SslConnectionFactory(ssl, "http/1.1"),
                  new HttpConnectionFactory(httpConfig));
          c.setHost(host);
          c.setPort(port);
          return c;
        });
  }

  /** Health, readiness, metrics, OpenAPI, problem mapping and request timing. */
  // an embedded database created by an older version (or under a loose umask) was world-readable
  private static void ownerOnly(Path file) {
    try {
      if (Files.exists(file)) {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
      }
    } catch (IOException | UnsupportedOperationException e) {
      LOG.warn("cannot make {} readable by its owner only: {}", file, e.toString());
    }
  }

  /** The runtime policies the host monitor stores, for AS requests that name one. */
  private static AttestationService.RuntimePolicies runtimePolicies(Database db) {
    dev.vouch.server.monitor.RuntimePolicyStore store =
        new dev.vouch.server.monitor.RuntimePolicyStore(db);
    return name -> {
      Optional<dev.vouch.server.monitor.RuntimePolicyStore.Stored> s = store.latest(name);
      return s.isPresent() ? Optional.of(s.get().policy()) : Optional.empty();
    };
  }

  private static AuditLog auditLog(Database db, ServerIdentity identity, Clock clock)
      throws ConfigException {
    try {
      return new AuditLog(db, AuditCheckpoint.signer(identity.key(), identity.chain()), clock);
    } catch (VerificationException e) {
      throw new ConfigException("the reporting key cannot sign audit checkpoints: " + e, e);
    }
  }

  /**
   * Headers every answer carries: API answers are not for browsers to sniff, frame, cache or pass
   * on in a Referer (they hold tokens, reports and wrapped secrets); HSTS when served over TLS. The
   * console sets its own stricter CSP on its pages.
   */
  static void securityHeaders(io.javalin.http.Context ctx, boolean tls) {
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Cache-Control", "no-store");
    ctx.header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    if (tls) {
      ctx.header("Strict-Transport-Security", "max-age=31536000");
    }
  }

  private static void operations(
      JavalinConfig cfg,
      Database db,
      PrometheusMeterRegistry metrics,
      OpenApi api,
      long maxBody,
      boolean tls) {
    cfg.routes.before(
        ctx -> {
          ctx.attribute("vouch.start", System.nanoTime());
          securityHeaders(ctx, tls);
          long len = ctx.req().getContentLengthLong();
          if (len > maxBody) {
            OverLimitBody.discard(ctx, len, maxBody);
            throw Problem.of(
                    413,
                    "payload-too-large",
                    "The request body is too large",
                    "the body has " + len + " bytes; the limit is " + maxBody)
                .exception();
          }
        });
    cfg.routes.after(
        ctx -> {
          Long start = ctx.attribute("vouch.start");
          if (start == null) {
            return;
          }
          String route;
          try {
            io.javalin.router.Endpoint matched = ctx.endpoints().matchedHttpEndpoint();
            route = matched == null ? "unmatched" : matched.path;
          } catch (RuntimeException e) {
            route = "unmatched";
          }
          Timer.builder("http.server.requests")
              .tag("method", ctx.method().name())
              .tag("uri", route)
              .tag("status", String.valueOf(ctx.statusCode()))
              .register(metrics)
              .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        });
    cfg.routes.get("/healthz", ctx -> Json.write(ctx, 200, Map.of("status", "ok")));
    cfg.routes.get(
        "/readyz",
        ctx -> {
          boolean up = db.ping();
          Json.write(ctx, up ? 200 : 503, Map.of("status", up ? "ready" : "database unreachable"));
        });
    cfg.routes.get(
        "/metrics",
        ctx ->
            ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
    cfg.routes.get("/api/v1/openapi.json", ctx -> Json.write(ctx, 200, api.document()));

    cfg.routes.exception(
        Problem.ProblemException.class, (e, ctx) -> Json.problem(ctx, e.problem()));
    cfg.routes.exception(
        VerificationException.class,
        (e, ctx) -> Json.problem(ctx, Problem.verification(e.failure(), e.getMessage())));
    cfg.routes.exception(
        HttpResponseException.class,
        (e, ctx) -> {
          if (e.getStatus() == 413) {
            // a chunked body over the limit: Javalin stopped reading at the limit
            OverLimitBody.discard(ctx, -1, maxBody);
          }
          Json.problem(
              ctx,
              e.getStatus() == 413
                  ? Problem.of(
                      413,
                      "payload-too-large",
                      "The request body is too large",
                      "the limit is " + maxBody + " bytes")
                  : Problem.of(
                      e.getStatus(), "http-" + e.getStatus(), "HTTP error", e.getMessage()));
        });
    cfg.routes.exception(
        StoreException.class,
        (e, ctx) -> {
          LOG.warn("database error: {}", e.getMessage());
          Json.problem(
              ctx,
              db.storageFull(e)
                  ? Problem.of(
                      503,
                      "storage-full",
                      "The server's storage is full",
                      "nothing was stored; try again once space is freed")
                  : Problem.of(
                      503, "unavailable", "The database is unavailable", "try again later"));
        });
    cfg.routes.exception(
        Exception.class,
        (e, ctx) -> {
          LOG.error("internal error on {} {}", ctx.method(), ctx.path(), e);
          Json.problem(
              ctx, Problem.of(500, "internal", "Internal error", "the server failed; see its log"));
        });
    cfg.routes.error(
        404,
        ctx -> {
          if (ctx.result() == null) {
            Json.problem(ctx, Problem.of(404, "not-found", "No such resource", ctx.path()));
          }
        });
    cfg.routes.error(
        405,
        ctx -> {
          if (ctx.result() == null) {
            Json.problem(
                ctx,
                Problem.of(405, "method-not-allowed", "Method not allowed", ctx.method().name()));
          }
        });
  }

  private static String adminToken(ServerConfig config, Path dataDir) throws ConfigException {
    if (config.admin().token().isPresent()) {
      return config.admin().token().get();
    }
    Path f = dataDir.resolve("admin-token");
    try {
      if (!Files.exists(f)) {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        Files.createFile(
            f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(f, Base64.getUrlEncoder().withoutPadding().encodeToString(b) + "\n");
        LOG.info("generated an admin token in {}", f);
      }
      return Files.readString(f).strip();
    } catch (IOException e) {
      throw new ConfigException("cannot read or create the admin token " + f + ": " + e, e);
    }
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return app.jettyServer().server().getConnectors()[0] instanceof ServerConnector c
        ? c.getLocalPort()
        : app.port();
  }

  /** {@code https://127.0.0.1:<port>} (or http when TLS is off). */
  public URI baseUri() {
    String host = services.config().http().host();
    if (host.equals("0.0.0.0") || host.equals("::")) {
      host = "127.0.0.1";
    }
    return URI.create((tls ? "https" : "http") + "://" + host + ":" + port());
  }

  /** The listening connectors (one: TLS, or plain HTTP when TLS is off). */
  org.eclipse.jetty.server.Connector[] connectors() {
    return app.jettyServer().server().getConnectors();
  }

  /** The old single admin token: the bootstrap administrator's API key. */
  public String adminToken() {
    return adminToken;
  }

  /**
   * Renews this replica's CMS certificate when two thirds of its validity have passed ({@code
   * tls.mode: cms}; the scheduler calls this every minute) and reloads the listener.
   *
   * @return whether it renewed
   */
  public boolean renewTlsIfDue() {
    return tlsRenewal.getAsBoolean();
  }

  public Services services() {
    return services;
  }

  /** The key broker, when {@code kbs.enabled}. */
  public Optional<KbsService> kbs() {
    return kbs;
  }

  /** Continuous host monitoring: registry, flavors, reports, this replica's scheduler. */
  public HostMonitor monitor() {
    return monitor;
  }

  /** Where enrolled hosts' attestation keys are (the registrar's store). */
  public EnrollmentStore enrollments() {
    return registrar.store();
  }

  /** The registrar and its store (enrolled hosts' attestation keys). */
  public RegistrarModule registrar() {
    return registrar;
  }

  @Override
  public void close() {
    if (metrics != null) {
      io.micrometer.core.instrument.Metrics.removeRegistry(metrics);
    }
    scheduler.shutdownNow();
    monitor.close();
    app.stop();
    services.database().close();
    LOG.info("vouch server stopped");
  }
}
