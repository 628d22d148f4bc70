package dev.vouch.server.kbs;

import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.ClientRateLimiter;
import dev.vouch.server.http.RouteGroup;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.store.JdbcResourcePolicyStore;
import dev.vouch.server.store.JdbcResourceStore;
import dev.vouch.server.store.JdbcSessionStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The key broker as {@code vouch server} runs it: the server's attestation service verifies the
 * evidence, and sessions, sealed resources and the resource policy live in the server's database,
 * so replicas on one database need no sticky routing.
 *
 * @param service the broker
 * @param routes its {@code /kbs/v0} routes
 */
public record KbsModule(KbsService service, RouteGroup routes) {

  /**
   * Assembles the broker from the {@code kbs} configuration section and the shared services.
   *
   * @throws ConfigException for an admin key or passport JWKS file that cannot be read or used
   */
  public static KbsModule create(VouchServer.Services s) throws ConfigException {
    ServerConfig.Kbs k = s.config().kbs();
    // the broker accepts only kinds the attestation service can verify with configured trust
    java.util.EnumSet<dev.vouch.core.Tee> tees = java.util.EnumSet.noneOf(dev.vouch.core.Tee.class);
    tees.addAll(k.tees());
    tees.retainAll(s.attestation().acceptedTees());
    org.slf4j.LoggerFactory.getLogger(KbsModule.class)
        .info(
            "kbs accepts tees={} (kbs.tees={}, verifiable={})",
            tees,
            k.tees(),
            s.attestation().acceptedTees());
    KbsConfig config =
        KbsConfig.defaults()
            .withSessionTimeout(k.sessionTtl())
            .withTees(tees)
            .withMaxRequestBytes(
                (int) Math.min(s.config().http().maxRequestBytes(), Integer.MAX_VALUE))
            .withLimits(
                new ClientRateLimiter.Limit(k.authLimit().perSecond(), k.authLimit().burst()),
                new ClientRateLimiter.Limit(k.attestLimit().perSecond(), k.attestLimit().burst()),
                k.maxUnattestedSessions());
    // a KBS trusts the tokens of its own attestation service, as Trustee's does: the CDH of a
    // guest presents that token as a bearer without a session cookie
    List<java.util.function.Supplier<com.nimbusds.jose.jwk.JWKSet>> issuers = new ArrayList<>();
    issuers.add(() -> s.signingKeys().jwks());
    if (k.passportJwksFile().isPresent()) {
      Path f = k.passportJwksFile().get();
      try {
        issuers.add(RefreshingJwks.fromFile(f, k.passportJwksRefresh(), s.clock()));
      } catch (IOException | RuntimeException e) {
        throw new ConfigException("kbs.passport_jwks_file " + f + ": " + e.getMessage(), e);
      }
    }
    for (java.net.URI u : k.passportJwksUrls()) {
      try {
        issuers.add(RefreshingJwks.fromUrl(u, k.passportJwksRefresh(), s.clock()));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("kbs.passport_jwks_urls: " + e.getMessage(), e);
      }
    }
    Optional<TokenVerifier> passport = Optional.of(new TrustedIssuers(issuers, s.clock()));
    List<PublicKey> adminKeys = new ArrayList<>();
    for (Path f : k.adminKeyFiles()) {
      try {
        adminKeys.add(AdminAuth.readPublicKeyPem(Files.readString(f)));
      } catch (IOException | IllegalArgumentException e) {
        throw new ConfigException("kbs.admin_key_files " + f + ": " + e.getMessage(), e);
      }
    }
    List<AdminAcl.Rule> acls = new ArrayList<>();
    for (String rule : k.adminAcls()) {
      try {
        acls.add(AdminAcl.Rule.parse(rule));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("kbs.admin_acls: " + e.getMessage(), e);
      }
    }
    AdminAuth admin;
    try {
      admin =
          adminKeys.isEmpty()
              ? AdminAuth.denyAll()
              : AdminAuth.withKeys(
                  adminKeys, s.clock(), k.adminTokenMaxLifetime(), new AdminAcl(acls));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("kbs.admin_key_files: " + e.getMessage(), e);
    }
    JdbcResourceStore resources = new JdbcResourceStore(s.database(), s.sealer(), s.clock());
    KbsService service =
        new KbsService(
            config,
            Optional.<AttestationBackend>of(s.attestation()),
            passport,
            new JdbcSessionStore(s.database(), s.sealer()),
            resources,
            admin,
            ResourcePolicy.defaultPolicy(),
            new JdbcResourcePolicyStore(s.database(), s.clock()),
            s.clock(),
            new SecureRandom());
    KbsAdminApi asAdmin =
        new KbsAdminApi(
            admin,
            s.policies(),
            s.referenceValues(),
            new dev.vouch.policy.rvps.ReferenceValueMessages(s.bundleKeys(), s.clock()));
    KbsRoutes kbsRoutes = new KbsRoutes(service, Optional.of(asAdmin));
    ResourceNameRoutes names = new ResourceNameRoutes(resources);
    return new KbsModule(
        service,
        cfg -> {
          kbsRoutes.register(cfg);
          names.register(new dev.vouch.server.http.Routes(cfg, s.openApi(), s.admin()));
        });
  }
}
