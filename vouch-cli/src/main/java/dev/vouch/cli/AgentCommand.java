package dev.vouch.cli;

import dev.vouch.agent.cdh.DataHub;
import dev.vouch.agent.cdh.ResourceSource;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.TpmEvidenceProvider;
import dev.vouch.agent.measure.MeasureServer;
import dev.vouch.agent.measure.MeasurementService;
import dev.vouch.agent.measure.ProcCgroups;
import dev.vouch.agent.measure.SockDiagPeers;
import dev.vouch.agent.tpm.EkTemplate;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.agent.trust.AgentCertificates;
import dev.vouch.agent.trust.CmsClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.agent.trust.HttpRegistrarClient;
import dev.vouch.agent.trust.HttpsAgentServer;
import dev.vouch.agent.trust.NatsAgentService;
import dev.vouch.agent.trust.NatsCredentials;
import dev.vouch.agent.trust.RegistrarException;
import dev.vouch.agent.trust.Tls;
import dev.vouch.agent.trust.TrustAgent;
import dev.vouch.agent.trust.TrustAgentConfig;
import dev.vouch.evidence.cima.MeasurementPolicy;
import dev.vouch.evidence.tpm.protocol.HostIds;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vouch agent}: the trust agent. Opens the TPM, makes sure the attestation key exists
 * (created under the EK and made persistent on first start), and serves quote requests over NATS
 * (connecting outward and announcing itself) and/or HTTPS with mutual TLS until stopped.
 *
 * <p>With {@code --server URL} the agent also enrolls with that server's registrar once its
 * transports are up (so the first attestation the server schedules finds it serving). Enrollment
 * runs on every start: the registrar accepts the same TPM again and the host stays scheduled, so a
 * restarted agent needs no state of its own; a host id the registrar knows with another TPM is
 * refused until an admin removes the old enrollment. A refused enrollment stops the agent with exit
 * code 1, an unreachable registrar with 3.
 *
 * <p>With {@code --listen} but no {@code --tls-key}/{@code --tls-cert}, the listener's certificate
 * comes from the server's CMS: the agent makes its own key, has it certified for its host id under
 * a one-time bootstrap token ({@code --bootstrap-token-file}, {@code VOUCH_BOOTSTRAP_TOKEN} or
 * {@code --bootstrap-token}; never printed), keeps it in {@code --state-dir} and renews it by
 * itself at two thirds of its validity without restarting the listener. The host id must then be
 * the DNS name the server reaches the agent by.
 *
 * <p>With {@code --kbs URL} the agent is also the guest's confidential data hub ({@link DataHub}:
 * CoCo's REST shape on 127.0.0.1:8006 and its unix socket): it attests to that KBS with a quote by
 * its own AK over its own event logs, and one KBS session (one token) serves every resource and
 * unseal request of every workload until it expires.
 */
@Command(
    name = "agent",
    description = "Serve TPM quotes to verifiers over NATS and/or HTTPS with mutual TLS.")
final class AgentCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--host-id", required = true, description = "This host's id (A-Z a-z 0-9 _ -).")
  String hostId;

  @Option(
      names = "--tpm",
      defaultValue = "device:/dev/tpmrm0",
      description = "device:/dev/tpmrm0 or swtpm:HOST:PORT (default: ${DEFAULT-VALUE}).")
  String tpm;

  @Option(
      names = "--ek",
      defaultValue = "rsa",
      description = "EK to bind the AK to: rsa, p256, p384.")
  String ek;

  @Option(
      names = "--ak-handle",
      defaultValue = "0x81010002",
      description = "Persistent handle of the AK (default: ${DEFAULT-VALUE}).")
  String akHandle;

  @Option(names = "--event-log", description = "Firmware event log (default: the kernel's).")
  Path eventLog = TrustAgentConfig.KERNEL_EVENT_LOG;

  @Option(names = "--ima-log", description = "Binary IMA list (default: the kernel's).")
  Path imaLog = TrustAgentConfig.KERNEL_IMA_LOG;

  @Option(
      names = "--software-manifest",
      description =
          "Files and directories (one absolute path a line) to measure into PCR 15 at start, one"
              + " logged measurement per file: what SOFTWARE flavors are made from.")
  Path softwareManifest;

  @Option(
      names = "--software-log",
      description = "Where this boot's software measurements are kept (default: ${DEFAULT-VALUE}).")
  Path softwareLog = TrustAgentConfig.SOFTWARE_LOG;

  @Option(
      names = "--server",
      description =
          "Vouch server to enroll with at startup, https://HOST:PORT (http only to localhost).")
  String server;

  @Option(
      names = "--server-ca",
      description =
          "PEM certificates the server's TLS certificate must chain to (default: JDK CAs).")
  Path serverCa;

  @Option(
      names = "--host-group",
      defaultValue = "default",
      description = "Host group to enroll into (default: ${DEFAULT-VALUE}).")
  String hostGroup;

  @Option(
      names = "--flavor-group",
      paramLabel = "G",
      description =
          "Flavor group to ask to be judged by (repeatable; applied when the server first"
              + " registers the host; default: the server's automatic group).")
  java.util.List<String> flavorGroups = new java.util.ArrayList<>();

  @Option(
      names = "--connection",
      description =
          "How the server reaches this agent: nats, or the agent's https:// URL (default: nats"
              + " with --nats, else https://<listen address>).")
  String connection;

  @Option(
      names = "--measure-policy",
      description =
          "Container measurement policy YAML (hashAlgorithm, system baseline,"
              + " measure.container.isolated); with --measure-socket.")
  Path measurePolicy;

  @Option(
      names = "--bootstrap-token-file",
      description =
          "File holding a one-time CMS bootstrap token for this host (or VOUCH_BOOTSTRAP_TOKEN):"
              + " with --listen and no --tls-key/--tls-cert, the server's CMS certifies the agent's"
              + " own key for its host id.")
  Path bootstrapTokenFile;

  @Option(
      names = "--bootstrap-token",
      description =
          "The bootstrap token itself (visible to other local users in the process list: prefer"
              + " --bootstrap-token-file or VOUCH_BOOTSTRAP_TOKEN).")
  String bootstrapToken;

  @Option(
      names = "--state-dir",
      defaultValue = "/var/lib/vouch-agent",
      description =
          "Where the agent keeps its CMS key and certificate chain (0600; default:"
              + " ${DEFAULT-VALUE}).")
  Path stateDir;

  /** The environment variable a bootstrap token may come from. */
  static final String BOOTSTRAP_TOKEN_ENV = "VOUCH_BOOTSTRAP_TOKEN";

  @Option(
      names = "--kbs-cacert",
      paramLabel = "PEM",
      description = "With --kbs: trust this certificate for the KBS's TLS (default: JDK CAs).")
  Path kbsCacert;

  @Option(
      names = "--data-hub-port",
      defaultValue = "" + DataHub.COCO_PORT,
      description = "With --kbs: the data hub's loopback port (default: ${DEFAULT-VALUE}; 0: any).")
  int dataHubPort;

  @Option(
      names = "--data-hub-socket",
      paramLabel = "PATH",
      description =
          "With --kbs: the data hub's unix socket, made 0600 (default:"
              + " /run/confidential-containers/cdh.sock).")
  Path dataHubSocket = DataHub.COCO_SOCKET;

  @Option(names = "--no-data-hub-socket", description = "With --kbs: serve the loopback port only.")
  boolean noDataHubSocket;

  @Option(
      names = "--data-hub-max-age",
      paramLabel = "SECONDS",
      defaultValue = "300",
      description =
          "With --kbs: longest a resource is served from the cache (default: ${DEFAULT-VALUE}).")
  long dataHubMaxAge;

  @ArgGroup(exclusive = false, multiplicity = "1")
  Transports transports;

  static final class Transports {
    @Option(names = "--nats", description = "NATS server URL, e.g. nats://verifier:4222.")
    String nats;

    @Option(
        names = "--measure-socket",
        description =
            "Serve container measurements (CIMA role) on this unix socket, e.g. "
                + "/run/vouch/measure.sock: measurement, event log (JSON or CEL) and evidence"
                + " bound to the TPM quote.")
    Path measureSocket;

    @Option(
        names = "--kbs",
        paramLabel = "URL",
        description =
            "Be the guest's data hub for this KBS: GET /cdh/resource/REPO/TYPE/TAG and POST"
                + " /cdh/unseal on 127.0.0.1 and a unix socket, attesting with this agent's AK.")
    URI kbs;

    @ArgGroup(exclusive = false)
    HttpsOptions https;
  }

  static final class HttpsOptions {
    @Option(names = "--listen", required = true, description = "HTTPS address, HOST:PORT.")
    String listen;

    @Option(
        names = "--tls-key",
        description =
            "Agent private key, PEM (with --tls-cert; without both, a CMS certificate from"
                + " --server is used, see --bootstrap-token-file).")
    Path key;

    @Option(names = "--tls-cert", description = "Agent certificate chain, PEM.")
    Path cert;

    @Option(
        names = "--client-ca",
        required = true,
        description = "CA certificates verifiers' client certificates must chain to, PEM.")
    Path clientCa;

    @Option(
        names = "--tls-min-version",
        defaultValue = "1.3",
        description = "Oldest TLS version the listener accepts: 1.3 (default) or 1.2.")
    String minVersion;
  }

  /** The agent's CMS identity, when its listener uses one. */
  private AgentCertificates certs;

  /** Released to stop a running agent (tests); the process otherwise runs until killed. */
  final CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!HostIds.isValid(hostId)) {
      err.println("error: --host-id must be 1-128 characters of A-Z a-z 0-9 _ -");
      return ExitCodes.BAD_INPUT;
    }
    if (transports.nats == null
        && transports.https == null
        && transports.measureSocket == null
        && transports.kbs == null) {
      err.println(
          "error: give --nats URL and/or --listen with its TLS options, and/or --measure-socket,"
              + " and/or --kbs");
      return ExitCodes.BAD_INPUT;
    }
    java.net.http.HttpClient kbsHttp = null;
    if (transports.kbs != null) {
      if (dataHubPort < 0 || dataHubPort > 65535 || dataHubMaxAge < 1) {
        err.println("error: --data-hub-port is 0-65535 and --data-hub-max-age at least 1");
        return ExitCodes.BAD_INPUT;
      }
      try {
        kbsHttp = GuestOptions.http(kbsCacert, "--kbs-cacert");
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
    } else if (kbsCacert != null) {
      err.println("error: --kbs-cacert needs --kbs");
      return ExitCodes.BAD_INPUT;
    }
    Optional<MeasurementPolicy> policy = Optional.empty();
    if (measurePolicy != null) {
      if (transports.measureSocket == null) {
        err.println("error: --measure-policy needs --measure-socket");
        return ExitCodes.BAD_INPUT;
      }
      try {
        policy =
            Optional.of(MeasurementPolicy.parse(CliIo.read(measurePolicy, "--measure-policy")));
      } catch (MeasurementPolicy.Invalid e) {
        err.println("error: --measure-policy " + measurePolicy + ": " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
    }
    EkTemplate ekTemplate;
    int handle;
    try {
      ekTemplate =
          switch (ek) {
            case "rsa" -> EkTemplate.RSA_2048;
            case "p256" -> EkTemplate.ECC_NIST_P256;
            case "p384" -> EkTemplate.ECC_NIST_P384;
            default -> throw new IllegalArgumentException("--ek must be rsa, p256 or p384");
          };
      handle = Integer.parseUnsignedInt(akHandle.replaceFirst("^0[xX]", ""), 16);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    }
    SSLContext tls = null;
    InetSocketAddress bind = null;
    List<X509Certificate> clientCas = List.of();
    boolean cmsTls = transports.https != null && transports.https.key == null;
    Optional<String> token;
    try {
      token = bootstrapToken();
    } catch (CliIo.BadInput e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    }
    if (transports.https != null
        && (transports.https.key == null) != (transports.https.cert == null)) {
      err.println(
          "error: give --tls-key and --tls-cert together, or neither for a CMS certificate");
      return ExitCodes.BAD_INPUT;
    }
    if (cmsTls && server == null) {
      err.println(
          "error: --listen without --tls-key/--tls-cert needs --server, whose CMS certifies the"
              + " agent");
      return ExitCodes.BAD_INPUT;
    }
    if (token.isPresent() && !cmsTls) {
      err.println("error: a bootstrap token is for --listen without --tls-key/--tls-cert");
      return ExitCodes.BAD_INPUT;
    }
    if (transports.https != null) {
      try {
        clientCas = certificates(transports.https.clientCa);
        if (!cmsTls) {
          tls = tls(transports.https);
        }
        bind = address(transports.https.listen);
        if (!"1.3".equals(transports.https.minVersion)
            && !"1.2".equals(transports.https.minVersion)) {
          throw new IllegalArgumentException("--tls-min-version must be 1.3 or 1.2");
        }
      } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
    }
    Optional<SSLContext> serverTls = Optional.empty();
    if (server != null) {
      try {
        HttpRegistrarClient.checkBaseUrl(server);
        if (serverCa != null) {
          serverTls = Optional.of(Tls.trusting(certificates(serverCa)));
        }
      } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
        err.println("error: --server: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      if (!HostIds.isValid(hostGroup)) {
        err.println("error: --host-group must be 1-128 characters of A-Z a-z 0-9 _ -");
        return ExitCodes.BAD_INPUT;
      }
      for (String g : flavorGroups) {
        if (!HostIds.isValid(g) || g.equals("host_unique")) {
          err.println(
              "error: --flavor-group must be 1-128 characters of A-Z a-z 0-9 _ -, not host_unique");
          return ExitCodes.BAD_INPUT;
        }
      }
      String bad = connectionProblem();
      if (bad != null) {
        err.println("error: " + bad);
        return ExitCodes.BAD_INPUT;
      }
      if (cmsTls) {
        certs =
            new AgentCertificates(
                hostId, stateDir, new CmsClient(server, serverTls), Clock.systemUTC());
        try {
          if (token.isEmpty() && !certs.hasValidStoredIdentity()) {
            err.println(
                "error: no valid CMS certificate in "
                    + stateDir
                    + ": give --bootstrap-token-file (or "
                    + BOOTSTRAP_TOKEN_ENV
                    + ") to enroll");
            return ExitCodes.BAD_INPUT;
          }
        } catch (IOException e) {
          err.println("error: --state-dir: " + e.getMessage());
          return ExitCodes.BAD_INPUT;
        }
      }
    } else if (serverCa != null || connection != null) {
      err.println("error: --server-ca and --connection need --server");
      return ExitCodes.BAD_INPUT;
    }
    try (TpmClient client = TpmClient.open(tpm)) {
      client.startup(StartupType.CLEAR);
      Enrollment enrollment = new Enrollment(client, ekTemplate, KeyTemplate.akEccP256(), handle);
      enrollment.prepare();
      PersistentKey ak = enrollment.ak();
      TrustAgentConfig config = new TrustAgentConfig(hostId, eventLog, imaLog, Path.of("/"));
      if (softwareManifest != null) {
        config = config.withSoftware(softwareManifest, softwareLog);
      }
      TrustAgent agent = new TrustAgent(config, client, ak);
      try {
        int measured = agent.measureSoftware();
        if (softwareManifest != null) {
          out.println("agent " + hostId + ": measured " + measured + " files into PCR 15");
        }
      } catch (IOException e) {
        err.println("error: --software-manifest: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      List<AutoCloseable> running = new ArrayList<>();
      try {
        int httpsPort = 0;
        if (certs != null) {
          // the listener's identity from the CMS, before the registrar learns where to reach us
          try {
            tls = Tls.context(certs.open(token), clientCas);
          } catch (RegistrarException e) {
            err.println("error: certificate from " + server + ": " + e.getMessage());
            return e.refused() ? ExitCodes.FAILED : ExitCodes.INTERNAL;
          } catch (GeneralSecurityException e) {
            err.println("error: " + e.getMessage());
            return ExitCodes.INTERNAL;
          }
          ScheduledExecutorService renewals =
              Executors.newSingleThreadScheduledExecutor(
                  r -> {
                    Thread t = new Thread(r, "vouch-cms-renewal");
                    t.setDaemon(true);
                    return t;
                  });
          running.add(renewals::shutdownNow);
          certs.scheduleRenewal(renewals, certs.checkInterval());
          out.println(
              "agent "
                  + hostId
                  + ": CMS certificate "
                  + certs.chain().get(0).getSerialNumber().toString(16)
                  + ", renewal from "
                  + certs.renewAt());
        }
        if (tls != null) {
          HttpsAgentServer https =
              HttpsAgentServer.start(agent, bind, tls, "1.2".equals(transports.https.minVersion));
          running.add(https);
          httpsPort = https.port();
          out.println("agent " + hostId + ": HTTPS on port " + httpsPort);
        }
        if (transports.measureSocket != null) {
          // shares the trust agent's TPM: both only read PCRs and quote with the persistent AK,
          // and each command is one atomic transmit, so their commands may interleave
          MeasurementService measure = new MeasurementService(imaLog, policy, client, ak);
          running.add(
              MeasureServer.start(
                  measure,
                  transports.measureSocket,
                  new SockDiagPeers(transports.measureSocket),
                  ProcCgroups.system()));
          out.println(
              "agent "
                  + hostId
                  + ": container measurements on "
                  + transports.measureSocket
                  + (measure.isolated() ? " (isolated)" : ""));
        }
        if (transports.kbs != null) {
          // the same TPM and AK as the quotes the agent serves: the KBS sees one attester
          KbsClient kbs =
              GuestOptions.client(
                  transports.kbs,
                  kbsHttp,
                  TpmEvidenceProvider.measuredBoot(
                      client, ak, Optional.of(eventLog), Optional.of(imaLog)));
          Optional<Path> sock = noDataHubSocket ? Optional.empty() : Optional.of(dataHubSocket);
          DataHub hub =
              DataHub.start(
                  ResourceSource.of(kbs),
                  dataHubPort,
                  sock,
                  Duration.ofSeconds(dataHubMaxAge),
                  Clock.systemUTC());
          running.add(hub);
          out.println(
              "agent "
                  + hostId
                  + ": data hub on 127.0.0.1:"
                  + hub.port()
                  + sock.map(p -> " and unix:" + p).orElse("")
                  + " for "
                  + transports.kbs);
        }
        // a NATS identity made here; only its public key goes to the registrar, which signs it
        // when the server runs NATS with per-agent credentials (hosts.nats_auth_dir)
        NatsCredentials natsKey = NatsCredentials.generate();
        Optional<String> natsJwt = Optional.empty();
        if (server != null) {
          String reachedAt = connection != null ? connection : defaultConnection(bind, httpsPort);
          HttpRegistrarClient registrar =
              HttpRegistrarClient.create(
                  server,
                  serverTls,
                  hostGroup,
                  reachedAt,
                  transports.nats != null ? Optional.of(natsKey.publicKey()) : Optional.empty(),
                  flavorGroups);
          try {
            enrollment.enroll(hostId, registrar);
          } catch (RegistrarException e) {
            err.println("error: enrollment with " + server + ": " + e.getMessage());
            return e.refused() ? ExitCodes.FAILED : ExitCodes.INTERNAL;
          }
          natsJwt = registrar.natsJwt();
          out.println(
              "agent " + hostId + ": enrolled with " + server + " (group " + hostGroup + ")");
        }
        if (transports.nats != null) {
          // after enrollment, with its credentials: the announcement makes the host due at once
          Options.Builder options = new Options.Builder().server(transports.nats);
          natsJwt.ifPresent(jwt -> options.authHandler(natsKey.authHandler(jwt)));
          Connection nats = Nats.connect(options.build());
          running.add(nats::close);
          running.add(NatsAgentService.start(agent, nats));
          out.println(
              "agent "
                  + hostId
                  + ": NATS on "
                  + NatsAgentService.quoteSubject(hostId)
                  + (natsJwt.isPresent() ? " with its own credentials" : ""));
        }
        out.flush();
        stop.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        for (int i = running.size() - 1; i >= 0; i--) {
          running.get(i).close();
        }
      }
      return ExitCodes.OK;
    } catch (TpmException | IOException e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.INTERNAL;
    }
  }

  /** The bootstrap token from the flag, the file or the environment, in that order. */
  private Optional<String> bootstrapToken() throws CliIo.BadInput {
    String t = bootstrapToken;
    if (t == null && bootstrapTokenFile != null) {
      t =
          new String(
              CliIo.read(bootstrapTokenFile, "--bootstrap-token-file"), StandardCharsets.UTF_8);
    }
    if (t == null) {
      t = System.getenv(BOOTSTRAP_TOKEN_ENV);
    }
    if (t == null || t.isBlank()) {
      return Optional.empty();
    }
    t = t.strip();
    if (!t.matches("[A-Za-z0-9._-]{1,512}")) {
      throw new CliIo.BadInput(
          "the bootstrap token is not a token (vbt.... as the server gave it)");
    }
    return Optional.of(t);
  }

  /** Why {@code --connection} (or its default) cannot work, or null. */
  private String connectionProblem() {
    if (connection == null) {
      if (transports.nats == null
          && (transports.https == null || unspecific(address(transports.https.listen)))) {
        return "--connection https://ADDRESS:PORT is needed: the server cannot reach an agent"
            + " listening on every address by that address";
      }
      return null;
    }
    if (connection.equals("nats")) {
      return transports.nats == null ? "--connection nats needs --nats" : null;
    }
    try {
      URI u = new URI(connection);
      if ("https".equalsIgnoreCase(u.getScheme()) && u.getHost() != null) {
        return null;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    return "--connection must be nats or the agent's https:// URL, not '" + connection + "'";
  }

  private static boolean unspecific(InetSocketAddress a) {
    return a.getAddress() == null || a.getAddress().isAnyLocalAddress();
  }

  /** NATS when the agent is on NATS, else the HTTPS address it listens on. */
  private String defaultConnection(InetSocketAddress bind, int port) {
    if (transports.nats != null) {
      return "nats";
    }
    String host = bind.getHostString();
    return "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  private static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("--listen must be HOST:PORT");
    }
    return new InetSocketAddress(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static SSLContext tls(HttpsOptions o) throws IOException, GeneralSecurityException {
    return Tls.context(privateKey(o.key), certificates(o.cert), certificates(o.clientCa));
  }

  private static List<X509Certificate> certificates(Path pem)
      throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(pem)) {
      List<X509Certificate> out = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        out.add((X509Certificate) c);
      }
      if (out.isEmpty()) {
        throw new GeneralSecurityException(pem + " holds no certificate");
      }
      return out;
    }
  }

  private static PrivateKey privateKey(Path pem) throws IOException {
    try (Reader r = Files.newBufferedReader(pem);
        PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair kp) {
        return conv.getKeyPair(kp).getPrivate();
      }
      if (o instanceof PrivateKeyInfo info) {
        return conv.getPrivateKey(info);
      }
      throw new IOException(pem + " holds no unencrypted private key");
    }
  }
}
