package dev.vouch.server.monitor;

import dev.vouch.core.VerificationException;
import dev.vouch.policy.flavor.FlavorTemplate;
import dev.vouch.policy.flavor.GoldenFlavors;
import dev.vouch.policy.report.X5cJws;
import dev.vouch.server.actions.AttestationEvents;
import dev.vouch.server.actions.FailurePolicy;
import dev.vouch.server.actions.FailureResponder;
import dev.vouch.server.actions.HostRef;
import dev.vouch.server.actions.NodeActionQueue;
import dev.vouch.server.actions.NodeActionSettings;
import dev.vouch.server.actions.NodeActions;
import dev.vouch.server.actions.StatusChange;
import dev.vouch.server.actions.WebhookDispatcher;
import dev.vouch.server.actions.WebhookSettings;
import dev.vouch.server.actions.WebhookTarget;
import dev.vouch.server.cms.CmsTrustManager;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.hosts.AgentChannel;
import dev.vouch.server.hosts.AnnouncementListener;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.HttpsAgentChannel;
import dev.vouch.server.hosts.NatsAgentChannel;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.hosts.RoutedAgentChannel;
import dev.vouch.server.http.TlsCertificates;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.AttestationScheduler;
import dev.vouch.server.manager.Host;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.manager.PollIntervals;
import dev.vouch.server.nats.NatsAuthority;
import dev.vouch.server.registrar.EnrollmentStore;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Continuous host monitoring as {@code vouch server} runs it ({@code hosts.*} configuration): the
 * host registry, flavors and trust reports in the server's database, the {@link HostVerifier}, the
 * attestation scheduler of this replica, agent announcements and status events over NATS, and the
 * failure responder that cordons Kubernetes nodes. Replicas on one database share the work through
 * the registry's leases.
 */
public final class HostMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HostMonitor.class);

  private final HostRegistry registry;
  private final FlavorStore flavors;
  private final TrustReportStore reports;
  private final ServerIdentity identity;
  private final HostVerifier verifier;
  private final AttestationScheduler scheduler;
  private final FailureResponder responder;
  private final Optional<NodeActions> nodes;
  private final Optional<NodeActionQueue> nodeQueue;
  private final Optional<Connection> nats;
  private final Optional<AnnouncementListener> announcements;
  private final AttestationEvents events;
  private final Optional<KubernetesClient> kubernetes;
  private final boolean enabled;
  private final java.time.Clock clock;
  private final List<java.security.PublicKey> flavorKeys;

  private HostMonitor(
      HostRegistry registry,
      FlavorStore flavors,
      TrustReportStore reports,
      ServerIdentity identity,
      HostVerifier verifier,
      AttestationScheduler scheduler,
      FailureResponder responder,
      Optional<NodeActions> nodes,
      Optional<NodeActionQueue> nodeQueue,
      Optional<Connection> nats,
      Optional<AnnouncementListener> announcements,
      AttestationEvents events,
      Optional<KubernetesClient> kubernetes,
      boolean enabled,
      java.time.Clock clock,
      List<java.security.PublicKey> extraFlavorKeys) {
    this.registry = registry;
    this.flavors = flavors;
    this.reports = reports;
    this.identity = identity;
    this.verifier = verifier;
    this.scheduler = scheduler;
    this.responder = responder;
    this.nodes = nodes;
    this.nodeQueue = nodeQueue;
    this.nats = nats;
    this.announcements = announcements;
    this.events = events;
    this.kubernetes = kubernetes;
    this.enabled = enabled;
    this.clock = clock;
    List<java.security.PublicKey> keys = new java.util.ArrayList<>();
    keys.add(identity.chain().get(0).getPublicKey());
    keys.addAll(extraFlavorKeys);
    this.flavorKeys = List.copyOf(keys);
  }

  /**
   * Assembles monitoring from the {@code hosts} section; nothing runs until {@link #start}.
   *
   * @param enrollments where enrolled hosts' AKs are (the registrar's store)
   * @param natsAuth when present, the server connects to NATS as a user of its account
   * @throws ConfigException when NATS, the agent TLS files, the webhook secret or the Kubernetes
   *     client cannot be put to work
   */
  public static HostMonitor create(
      VouchServer.Services s, EnrollmentStore enrollments, Optional<NatsAuthority> natsAuth)
      throws ConfigException {
    ServerConfig.Hosts h = s.config().hosts();
    HostRegistry registry = new HostRegistry(s.database());
    FlavorStore flavors = new FlavorStore(s.database());
    TrustReportStore reports = new TrustReportStore(s.database());
    ServerIdentity identity = s.identity();
    List<java.security.PublicKey> extraFlavorKeys = flavorKeys(h.flavorSigningKeyFiles());
    Optional<Connection> nats = Optional.empty();
    if (h.natsUrl().isPresent()) {
      try {
        Options.Builder options = new Options.Builder(natsOptions(h.natsUrl().get()));
        natsAuth.ifPresent(a -> options.authHandler(a.serverCredentials()));
        nats = Optional.of(Nats.connect(options.build()));
      } catch (IOException e) {
        throw new ConfigException("hosts.nats_url: cannot connect: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ConfigException("interrupted while connecting to NATS", e);
      }
    }
    try {
      Optional<AgentChannel> natsChannel = nats.map(c -> new NatsAgentChannel(c, h.agentTimeout()));
      Optional<AgentChannel> https = Optional.empty();
      if (h.agentTls().isPresent()) {
        CmsTrustManager agentTrust = CmsTrustManager.of(s.cms(), agentCas(h.agentTls().get()));
        SSLContext tls = agentTls(h.agentTls().get(), Optional.of(agentTrust));
        https =
            Optional.of(
                new HttpsAgentChannel(
                    tls,
                    id ->
                        registry
                            .get(id)
                            .flatMap(host -> RoutedAgentChannel.httpsUrl(host.connection())),
                    h.agentTimeout(),
                    agentTrust::notRevoked));
      }
      AgentChannel channel =
          new RoutedAgentChannel(id -> registry.get(id).map(Host::connection), natsChannel, https);
      HostAttestor attestor =
          new HostAttestor(enrollments, channel, plan(h), s.clock(), new SecureRandom());
      GoldenFlavors.Mode mode = GoldenFlavors.Mode.valueOf(h.goldenMode().toUpperCase(Locale.ROOT));
      HostVerifier verifier =
          new HostVerifier(
              attestor,
              flavors,
              reports,
              identity,
              new HostVerifier.Settings(
                  mode,
                  h.goldenParts(),
                  templates(h.flavorTemplateFiles()),
                  h.reportValidity(),
                  h.requireDiskEncryption()),
              s.clock(),
              Optional.of(
                  new HostVerifier.Runtime(
                      new ImaStateStore(s.database()), new RuntimePolicyStore(s.database()))));
      Optional<WebhookDispatcher> webhooks = Optional.empty();
      if (h.webhookUrl().isPresent()) {
        byte[] secret = Files.readAllBytes(h.webhookSecretFile().orElseThrow());
        webhooks =
            Optional.of(
                new WebhookDispatcher(
                    WebhookSettings.defaults(
                        List.of(new WebhookTarget(h.webhookUrl().get(), secret)))));
      }
      AttestationEvents events =
          new AttestationEvents(
              nats,
              webhooks,
              s.audit()::hostStatus,
              Optional.of(
                  X5cJws.signer(
                      identity.key(), identity.chain(), AttestationEvents.SIGNATURE_TYPE)));
      Optional<KubernetesClient> kube = Optional.empty();
      Optional<NodeActions> nodes = Optional.empty();
      Optional<NodeActionQueue> nodeQueue = Optional.empty();
      if (h.kubernetes()) {
        ConfigBuilder kc = new ConfigBuilder();
        h.kubernetesUrl().ifPresent(kc::withMasterUrl);
        // the node-action queue retries with its own backoff; the client's own retries (10 by
        // default, doubling) only held a worker for many seconds while the API server was down
        kc.withRequestRetryBackoffLimit(0).withConnectionTimeout(5_000).withRequestTimeout(10_000);
        kube = Optional.of(new KubernetesClientBuilder().withConfig(kc.build()).build());
        NodeActionSettings ns = NodeActionSettings.defaults();
        if (h.nodeLabel().isPresent()) {
          ns = ns.withHostLabel(h.nodeLabel().get());
        }
        nodes = Optional.of(new NodeActions(kube.get(), ns, s.clock()));
        nodeQueue =
            Optional.of(
                new NodeActionQueue(
                    s.database(), nodes.get(), s.clock(), NodeActionQueue.Settings.defaults()));
      }
      FailureResponder responder =
          new FailureResponder(new FailurePolicy(h.evictPods()), events, nodeQueue);
      AttestationScheduler scheduler =
          new AttestationScheduler(
              registry,
              ownerId(),
              s.clock(),
              new AttestationScheduler.Settings(
                  new PollIntervals(h.pollInterval(), h.groupPolls()),
                  h.lease(),
                  100,
                  h.maxConcurrency(),
                  Duration.ofSeconds(1)),
              verifier,
              change -> respond(responder, change));
      Optional<AnnouncementListener> listener =
          nats.map(c -> AnnouncementListener.start(c, a -> scheduler.triggerNow(a.hostId())));
      return new HostMonitor(
          registry,
          flavors,
          reports,
          identity,
          verifier,
          scheduler,
          responder,
          nodes,
          nodeQueue,
          nats,
          listener,
          events,
          kube,
          h.enabled(),
          s.clock(),
          extraFlavorKeys);
    } catch (IOException | GeneralSecurityException | VerificationException | RuntimeException e) {
      nats.ifPresent(HostMonitor::closeQuietly);
      throw new ConfigException("hosts: " + e.getMessage(), e);
    }
  }

  /**
   * Checks the {@code hosts} section without connecting to anything or writing anything: the NATS
   * and Kubernetes URLs parse, and the agent TLS files, webhook secret, flavor templates and flavor
   * signing keys are readable and of the right kind.
   *
   * @throws ConfigException naming the key otherwise
   */
  public static void validate(ServerConfig.Hosts h) throws ConfigException {
    if (h.natsUrl().isPresent()) {
      natsOptions(h.natsUrl().get());
    }
    if (h.kubernetesUrl().isPresent()) {
      String k = h.kubernetesUrl().get();
      try {
        java.net.URI u = new java.net.URI(k);
        if (u.getHost() == null
            || !("https".equalsIgnoreCase(u.getScheme())
                || "http".equalsIgnoreCase(u.getScheme()))) {
          throw new java.net.URISyntaxException(k, "not an http(s) URL with a host");
        }
      } catch (java.net.URISyntaxException e) {
        throw new ConfigException("hosts.kubernetes_url: " + e.getMessage(), e);
      }
    }
    if (h.agentTls().isPresent()) {
      try {
        agentTls(h.agentTls().get(), Optional.empty());
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        throw new ConfigException("hosts.agent_tls_*: " + e.getMessage(), e);
      }
    }
    if (h.webhookUrl().isPresent()) {
      Path secret = h.webhookSecretFile().orElseThrow();
      try {
        if (Files.readAllBytes(secret).length == 0) {
          throw new ConfigException("hosts.webhook_secret_file " + secret + " is empty");
        }
      } catch (IOException e) {
        throw new ConfigException(
            "hosts.webhook_secret_file " + secret + ": cannot read: " + e.getMessage(), e);
      }
    }
    flavorKeys(h.flavorSigningKeyFiles());
    templates(h.flavorTemplateFiles());
  }

  private static final java.util.Set<String> NATS_SCHEMES =
      java.util.Set.of("nats", "tls", "opentls", "ws", "wss");

  /**
   * The NATS client options for {@code hosts.nats_url}: one URL or a comma-separated list, each
   * with a NATS scheme and a host. jnats reports a bad URL as an unchecked exception from deep
   * inside; here it is a configuration error naming the key. The connection reconnects without
   * limit, so hosts come back by themselves after a NATS outage (NatsOutageTest).
   */
  public static Options natsOptions(String urls) throws ConfigException {
    for (String one : urls.split(",")) {
      String u = one.strip();
      try {
        java.net.URI uri = new java.net.URI(u);
        if (uri.getScheme() == null
            || !NATS_SCHEMES.contains(uri.getScheme().toLowerCase(Locale.ROOT))
            || uri.getHost() == null) {
          throw new ConfigException(
              "hosts.nats_url: '"
                  + u
                  + "' is not a NATS URL (nats://HOST:PORT, tls://, ws:// or wss://)");
        }
      } catch (java.net.URISyntaxException e) {
        throw new ConfigException("hosts.nats_url: '" + u + "' is not a URL: " + e.getMessage(), e);
      }
    }
    try {
      return new Options.Builder()
          .servers(urls.split(","))
          .connectionName("vouch-server")
          .maxReconnects(-1)
          .build();
    } catch (RuntimeException e) {
      throw new ConfigException("hosts.nats_url: " + e.getMessage(), e);
    }
  }

  /** The public keys of {@code hosts.flavor_signing_keys}: PEM certificates or EC public keys. */
  private static List<java.security.PublicKey> flavorKeys(List<Path> files) throws ConfigException {
    List<java.security.PublicKey> out = new java.util.ArrayList<>();
    for (Path f : files) {
      try {
        String text = Files.readString(f, java.nio.charset.StandardCharsets.US_ASCII);
        if (text.contains("BEGIN CERTIFICATE")) {
          try (InputStream in = Files.newInputStream(f)) {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
              out.add(c.getPublicKey());
            }
          }
        } else {
          String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
          out.add(
              java.security.KeyFactory.getInstance("EC")
                  .generatePublic(
                      new java.security.spec.X509EncodedKeySpec(
                          java.util.Base64.getDecoder().decode(b64))));
        }
      } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
        throw new ConfigException(
            "hosts.flavor_signing_keys " + f + ": not a PEM certificate or EC public key: " + e, e);
      }
    }
    return out;
  }

  /** The configured templates in order, then the built-in one as the fallback. */
  /** What hosts are asked for: the firmware registers and log, and IMA and software as set. */
  public static QuotePlan plan(ServerConfig.Hosts h) {
    QuotePlan plan = h.ima() ? QuotePlan.firmwareAndIma() : QuotePlan.firmware();
    return h.software() ? plan.withSoftware() : plan;
  }

  private static List<FlavorTemplate> templates(List<Path> files) throws ConfigException {
    List<FlavorTemplate> out = new java.util.ArrayList<>();
    for (Path f : files) {
      try {
        out.add(FlavorTemplate.parse(Files.readAllBytes(f), true));
      } catch (IOException | VerificationException e) {
        throw new ConfigException("hosts.flavor_template_files " + f + ": " + e.getMessage(), e);
      }
    }
    out.add(HostVerifier.defaultTemplate());
    return out;
  }

  private static void respond(FailureResponder responder, StatusChange change) {
    FailureResponder.Response r =
        responder.respond(change, new HostRef(change.hostId(), change.hostId()));
    if (!r.queued().isEmpty()) {
      LOG.info("host {}: node actions queued: {}", change.hostId(), r.queued());
    }
  }

  private static String ownerId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "replica";
    }
    return host + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * The client context for HTTPS agents: the configured client certificate, and as trust {@code
   * cms} (the CMS root and the configured agent CA, CMS revocations enforced) on a running server,
   * or the configured agent CA alone when only checking the configuration.
   */
  private static SSLContext agentTls(List<Path> files, Optional<CmsTrustManager> cms)
      throws GeneralSecurityException, IOException {
    KeyStore own;
    try {
      own = TlsCertificates.fromPem(files.get(0), files.get(1));
    } catch (ConfigException e) {
      throw new GeneralSecurityException(e.getMessage(), e);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(own, TlsCertificates.keyStorePassword());
    javax.net.ssl.TrustManager[] trust;
    if (cms.isPresent()) {
      trust = new javax.net.ssl.TrustManager[] {cms.get()};
    } else {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      List<java.security.cert.X509Certificate> anchors = agentCas(files);
      for (int i = 0; i < anchors.size(); i++) {
        ks.setCertificateEntry("agent-ca-" + i, anchors.get(i));
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      trust = tmf.getTrustManagers();
    }
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), trust, new SecureRandom());
    return ctx;
  }

  /** The certificates in {@code hosts.agent_tls_ca} (the third agent TLS file). */
  private static List<java.security.cert.X509Certificate> agentCas(List<Path> files)
      throws GeneralSecurityException, IOException {
    List<java.security.cert.X509Certificate> anchors = new java.util.ArrayList<>();
    try (InputStream in = Files.newInputStream(files.get(2))) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        anchors.add((java.security.cert.X509Certificate) c);
      }
    }
    return anchors;
  }

  /** Starts this replica's scheduler, unless {@code hosts.enabled} is false. */
  public void start() {
    if (enabled) {
      scheduler.start();
    }
    // pending node actions are carried out even on a replica that attests nothing itself
    nodeQueue.ifPresent(NodeActionQueue::start);
  }

  /** The HTTP routes of hosts, flavors, flavor groups and reports. */
  public MonitorRoutes routes() {
    return new MonitorRoutes(this);
  }

  /**
   * The keys an imported flavor's signature must verify against: the server's own flavor key (the
   * first) and those of {@code hosts.flavor_signing_keys}.
   */
  public List<java.security.PublicKey> flavorKeys() {
    return flavorKeys;
  }

  /**
   * The server's flavor-signing certificate (PEM), then the CA it chains to: the key that signs
   * every stored flavor and that {@code vouch flavor verify --key} takes.
   */
  public String flavorKeyPem() {
    return ServerIdentity.pem(identity.chain().get(0)) + identity.caPem();
  }

  /** The server's clock. */
  public java.time.Clock clock() {
    return clock;
  }

  public HostRegistry registry() {
    return registry;
  }

  public FlavorStore flavors() {
    return flavors;
  }

  public TrustReportStore reports() {
    return reports;
  }

  public ServerIdentity identity() {
    return identity;
  }

  public HostVerifier verifier() {
    return verifier;
  }

  /** Per-host IMA checkpoints and runtime findings. */
  public ImaStateStore imaStates() {
    return verifier.runtime().orElseThrow().states();
  }

  /** Runtime policies and their assignment to hosts. */
  public RuntimePolicyStore runtimePolicies() {
    return verifier.runtime().orElseThrow().policies();
  }

  public AttestationScheduler scheduler() {
    return scheduler;
  }

  /** The Kubernetes node actions, when {@code hosts.kubernetes} is on. */
  public Optional<NodeActions> nodes() {
    return nodes;
  }

  /** The Kubernetes client, when {@code hosts.kubernetes} is on. */
  public Optional<KubernetesClient> kubernetes() {
    return kubernetes;
  }

  /** The queue of Kubernetes node actions, when {@code hosts.kubernetes} is on. */
  public Optional<NodeActionQueue> nodeActions() {
    return nodeQueue;
  }

  FailureResponder responder() {
    return responder;
  }

  @Override
  public void close() {
    scheduler.close();
    nodeQueue.ifPresent(NodeActionQueue::close);
    announcements.ifPresent(AnnouncementListener::close);
    events.close();
    nats.ifPresent(HostMonitor::closeQuietly);
    kubernetes.ifPresent(KubernetesClient::close);
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
