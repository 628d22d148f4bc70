package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.agent.trust.TestPki;
import dev.vouch.agent.trust.Tls;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.flavor.Fault;
import dev.vouch.policy.flavor.Flavor;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorMeta;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.ImaMeasurement;
import dev.vouch.policy.flavor.SignedFlavor;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.Host;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous monitoring end to end: real swtpm hosts with trust agents over a real nats-server, the
 * server's scheduler, golden flavors, signed trust reports, and node cordoning against the fabric8
 * mock API server in CRUD mode.
 */
@EnableKubernetesMockClient(crud = true, https = false)
class HostMonitoringEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(40);

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir Path dir;
  private NatsServer nats;
  private VouchServer vouch;
  private TestServers.Client http;
  private final List<SwtpmHost> hosts = new ArrayList<>();

  @BeforeEach
  void startNats() throws Exception {
    nats = NatsServer.start();
    for (String n : List.of("host-a", "host-b", "host-c")) {
      client
          .nodes()
          .resource(new NodeBuilder().withNewMetadata().withName(n).endMetadata().build())
          .create();
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (vouch != null) {
      vouch.close();
    }
    for (SwtpmHost h : hosts) {
      h.close();
    }
    nats.close();
  }

  private void startServer(String goldenMode) throws Exception {
    startServer(goldenMode, Optional.empty());
  }

  private void startServer(String goldenMode, Optional<List<Path>> agentTls) throws Exception {
    startServer(goldenMode, agentTls, false, List.of());
  }

  private void startServer(
      String goldenMode, Optional<List<Path>> agentTls, boolean ima, List<Path> templates)
      throws Exception {
    ServerConfig.Hosts h =
        new ServerConfig.Hosts(
            true,
            Duration.ofHours(1),
            Map.of(),
            Duration.ofSeconds(60),
            8,
            goldenMode,
            Duration.ofDays(1),
            ima,
            Duration.ofSeconds(10),
            Optional.of(nats.url()),
            agentTls,
            true,
            Optional.of(kubernetesUrl()),
            false,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            templates);
    vouch = VouchServer.start(TestServers.plain(dir.resolve("server")).withHosts(h));
    http = new TestServers.Client(vouch.baseUri());
  }

  /** The Kubernetes API the server talks to; a test may put a relay in front of the mock. */
  private String kubernetesUrl() {
    return kubernetesUrl.orElse(server.url("/").replaceAll("/$", ""));
  }

  private Optional<String> kubernetesUrl = Optional.empty();

  private SwtpmHost host(String id, String log) throws Exception {
    SwtpmHost h = SwtpmHost.start(id, log, dir, vouch.enrollments(), nats.url());
    hosts.add(h);
    TestServers.Reply r =
        http.post("/api/v1/hosts", "{\"id\":\"" + id + "\",\"connection\":\"nats\"}", true);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return h;
  }

  private Host awaitStatus(String id, HostStatus status, Predicate<Host> also) throws Exception {
    return awaitStatus(vouch, WAIT, id, status, also);
  }

  /** Waits until the server's registry shows host {@code id} attested with {@code status}. */
  static Host awaitStatus(
      VouchServer vouch, Duration wait, String id, HostStatus status, Predicate<Host> also)
      throws Exception {
    long deadline = System.nanoTime() + wait.toNanos();
    Host h = null;
    while (System.nanoTime() < deadline) {
      h = vouch.monitor().registry().get(id).orElseThrow();
      if (h.status() == status && h.lastAttested().isPresent() && also.test(h)) {
        return h;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("host " + id + " is " + h + ", expected " + status);
  }

  private Host awaitNewReport(String id, HostStatus status, Optional<String> previousReport)
      throws Exception {
    return awaitStatus(id, status, h -> !h.lastReportId().equals(previousReport));
  }

  private Node node(String name) {
    return client.nodes().withName(name).get();
  }

  private static boolean cordoned(Node n) {
    return n.getSpec() != null
        && Boolean.TRUE.equals(n.getSpec().getUnschedulable())
        && n.getSpec().getTaints() != null
        && n.getSpec().getTaints().stream()
            .anyMatch(t -> t.getKey().equals("vouch.dev/attestation"));
  }

  private List<String> auditActions(String id) {
    JsonNode host = http.get("/api/v1/hosts/" + id, true).json();
    List<String> out = new ArrayList<>();
    host.path("golden_audit").forEach(a -> out.add(a.path("action").asText()));
    return out;
  }

  @Test
  void tofuHostsGetGoldenFlavorsTamperingCordonsOnlyThatNodeAndAReBootBecomesGolden()
      throws Exception {
    startServer("tofu");
    SwtpmHost a = host("host-a", SwtpmHost.SECURE_BOOT_LOG);
    host("host-b", SwtpmHost.SECURE_BOOT_LOG);

    Host verifiedA = awaitStatus("host-a", HostStatus.VERIFIED, h -> true);
    awaitStatus("host-b", HostStatus.VERIFIED, h -> true);
    assertThat(auditActions("host-a")).containsExactly("ADOPTED");
    assertThat(auditActions("host-b")).containsExactly("ADOPTED");
    JsonNode golden = http.get("/api/v1/flavors?host=host-a", true).json().path("flavors");
    assertThat(golden).extracting(f -> f.path("origin").asText()).containsOnly("GOLDEN");
    assertThat(golden)
        .extracting(f -> f.path("flavor_part").asText())
        .containsExactlyInAnyOrder("PLATFORM", "HOST_UNIQUE");

    // the report is a JWS any JOSE implementation can check: here the JDK alone, no JOSE library
    String jws =
        http.get("/api/v1/reports/" + verifiedA.lastReportId().orElseThrow(), true)
            .json()
            .path("jws")
            .asText();
    X509Certificate ca = pem(http.get("/api/v1/reports/ca", false).body());
    JsonNode report = verifyWithJdkOnly(jws, ca);
    assertThat(report.toString()).contains("host-a");

    // tampering on host A: one cycle later it fails, and only its node is cordoned
    a.tamper(1);
    assertThat(http.post("/api/v1/hosts/host-a/attest", "", true).status()).isEqualTo(202);
    Host failed = awaitNewReport("host-a", HostStatus.ATTESTATION_FAILED, verifiedA.lastReportId());
    assertThat(vouch.monitor().registry().history("host-a").getLast().reasons())
        .anySatisfy(r -> assertThat(r).startsWith("EVENT_LOG_MISMATCH"));
    awaitCordoned("host-a");
    Node nodeA = node("host-a");
    assertThat(nodeA.getMetadata().getAnnotations()).containsKey("vouch.dev/attestation-reason");
    assertThat(cordoned(node("host-b"))).isFalse();
    assertThat(vouch.monitor().registry().get("host-b").orElseThrow().status())
        .isEqualTo(HostStatus.VERIFIED);

    // reboot into changed firmware: the agent announces itself and, TOFU, the new boot is golden;
    // but not silently: a baseline-changed event names PCR 1 and the event that changed it
    try (StatusEvents events = StatusEvents.of(nats.url(), "host-a")) {
      a.rebootIntoChangedFirmware();
      Host rebooted = awaitNewReport("host-a", HostStatus.VERIFIED, failed.lastReportId());
      assertThat(rebooted.lastResetCount().getAsLong())
          .isGreaterThan(verifiedA.lastResetCount().getAsLong());
      assertThat(auditActions("host-a")).containsExactly("ADOPTED", "ADOPTED");
      JsonNode changed = events.await(e -> e.path("event").asText().equals("baseline-changed"));
      assertThat(changed.path("current").asText()).isEqualTo("VERIFIED");
      assertThat(changed.path("baseline").path("adopted").asBoolean()).isTrue();
      assertBaselineNamesTheFirmwareSettingEvent(changed.path("baseline"));
    }
    assertThat(lastAudit("host-a").path("reason").asText())
        .contains("baseline changed: SHA256 PCR 1 (1 event added, EV_PLATFORM_CONFIG_FLAGS");
    assertThat(http.get("/api/v1/flavors?host=host-a&retired=true", true).json().path("flavors"))
        .hasSize(4);
    // a passing attestation never lifts the cordon; a fresh onboarding does
    assertThat(cordoned(node("host-a"))).isTrue();
    JsonNode onboarded = http.post("/api/v1/hosts/host-a/onboard", "", true).json();
    assertThat(onboarded.path("nodes_restored").toString()).contains("host-a");
    assertThat(cordoned(node("host-a"))).isFalse();

    // the audit log holds each status change as the server's decision, and the admin's actions
    JsonNode audit = http.get("/api/v1/audit?limit=1000", true).json().path("records");
    assertThat(audit)
        .filteredOn(r -> r.path("action").asText().equals("host.status"))
        .extracting(r -> r.path("target").asText() + " " + r.path("outcome").asText())
        .contains("host-a VERIFIED", "host-a ATTESTATION_FAILED", "host-b VERIFIED");
    assertThat(audit)
        .filteredOn(r -> r.path("action").asText().equals("admin.change"))
        .extracting(r -> r.path("target").asText())
        .contains("POST /api/v1/hosts/host-a/attest", "POST /api/v1/hosts/host-a/onboard");

    // the dashboard's series are all exported once each kind of work has happened: an AS verdict
    // (the recorded quote, contraindicated without a log) and a KBS request without a session
    String bundle =
        java.util.Base64.getEncoder().encodeToString(dev.vouch.server.TpmVectors.bundle());
    String nonce = dev.vouch.core.bytes.Hex.encode(dev.vouch.server.TpmVectors.nonce());
    assertThat(
            http.post(
                    "/api/v1/attest",
                    "{\"tee\":\"tpm\",\"evidence\":\"" + bundle + "\",\"nonce\":\"" + nonce + "\"}",
                    false)
                .status())
        .isEqualTo(200);
    assertThat(http.get("/kbs/v0/resource/default/key/one", false).status()).isEqualTo(401);
    String scrape = http.get("/metrics", false).body();
    assertThat(scrape)
        .contains("vouch_host_attestations_seconds_count{status=\"VERIFIED\"")
        .contains("vouch_attestations_seconds_count{result=\"contraindicated\",tee=\"tpm\"")
        .contains("vouch_kbs_releases_total{outcome=\"unauthenticated\"");
    dev.vouch.server.DashboardMetrics.assertAllExported(scrape);
  }

  @Test
  void aCordonAskedWhileTheKubernetesApiIsDownIsShownPendingAndDoneOnceItReturns()
      throws Exception {
    try (dev.vouch.server.TcpOutage api =
        dev.vouch.server.TcpOutage.relayTo(java.net.URI.create(server.url("/")).getPort())) {
      kubernetesUrl = Optional.of("http://127.0.0.1:" + api.port());
      startServer("tofu");
      SwtpmHost a = host("host-a", SwtpmHost.SECURE_BOOT_LOG);
      Host verified = awaitStatus("host-a", HostStatus.VERIFIED, h -> true);

      api.down();
      a.tamper(1);
      assertThat(http.post("/api/v1/hosts/host-a/attest", "", true).status()).isEqualTo(202);
      awaitNewReport("host-a", HostStatus.ATTESTATION_FAILED, verified.lastReportId());
      JsonNode pending =
          awaitNodeAction("host-a", "CORDON", a1 -> a1.path("attempts").asInt() >= 2);
      assertThat(pending.path("kind").asText()).isEqualTo("CORDON");
      assertThat(pending.path("state").asText()).isEqualTo("PENDING");
      assertThat(pending.path("last_error").asText()).isNotEmpty();
      assertThat(cordoned(node("host-a"))).isFalse();

      api.up();
      awaitCordoned("host-a");
      JsonNode done =
          awaitNodeAction("host-a", "CORDON", a1 -> a1.path("state").asText().equals("DONE"));
      assertThat(done.path("result").asText()).contains("host-a=CHANGED");
      assertThat(done.path("last_error").isNull()).isTrue();
      // the host stayed failed the whole time: no further status change was needed for the retry
      assertThat(vouch.monitor().registry().get("host-a").orElseThrow().status())
          .isEqualTo(HostStatus.ATTESTATION_FAILED);
    }
  }

  /** The host's one node action of {@code kind} (the trust label has its own) once it fits. */
  private JsonNode awaitNodeAction(String id, String kind, Predicate<JsonNode> p) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      last = http.get("/api/v1/hosts/" + id, true).json().path("node_actions");
      List<JsonNode> ofKind = new java.util.ArrayList<>();
      last.forEach(
          a1 -> {
            if (a1.path("kind").asText().equals(kind)) {
              ofKind.add(a1);
            }
          });
      if (ofKind.size() == 1 && p.test(ofKind.get(0))) {
        return ofKind.get(0);
      }
      Thread.sleep(200);
    }
    throw new AssertionError("host " + id + " node actions: " + last);
  }

  @Test
  void strictModeCountsOnlyApprovedFlavorsAndRefusesANewBootsMeasurements() throws Exception {
    startServer("strict");
    SwtpmHost a = host("host-a", SwtpmHost.SECURE_BOOT_LOG);
    // nothing approved yet: the platform part is required and missing
    Host first = awaitStatus("host-a", HostStatus.ATTESTATION_FAILED, h -> true);
    assertThat(auditActions("host-a")).containsExactly("REFUSED");

    TestServers.Reply made =
        http.post(
            "/api/v1/hosts/host-a/flavors", "{\"parts\":[\"PLATFORM\",\"HOST_UNIQUE\"]}", true);
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    http.post("/api/v1/hosts/host-a/attest", "", true);
    Host verified = awaitNewReport("host-a", HostStatus.VERIFIED, first.lastReportId());

    a.rebootIntoChangedFirmware();
    awaitNewReport("host-a", HostStatus.ATTESTATION_FAILED, verified.lastReportId());
    assertThat(auditActions("host-a")).containsExactly("REFUSED", "REFUSED");
    JsonNode flavors = http.get("/api/v1/flavors?retired=true", true).json().path("flavors");
    assertThat(flavors).extracting(f -> f.path("origin").asText()).containsOnly("HOST");
    assertThat(vouch.monitor().registry().history("host-a").getLast().reasons())
        .anySatisfy(r -> assertThat(r).contains("PLATFORM"));
    awaitCordoned("host-a");
  }

  @Test
  void twoFlavorGroupsJudgeEachHostByItsOwnGroupsFlavorsUnderItsOwnMatchPolicy() throws Exception {
    startServer("strict");
    putGroup("gold", "ANY_OF");
    putGroup("silver", "ALL_OF");
    SwtpmHost a = host("host-a", SwtpmHost.SECURE_BOOT_LOG);
    SwtpmHost b = host("host-b", SwtpmHost.SECURE_BOOT_LOG);
    assertThat(http.put("/api/v1/hosts/host-a/flavor-groups/gold", "", true).status())
        .isEqualTo(200);
    assertThat(http.put("/api/v1/hosts/host-b/flavor-groups/silver", "", true).status())
        .isEqualTo(200);
    awaitStatus("host-a", HostStatus.ATTESTATION_FAILED, h -> true);
    Host firstB = awaitStatus("host-b", HostStatus.ATTESTATION_FAILED, h -> true);
    // host-b's firmware differs from host-a's: one more event in PCR 1
    b.rebootIntoChangedFirmware("silver-config");
    awaitNewReport("host-b", HostStatus.ATTESTATION_FAILED, firstB.lastReportId());

    String flavorA = madePlatformFlavor("host-a", "gold");
    String flavorB = madePlatformFlavor("host-b", "silver");
    JsonNode gold = http.get("/api/v1/flavor-groups/gold", true).json();
    assertThat(gold.path("flavors")).extracting(JsonNode::asText).containsExactly(flavorA);
    assertThat(gold.path("hosts")).extracting(JsonNode::asText).containsExactly("host-a");
    http.post("/api/v1/hosts/host-a/attest", "", true);
    http.post("/api/v1/hosts/host-b/attest", "", true);
    awaitReport("host-a", r -> evaluated(r).contains(flavorA));
    awaitReport("host-b", r -> evaluated(r).contains(flavorB));
    Host verifiedA = awaitStatus("host-a", HostStatus.VERIFIED, h -> true);
    Host verifiedB = awaitStatus("host-b", HostStatus.VERIFIED, h -> true);
    // each host was judged by its own group's flavor alone
    assertThat(evaluated(lastReport("host-a"))).containsExactly(flavorA);
    assertThat(evaluated(lastReport("host-b"))).containsExactly(flavorB);

    // silver matches ALL_OF: host-a's flavor in silver fails host-b; gold (ANY_OF) is untouched
    assertThat(http.put("/api/v1/flavor-groups/silver/flavors/" + flavorA, "", true).status())
        .isEqualTo(200);
    awaitNewReport("host-b", HostStatus.ATTESTATION_FAILED, verifiedB.lastReportId());
    assertThat(evaluated(lastReport("host-b"))).containsExactlyInAnyOrder(flavorA, flavorB);
    assertThat(vouch.monitor().registry().get("host-a").orElseThrow().status())
        .isEqualTo(HostStatus.VERIFIED);

    // the other group's flavor does not count: without flavorA in gold, host-a has no PLATFORM
    // flavor although flavorA still matches it and sits in silver
    assertThat(http.delete("/api/v1/flavor-groups/gold/flavors/" + flavorA, true).status())
        .isEqualTo(204);
    Host failedA =
        awaitNewReport("host-a", HostStatus.ATTESTATION_FAILED, verifiedA.lastReportId());
    assertThat(evaluated(lastReport("host-a"))).doesNotContain(flavorA, flavorB);
    assertThat(vouch.monitor().registry().history("host-a").getLast().reasons())
        .anySatisfy(r -> assertThat(r).contains("PLATFORM"));

    // a host in two groups must satisfy both: gold holds flavorA again, silver fails host-a
    assertThat(http.put("/api/v1/hosts/host-a/flavor-groups/silver", "", true).status())
        .isEqualTo(200);
    http.put("/api/v1/flavor-groups/gold/flavors/" + flavorA, "", true);
    JsonNode both = awaitReport("host-a", r -> evaluated(r).containsAll(List.of(flavorA, flavorB)));
    assertThat(both.path("status").asText()).isEqualTo("ATTESTATION_FAILED");
    assertThat(both.path("trust_information").path("OVERALL").asBoolean()).isFalse();
    assertThat(http.get("/api/v1/hosts/host-a", true).json().path("flavor_groups").toString())
        .contains("gold", "silver");
    assertThat(http.delete("/api/v1/hosts/host-a/flavor-groups/silver", true).status())
        .isEqualTo(204);
    awaitNewReport("host-a", HostStatus.VERIFIED, failedA.lastReportId());
    assertThat(evaluated(lastReport("host-a"))).containsExactly(flavorA);
    // a group hosts are judged by cannot be deleted from under them
    assertThat(http.delete("/api/v1/flavor-groups/gold", true).status()).isEqualTo(409);
  }

  private void putGroup(String name, String platformMatch) {
    TestServers.Reply r =
        http.put(
            "/api/v1/flavor-groups/" + name,
            "{\"PLATFORM\":{\"match_type\":\"" + platformMatch + "\",\"required\":\"REQUIRED\"}}",
            true);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  private String madePlatformFlavor(String host, String group) {
    TestServers.Reply made =
        http.post(
            "/api/v1/hosts/" + host + "/flavors",
            "{\"parts\":[\"PLATFORM\"],\"flavor_groups\":[\"" + group + "\"]}",
            true);
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    String id = made.json().path("flavors").get(0).path("id").asText();
    assertThat(http.get("/api/v1/flavors/" + id, true).json().path("flavor_groups"))
        .extracting(JsonNode::asText)
        .containsExactly(group);
    return id;
  }

  /** The payload of the host's last signed report. */
  private JsonNode lastReport(String host) throws Exception {
    String id = vouch.monitor().registry().get(host).orElseThrow().lastReportId().orElseThrow();
    String jws = http.get("/api/v1/reports/" + id, true).json().path("jws").asText();
    return TestServers.JSON.readTree(Base64.getUrlDecoder().decode(jws.split("\\.")[1]));
  }

  private JsonNode awaitReport(String host, Predicate<JsonNode> wanted) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode r = null;
    while (System.nanoTime() < deadline) {
      if (vouch.monitor().registry().get(host).orElseThrow().lastReportId().isPresent()) {
        r = lastReport(host);
        if (wanted.test(r)) {
          return r;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no such report of " + host + "; last: " + r);
  }

  /** The ids of the flavors a report evaluated. */
  private static List<String> evaluated(JsonNode report) {
    List<String> out = new ArrayList<>();
    report.path("flavors").forEach(f -> out.add(f.path("flavor_id").asText()));
    return out;
  }

  @Test
  void aLoggedExtraEventInPcr1FailsTheHostWithAFaultNamingTheEvent() throws Exception {
    startServer("strict");
    SwtpmHost a = host("host-a", SwtpmHost.SECURE_BOOT_LOG);
    Host first = awaitStatus("host-a", HostStatus.ATTESTATION_FAILED, h -> true);
    TestServers.Reply made =
        http.post(
            "/api/v1/hosts/host-a/flavors", "{\"parts\":[\"PLATFORM\",\"HOST_UNIQUE\"]}", true);
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    http.post("/api/v1/hosts/host-a/attest", "", true);
    Host verified = awaitNewReport("host-a", HostStatus.VERIFIED, first.lastReportId());

    // the extra event comes after every event of the measured log
    int extraIndex;
    try (java.io.InputStream in = SwtpmHost.class.getResourceAsStream(SwtpmHost.SECURE_BOOT_LOG)) {
      extraIndex =
          dev.vouch.evidence.tpm.eventlog.TcgEventLog.parse(in.readAllBytes()).events().size();
    }
    a.rebootIntoChangedFirmware("evil-config");
    Host failed = awaitNewReport("host-a", HostStatus.ATTESTATION_FAILED, verified.lastReportId());
    // the signed report itself, checked with the JDK alone, carries the fault
    String jws =
        http.get("/api/v1/reports/" + failed.lastReportId().orElseThrow(), true)
            .json()
            .path("jws")
            .asText();
    JsonNode report = verifyWithJdkOnly(jws, pem(http.get("/api/v1/reports/ca", false).body()));
    List<JsonNode> faults = new ArrayList<>();
    report.findValues("faults").forEach(list -> list.forEach(faults::add));
    JsonNode unexpected =
        faults.stream()
            .filter(
                f ->
                    f.path("fault_name")
                        .asText()
                        .equals("fault." + Fault.PCR_EVENT_LOG_CONTAINS_UNEXPECTED_ENTRIES))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no unexpected-entries fault in " + report));
    JsonNode event = unexpected.path("entries").path(0);
    assertThat(unexpected.path("entries")).hasSize(1);
    assertThat(event.path("index").asInt()).isEqualTo(extraIndex);
    assertThat(event.path("type_name").asText()).isEqualTo("EV_PLATFORM_CONFIG_FLAGS");
    assertThat(event.path("description").asText()).isEqualTo("evil-config");
    assertThat(event.path("measurement").asText())
        .isEqualTo(
            dev.vouch.core.bytes.Hex.encode(
                HashAlg.SHA256.digest("evil-config".getBytes(StandardCharsets.UTF_8))));
    assertThat(unexpected.path("description").asText())
        .contains("PCR 1", "#" + extraIndex, "\"evil-config\"");
  }

  @Test
  void anEventLogRuleExcludingAnEventTypePassesWhenOnlyAnEventOfThatTypeChanges() throws Exception {
    // PCR 1 judged by its events alone, EV_PLATFORM_CONFIG_FLAGS left out; the other PCRs as usual
    StringBuilder rules = new StringBuilder();
    for (int pcr : new int[] {0, 1, 2, 3, 6, 7}) {
      rules
          .append(rules.length() == 0 ? "" : ",")
          .append("{\"pcr\":{\"index\":")
          .append(pcr)
          .append(",\"bank\":[\"SHA256\"]},\"pcr_matches\":")
          .append(pcr != 1)
          .append(",\"eventlog_equals\":")
          .append(pcr == 1 ? "{\"excluding_types\":[\"EV_PLATFORM_CONFIG_FLAGS\"]}" : "{}")
          .append('}');
    }
    Path template =
        java.nio.file.Files.writeString(
            dir.resolve("pcr1-excluding.json"),
            "{\"label\":\"pcr1-excluding\",\"condition\":[\"tpm.version == '2.0'\"],"
                + "\"flavor_parts\":{\"PLATFORM\":{\"pcr_rules\":["
                + rules
                + "]}}}");
    startServer("strict", Optional.empty(), false, List.of(template));
    SwtpmHost a = host("host-a", SwtpmHost.SECURE_BOOT_LOG);
    Host first = awaitStatus("host-a", HostStatus.ATTESTATION_FAILED, h -> true);
    TestServers.Reply made =
        http.post("/api/v1/hosts/host-a/flavors", "{\"parts\":[\"PLATFORM\"]}", true);
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    http.post("/api/v1/hosts/host-a/attest", "", true);
    Host verified = awaitNewReport("host-a", HostStatus.VERIFIED, first.lastReportId());

    a.rebootIntoChangedFirmware("evil-config");
    Host after = awaitNewReport("host-a", HostStatus.VERIFIED, verified.lastReportId());
    assertThat(after.lastResetCount().getAsLong())
        .isGreaterThan(verified.lastResetCount().getAsLong());
    String jws =
        http.get("/api/v1/reports/" + after.lastReportId().orElseThrow(), true)
            .json()
            .path("jws")
            .asText();
    JsonNode report = verifyWithJdkOnly(jws, pem(http.get("/api/v1/reports/ca", false).body()));
    assertThat(report.toString()).contains("rule.PcrEventLogEqualsExcluding");
    assertThat(report.findValues("faults")).isEmpty();
  }

  @Test
  void aLogWhoseSecureBootVariableIsZeroGivesSecureBootDisabled() throws Exception {
    startServer("tofu");
    host("host-c", SwtpmHost.NO_SECURE_BOOT_LOG);
    Host c = awaitStatus("host-c", HostStatus.SECURE_BOOT_DISABLED, h -> true);
    JsonNode report = http.get("/api/v1/reports/" + c.lastReportId().orElseThrow(), true).json();
    assertThat(report.path("status").asText()).isEqualTo("SECURE_BOOT_DISABLED");
    awaitCordoned("host-c");
  }

  /**
   * The server's hosts.agent_tls_* files: a verifier client certificate and key {@code pki} issued,
   * and {@code pki}'s CA as the agents' CA.
   */
  private List<Path> verifierTlsFiles(TestPki pki) throws Exception {
    return verifierTlsFiles(pki, dir);
  }

  /**
   * The server's agent TLS files in {@code dir}: a client certificate {@code pki} issued, its key,
   * {@code pki}'s CA.
   */
  static List<Path> verifierTlsFiles(TestPki pki, Path dir) throws Exception {
    TestPki.Issued verifier = pki.issueTls("verifier");
    Path cert = pem(dir.resolve("verifier.crt"), verifier.certificate());
    Path key =
        java.nio.file.Files.writeString(
            dir.resolve("verifier.key"),
            "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(verifier.keys().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
    return List.of(cert, key, pem(dir.resolve("agents-ca.crt"), pki.certificate()));
  }

  @Test
  void anAgentServingHttpsIsAttestedOverMutualTlsAndAStrangerIsRefused() throws Exception {
    TestPki pki = TestPki.create("Vouch agents CA");
    startServer("tofu", Optional.of(verifierTlsFiles(pki)));
    SwtpmHost h =
        SwtpmHost.start("host-h", SwtpmHost.SECURE_BOOT_LOG, dir, vouch.enrollments(), nats.url());
    hosts.add(h);
    h.stopAgent(); // HTTPS only
    TestPki.Issued agentCert = pki.issueTls("agent host-h");
    String url =
        h.serveHttps(
            Tls.context(
                agentCert.keys().getPrivate(),
                List.of(agentCert.certificate()),
                List.of(pki.certificate())));
    TestServers.Reply r =
        http.post("/api/v1/hosts", "{\"id\":\"host-h\",\"connection\":\"" + url + "\"}", true);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    awaitStatus("host-h", HostStatus.VERIFIED, x -> true);

    // an agent whose certificate another CA issued is not believed, whatever it answers
    TestPki other = TestPki.create("Someone else's CA");
    TestPki.Issued stranger = other.issueTls("agent host-h");
    SwtpmHost impostor =
        SwtpmHost.start("host-i", SwtpmHost.SECURE_BOOT_LOG, dir, vouch.enrollments(), nats.url());
    hosts.add(impostor);
    impostor.stopAgent();
    String strangerUrl =
        impostor.serveHttps(
            Tls.context(
                stranger.keys().getPrivate(),
                List.of(stranger.certificate()),
                List.of(pki.certificate())));
    http.post("/api/v1/hosts", "{\"id\":\"host-i\",\"connection\":\"" + strangerUrl + "\"}", true);
    Host refused = awaitStatus("host-i", HostStatus.UNKNOWN, x -> true);
    assertThat(vouch.monitor().registry().history("host-i")).isEmpty();
    assertThat(refused.lastReportId()).isEmpty();
  }

  @Test
  void anAgentWithACmsCertificateFromItsBootstrapTokenIsAttestedUntilTheCertificateIsRevoked()
      throws Exception {
    // the verifier's client certificate comes from an operator's PKI the agent trusts; the agent's
    // server certificate from the CMS, which the server trusts without any file naming it
    TestPki pki = TestPki.create("Vouch verifier client CA");
    startServer("tofu", Optional.of(verifierTlsFiles(pki)));
    SwtpmHost h =
        SwtpmHost.start("host-c", SwtpmHost.SECURE_BOOT_LOG, dir, vouch.enrollments(), nats.url());
    hosts.add(h);
    h.stopAgent(); // HTTPS only

    // the agent's address is its CMS host id: the server checks the name it dials
    TestServers.Reply t =
        http.post("/api/v1/cms/bootstrap-tokens", "{\"host_id\":\"127.0.0.1\"}", true);
    assertThat(t.status()).as(t.body()).isEqualTo(201);
    java.security.KeyPair agentKeys = dev.vouch.server.cms.Csrs.p256();
    org.bouncycastle.pkcs.PKCS10CertificationRequest csr =
        new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
                new org.bouncycastle.asn1.x500.X500Name("CN=127.0.0.1"), agentKeys.getPublic())
            .addAttribute(
                org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.pkcs_9_at_extensionRequest,
                new org.bouncycastle.asn1.x509.Extensions(
                    new org.bouncycastle.asn1.x509.Extension(
                        org.bouncycastle.asn1.x509.Extension.subjectAlternativeName,
                        false,
                        new org.bouncycastle.asn1.x509.GeneralNames(
                                new org.bouncycastle.asn1.x509.GeneralName(
                                    org.bouncycastle.asn1.x509.GeneralName.iPAddress, "127.0.0.1"))
                            .getEncoded())))
            .build(
                new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA")
                    .build(agentKeys.getPrivate()));
    java.net.http.HttpResponse<String> issued =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        vouch.baseUri().resolve("/api/v1/cms/certificates"))
                    .header("Authorization", "Bearer " + t.json().get("token").asText())
                    .header("Content-Type", "application/pkcs10")
                    .POST(
                        java.net.http.HttpRequest.BodyPublishers.ofString(
                            dev.vouch.server.cms.Csrs.pem(csr)))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
    List<java.security.cert.X509Certificate> chain =
        dev.vouch.server.cms.CmsTest.parseChain(issued.body());
    String url =
        h.serveHttps(
            Tls.context(agentKeys.getPrivate(), chain.subList(0, 2), List.of(pki.certificate())));
    TestServers.Reply r =
        http.post("/api/v1/hosts", "{\"id\":\"host-c\",\"connection\":\"" + url + "\"}", true);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    awaitStatus("host-c", HostStatus.VERIFIED, x -> true);

    // revoked: the next handshake is refused, the host is not believed any more
    String serial = chain.get(0).getSerialNumber().toString(16);
    assertThat(http.post("/api/v1/cms/certificates/" + serial + "/revoke", "", true).status())
        .isEqualTo(200);
    http.post("/api/v1/hosts/host-c/attest", "", true);
    awaitStatus(
        "host-c",
        HostStatus.UNKNOWN,
        x ->
            vouch
                .monitor()
                .registry()
                .history("host-c")
                .getLast()
                .reasons()
                .toString()
                .contains("is revoked"));
  }

  @Test
  void imaFlavorsJudgeTheFileMeasurementsTheQuotedPcr10Covers() throws Exception {
    Path template =
        java.nio.file.Files.writeString(
            dir.resolve("ima-template.json"),
            """
            {"label": "tpm2-with-ima", "condition": ["tpm.version == '2.0'"],
             "flavor_parts": {
               "PLATFORM": {"pcr_rules": [
                 {"pcr": {"index": 0, "bank": ["SHA256"]}, "pcr_matches": true},
                 {"pcr": {"index": 7, "bank": ["SHA256"]}, "pcr_matches": true}]},
               "IMA": {"meta": {"vendor": "Linux"}, "pcr_rules": []}}}
            """);
    startServer("tofu", Optional.empty(), true, List.of(template));
    SwtpmHost m =
        SwtpmHost.start(
            "host-m",
            SwtpmHost.SECURE_BOOT_LOG,
            Optional.of(SwtpmHost.IMA_LIST),
            dir,
            vouch.enrollments(),
            nats.url());
    hosts.add(m);
    http.post("/api/v1/hosts", "{\"id\":\"host-m\",\"connection\":\"nats\"}", true);
    Host first = awaitStatus("host-m", HostStatus.VERIFIED, h -> true);

    // the administrator takes the host's files as the IMA baseline
    TestServers.Reply made =
        http.post("/api/v1/hosts/host-m/flavors", "{\"parts\":[\"IMA\"]}", true);
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    String imaId = made.json().path("flavors").get(0).path("id").asText();
    JsonNode signed = http.get("/api/v1/flavors/" + imaId, true).json().path("signed");
    assertThat(signed.toString()).contains("boot_aggregate");
    http.post("/api/v1/hosts/host-m/attest", "", true);
    Host withIma = awaitNewReport("host-m", HostStatus.VERIFIED, first.lastReportId());

    // a second IMA baseline that expects another digest for one file: ALL_OF now fails
    Flavor baseline = FlavorJson.readSigned(signed).flavor();
    List<ImaMeasurement> files = new ArrayList<>(baseline.ima().orElseThrow());
    files.set(files.size() - 1, new ImaMeasurement(files.getLast().file(), "ee".repeat(32)));
    FlavorMeta m0 = baseline.meta();
    Flavor other =
        new Flavor(
            new FlavorMeta(
                java.util.UUID.randomUUID(),
                m0.part(),
                m0.label(),
                m0.vendor(),
                m0.description(),
                m0.schemaUri()),
            baseline.pcrs(),
            Optional.of(files),
            baseline.sections());
    String changed = FlavorJson.writeSigned(SignedFlavor.unsigned(other)).toString();
    TestServers.Reply imported = http.post("/api/v1/flavors?unsigned=true", changed, true);
    assertThat(imported.status()).as(imported.body()).isEqualTo(201);
    http.post("/api/v1/hosts/host-m/attest", "", true);
    awaitNewReport("host-m", HostStatus.ATTESTATION_FAILED, withIma.lastReportId());
    assertThat(vouch.monitor().registry().history("host-m").getLast().reasons())
        .anySatisfy(r -> assertThat(r).startsWith("IMA"));
  }

  @Test
  void approvedFlavorsMakeTofuRefuseATamperedRebootAndABrokenAgentKeepsTheFailure()
      throws Exception {
    startServer("tofu");
    SwtpmHost a = host("host-a", SwtpmHost.SECURE_BOOT_LOG);
    Host first = awaitStatus("host-a", HostStatus.VERIFIED, h -> true);
    // the administrator approves this platform's measurements (shared PLATFORM flavor)
    TestServers.Reply made =
        http.post("/api/v1/hosts/host-a/flavors", "{\"parts\":[\"PLATFORM\"]}", true);
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    http.post("/api/v1/hosts/host-a/attest", "", true);
    Host approved = awaitNewReport("host-a", HostStatus.VERIFIED, first.lastReportId());

    Host failed;
    try (StatusEvents events = StatusEvents.of(nats.url(), "host-a")) {
      a.rebootIntoChangedFirmware();
      failed = awaitNewReport("host-a", HostStatus.ATTESTATION_FAILED, approved.lastReportId());
      JsonNode changed = events.await(e -> e.path("event").asText().equals("baseline-changed"));
      assertThat(changed.path("current").asText()).isEqualTo("ATTESTATION_FAILED");
      assertThat(changed.path("baseline").path("adopted").asBoolean()).isFalse();
      assertBaselineNamesTheFirmwareSettingEvent(changed.path("baseline"));
    }
    assertThat(auditActions("host-a")).containsExactly("ADOPTED", "REFUSED");
    assertThat(lastAudit("host-a").path("reason").asText())
        .contains("match no administrator-approved PLATFORM flavor", "SHA256 PCR 1");
    assertThat(vouch.monitor().registry().history("host-a").getLast().reasons())
        .first()
        .asString()
        .startsWith("golden-refused: ");
    JsonNode report =
        http.get("/api/v1/reports/" + failed.lastReportId().orElseThrow(), true).json();
    assertThat(report.path("status").asText()).isEqualTo("ATTESTATION_FAILED");
    assertThat(report.path("overall").asBoolean()).isFalse();
    awaitCordoned("host-a");

    // the failed host breaks its own agent: it stays failed, with its failed report and cordon
    a.stopAgent();
    http.post("/api/v1/hosts/host-a/attest", "", true);
    Host broken =
        awaitStatus(
            "host-a",
            HostStatus.ATTESTATION_FAILED,
            h ->
                vouch
                    .monitor()
                    .registry()
                    .history("host-a")
                    .getLast()
                    .reasons()
                    .toString()
                    .contains("agent-unreachable"));
    assertThat(broken.lastReportId()).isEqualTo(failed.lastReportId());
    assertThat(vouch.monitor().registry().history("host-a").getLast().reasons())
        .singleElement()
        .asString()
        .startsWith("agent-unreachable: ");
    assertThat(cordoned(node("host-a"))).isTrue();
    // and again: nothing changes, no status row is added
    int rows = vouch.monitor().registry().history("host-a").size();
    http.post("/api/v1/hosts/host-a/attest", "", true);
    awaitStatus(
        "host-a",
        HostStatus.ATTESTATION_FAILED,
        h -> h.lastAttested().get().isAfter(broken.lastAttested().get()));
    assertThat(vouch.monitor().registry().history("host-a")).hasSize(rows);
    assertThat(vouch.monitor().registry().get("host-a").orElseThrow().lastReportId())
        .isEqualTo(failed.lastReportId());
    assertThat(cordoned(node("host-a"))).isTrue();
  }

  /**
   * The attack of issue 11: a host without Secure Boot edits the SecureBoot variable's data in its
   * event log (digests untouched, so every PCR still replays). It must not be VERIFIED.
   */
  @Test
  void aSecureBootVariableWithOneChangedDataByteIsNotVerified() throws Exception {
    startServer("tofu");
    SwtpmHost f =
        SwtpmHost.startWithEditedLog(
            "host-c",
            SwtpmHost.NO_SECURE_BOOT_LOG,
            SwtpmHost::withSecureBootByteChanged,
            dir,
            vouch.enrollments(),
            nats.url());
    hosts.add(f);
    TestServers.Reply r =
        http.post("/api/v1/hosts", "{\"id\":\"host-c\",\"connection\":\"nats\"}", true);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    Host c = awaitAttested("host-c");
    assertThat(c.status()).isNotEqualTo(HostStatus.VERIFIED);
    assertThat(c.status()).isEqualTo(HostStatus.ATTESTATION_FAILED);
    assertThat(vouch.monitor().registry().history("host-c").getLast().reasons())
        .anySatisfy(reason -> assertThat(reason).startsWith("EVENT_DIGEST_MISMATCH"));
    awaitCordoned("host-c");
  }

  private Host awaitAttested(String id) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Host h = null;
    while (System.nanoTime() < deadline) {
      h = vouch.monitor().registry().get(id).orElseThrow();
      if (h.lastAttested().isPresent()) {
        return h;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("host " + id + " was not attested: " + h);
  }

  private JsonNode lastAudit(String id) {
    JsonNode audit = http.get("/api/v1/hosts/" + id, true).json().path("golden_audit");
    return audit.get(audit.size() - 1);
  }

  /**
   * The reboot of {@link SwtpmHost#rebootIntoChangedFirmware} added one EV_PLATFORM_CONFIG_FLAGS
   * event to PCR 1; its digest is computed here from the event data, independently of the server.
   */
  private static void assertBaselineNamesTheFirmwareSettingEvent(JsonNode baseline) {
    String digest =
        dev.vouch.core.bytes.Hex.encode(
            dev.vouch.core.crypto.HashAlg.SHA256.digest(
                "vouch test: firmware setting changed".getBytes(StandardCharsets.UTF_8)));
    assertThat(baseline.path("pcrs")).hasSize(1);
    JsonNode pcr1 = baseline.path("pcrs").get(0);
    assertThat(pcr1.path("bank").asText()).isEqualTo("SHA256");
    assertThat(pcr1.path("pcr").asInt()).isEqualTo(1);
    assertThat(pcr1.path("events_known").asBoolean()).isTrue();
    assertThat(pcr1.path("events_added")).hasSize(1);
    assertThat(pcr1.path("events_added").get(0).path("type").asText())
        .isEqualTo("EV_PLATFORM_CONFIG_FLAGS");
    assertThat(pcr1.path("events_added").get(0).path("digest").asText()).isEqualTo(digest);
    assertThat(pcr1.path("events_added").get(0).path("description").asText())
        .isEqualTo("vouch test: firmware setting changed");
    assertThat(pcr1.path("events_added").get(0).path("index").isInt()).isTrue();
    assertThat(pcr1.path("events_removed")).isEmpty();
    assertThat(baseline.path("reset_count").asLong())
        .isGreaterThan(baseline.path("previous_reset_count").asLong());
  }

  /** Status events of one host as published on NATS, collected from subscription on. */
  private static final class StatusEvents implements AutoCloseable {
    private final io.nats.client.Connection connection;
    private final io.nats.client.Subscription subscription;
    private final List<JsonNode> seen = new ArrayList<>();

    private StatusEvents(io.nats.client.Connection c, io.nats.client.Subscription s) {
      this.connection = c;
      this.subscription = s;
    }

    static StatusEvents of(String url, String hostId) throws Exception {
      io.nats.client.Connection c = io.nats.client.Nats.connect(url);
      io.nats.client.Subscription s =
          c.subscribe(dev.vouch.server.actions.AttestationEvents.subjectFor(hostId));
      c.flush(Duration.ofSeconds(5));
      return new StatusEvents(c, s);
    }

    JsonNode await(Predicate<JsonNode> wanted) throws Exception {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        io.nats.client.Message m = subscription.nextMessage(Duration.ofMillis(200));
        if (m != null) {
          JsonNode e = TestServers.JSON.readTree(m.getData());
          seen.add(e);
          if (wanted.test(e)) {
            return e;
          }
        }
      }
      throw new AssertionError("no such status event; seen: " + seen);
    }

    @Override
    public void close() throws Exception {
      connection.close();
    }
  }

  static Path pem(Path file, Object object) throws Exception {
    try (java.io.Writer w = java.nio.file.Files.newBufferedWriter(file);
        org.bouncycastle.openssl.jcajce.JcaPEMWriter p =
            new org.bouncycastle.openssl.jcajce.JcaPEMWriter(w)) {
      p.writeObject(object);
    }
    return file;
  }

  private void awaitCordoned(String name) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (cordoned(node(name))) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("node " + name + " was not cordoned: " + node(name));
  }

  private static X509Certificate pem(String text) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(
                new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
  }

  /** RFC 7515 compact JWS, ES256 with x5c, checked with java.security only. */
  private static JsonNode verifyWithJdkOnly(String jws, X509Certificate ca) throws Exception {
    String[] parts = jws.split("\\.");
    assertThat(parts).hasSize(3);
    Base64.Decoder url = Base64.getUrlDecoder();
    JsonNode header = TestServers.JSON.readTree(url.decode(parts[0]));
    assertThat(header.path("alg").asText()).isEqualTo("ES256");
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> chain = new ArrayList<>();
    header
        .path("x5c")
        .forEach(
            c -> {
              try {
                chain.add(
                    (X509Certificate)
                        cf.generateCertificate(
                            new ByteArrayInputStream(Base64.getDecoder().decode(c.asText()))));
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            });
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX")
        .validate(cf.generateCertPath(chain.subList(0, chain.size() - 1)), params);
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initVerify(chain.get(0).getPublicKey());
    s.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(s.verify(url.decode(parts[2]))).isTrue();
    // one flipped bit in the payload must not verify
    byte[] payload = url.decode(parts[1]);
    payload[payload.length / 2] ^= 1;
    s.initVerify(chain.get(0).getPublicKey());
    s.update(
        (parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload))
            .getBytes(StandardCharsets.US_ASCII));
    assertThat(s.verify(url.decode(parts[2]))).isFalse();
    return TestServers.JSON.readTree(url.decode(parts[1]));
  }
}
