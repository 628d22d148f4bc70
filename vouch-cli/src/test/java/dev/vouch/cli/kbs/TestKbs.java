package dev.vouch.cli.kbs;

import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemorySessionStore;
import dev.vouch.server.kbs.KbsConfig;
import dev.vouch.server.kbs.KbsRoutes;
import dev.vouch.server.kbs.KbsService;
import dev.vouch.server.kbs.ResourcePolicy;
import dev.vouch.server.kbs.ResourceStore;
import dev.vouch.server.kbs.SessionStore;
import io.javalin.Javalin;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/** A real KBS (service and routes) on its own Javalin app on 127.0.0.1, for CLI and guest tests. */
public final class TestKbs {
  private TestKbs() {}

  public static Javalin serve(
      Set<Tee> tees,
      Optional<AttestationBackend> backend,
      ResourceStore resources,
      AdminAuth admin,
      ResourcePolicy policy) {
    return serve(tees, backend, resources, admin, policy, new InMemorySessionStore());
  }

  /** As above, keeping its sessions in {@code sessions}, which a test may count. */
  public static Javalin serve(
      Set<Tee> tees,
      Optional<AttestationBackend> backend,
      ResourceStore resources,
      AdminAuth admin,
      ResourcePolicy policy,
      SessionStore sessions) {
    KbsService service =
        new KbsService(
            KbsConfig.defaults().withTees(EnumSet.copyOf(tees)),
            backend,
            Optional.empty(),
            sessions,
            resources,
            admin,
            policy,
            Clock.systemUTC(),
            new SecureRandom());
    return Javalin.create(new KbsRoutes(service)::register).start("127.0.0.1", 0);
  }
}
