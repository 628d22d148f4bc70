package dev.vouch.server.registrar;

import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.RouteGroup;
import dev.vouch.server.http.Routes;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.store.JdbcEnrollmentStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registrar as {@code vouch server} runs it: challenges and enrolled hosts in the server's
 * database ({@link JdbcEnrollmentStore}), EK roots from {@code registrar.ek_roots}, and enrolled
 * hosts handed to the attestation manager's {@link HostRegistry}.
 *
 * @param registrar the registrar
 * @param store its store, which the attestation manager reads enrolled AKs from
 * @param routes its {@code /api/v1/registrar} routes
 */
public record RegistrarModule(Registrar registrar, JdbcEnrollmentStore store, RouteGroup routes) {
  private static final Logger LOG = LoggerFactory.getLogger(RegistrarModule.class);

  /**
   * Assembles the registrar from the {@code registrar} configuration section.
   *
   * @throws ConfigException for a root or intermediate file that holds no readable certificate
   */
  public static RegistrarModule create(VouchServer.Services s, HostRegistry hosts)
      throws ConfigException {
    ServerConfig.Registrar cfg = s.config().registrar();
    List<X509Certificate> roots = certificates(cfg.ekRoots(), "registrar.ek_roots");
    List<X509Certificate> intermediates =
        certificates(cfg.ekIntermediates(), "registrar.ek_intermediates");
    EkTrust trust;
    if (roots.isEmpty()) {
      LOG.warn(
          "registrar.ek_roots is empty: every enrollment is refused (ek-roots-not-configured)");
      trust = EkTrust.none();
    } else {
      // no registrar setting for EK CRLs exists yet: revocation is off, and said so, rather than
      // skipped silently (add registrar.ek_crls and use new EkTrust(roots, intermediates, crls))
      LOG.warn("EK certificate revocation is not checked: the registrar has no EK CRLs configured");
      trust = EkTrust.withoutRevocation(roots, intermediates);
    }
    JdbcEnrollmentStore store = new JdbcEnrollmentStore(s.database(), s.sealer());
    Registrar registrar =
        new Registrar(trust, store, s.clock(), cfg.challengeTtl(), new SecureRandom());
    RegistrarRoutes routes = new RegistrarRoutes(registrar, hosts, s.clock());
    return new RegistrarModule(
        registrar, store, c -> routes.register(new Routes(c, s.openApi(), s.admin())));
  }

  /**
   * Checks the {@code registrar} section without starting anything: every root and intermediate
   * file must hold readable certificates.
   *
   * @throws ConfigException naming the key and file otherwise
   */
  public static void validate(ServerConfig.Registrar cfg) throws ConfigException {
    certificates(cfg.ekRoots(), "registrar.ek_roots");
    certificates(cfg.ekIntermediates(), "registrar.ek_intermediates");
  }

  private static List<X509Certificate> certificates(List<Path> files, String key)
      throws ConfigException {
    List<X509Certificate> out = new ArrayList<>();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        int before = out.size();
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          out.add((X509Certificate) c);
        }
        if (out.size() == before) {
          throw new ConfigException(key + " " + f + ": holds no certificate");
        }
      } catch (IOException | CertificateException | ClassCastException e) {
        throw new ConfigException(key + " " + f + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
