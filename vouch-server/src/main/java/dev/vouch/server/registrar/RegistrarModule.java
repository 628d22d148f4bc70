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
   * @param natsAuth when present, agents that send a NATS user key with their activation get a user
   *     JWT for it
   * @throws ConfigException for a root or intermediate file that holds no readable certificate
   */
  public static RegistrarModule create(
      VouchServer.Services s,
      HostRegistry hosts,
      java.util.Optional<dev.vouch.server.nats.NatsAuthority> natsAuth)
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
    } else if (!cfg.ekRevocation()) {
      LOG.warn(
          "EK certificate revocation is not checked: registrar.ek_revocation is false (for CAs"
              + " that publish no CRL, such as swtpm's)");
      trust = EkTrust.withoutRevocation(roots, intermediates);
    } else {
      trust = new EkTrust(roots, intermediates, crls(cfg.ekCrls()));
    }
    JdbcEnrollmentStore store = new JdbcEnrollmentStore(s.database(), s.sealer());
    Registrar registrar =
        new Registrar(trust, store, s.clock(), cfg.challengeTtl(), new SecureRandom());
    RegistrarRoutes routes = new RegistrarRoutes(registrar, hosts, s.clock(), natsAuth);
    return new RegistrarModule(
        registrar, store, c -> routes.register(new Routes(c, s.openApi(), s.admin())));
  }

  private static List<java.security.cert.X509CRL> crls(List<Path> files) throws ConfigException {
    List<java.security.cert.X509CRL> out = new ArrayList<>();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        int before = out.size();
        for (java.security.cert.CRL c : CertificateFactory.getInstance("X.509").generateCRLs(in)) {
          out.add((java.security.cert.X509CRL) c);
        }
        if (out.size() == before) {
          throw new ConfigException("registrar.ek_crls: " + f + " holds no CRL", null);
        }
      } catch (java.io.IOException | java.security.cert.CRLException | RuntimeException e) {
        throw new ConfigException("registrar.ek_crls: " + f + ": " + e.getMessage(), e);
      } catch (java.security.cert.CertificateException e) {
        throw new IllegalStateException("the JDK lacks X.509", e);
      }
    }
    return out;
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
    crls(cfg.ekCrls());
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
