package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.RuntimeFaults;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.Host;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Incremental IMA verification, boot_aggregate and runtime appraisal end to end: an swtpm host
 * whose kernel (simulated: entries extended into SHA-256 PCR 10) keeps measuring files, its trust
 * agent over a real nats-server, and the server's monitoring with its H2 database.
 */
class ImaRuntimeEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(40);

  @TempDir Path dir;
  private NatsServer nats;
  private VouchServer vouch;
  private TestServers.Client http;
  private SwtpmHost host;

  @BeforeEach
  void start() throws Exception {
    nats = NatsServer.start();
    ServerConfig.Hosts h =
        new ServerConfig.Hosts(
            true,
            Duration.ofHours(1),
            Map.of(),
            Duration.ofSeconds(60),
            4,
            "tofu",
            Duration.ofDays(1),
            true,
            Duration.ofSeconds(10),
            Optional.of(nats.url()),
            Optional.empty(),
            false,
            Optional.empty(),
            false,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            List.of());
    vouch = VouchServer.start(TestServers.plain(dir.resolve("server")).withHosts(h));
    http = new TestServers.Client(vouch.baseUri());
  }

  @AfterEach
  void stop() throws Exception {
    if (vouch != null) {
      vouch.close();
    }
    if (host != null) {
      host.close();
    }
    nats.close();
  }

  private void register(SwtpmHost h) {
    host = h;
    TestServers.Reply r =
        http.post("/api/v1/hosts", "{\"id\":\"" + h.id + "\",\"connection\":\"nats\"}", true);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private Host awaitReport(String id, HostStatus status, Optional<String> previous)
      throws Exception {
    return await(id, status, h -> !h.lastReportId().equals(previous));
  }

  private Host await(String id, HostStatus status, Predicate<Host> also) throws Exception {
    return HostMonitoringEndToEndTest.awaitStatus(vouch, WAIT, id, status, also);
  }

  private Host attestAgain(String id, HostStatus status, Host before) throws Exception {
    http.post("/api/v1/hosts/" + id + "/attest", "", true);
    return awaitReport(id, status, before.lastReportId());
  }

  private JsonNode ima(String id) {
    TestServers.Reply r = http.get("/api/v1/hosts/" + id + "/ima", true);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  private byte[] hostList() throws Exception {
    return Files.readAllBytes(host.logFile.resolveSibling("ima"));
  }

  /** The signed report's payload (the JWS's middle part), as text. */
  private String reportPayload(Host h) {
    JsonNode r = http.get("/api/v1/reports/" + h.lastReportId().orElseThrow(), true).json();
    String jws = r.path("jws").asText();
    return new String(Base64.getUrlDecoder().decode(jws.split("\\.")[1]), StandardCharsets.UTF_8);
  }

  private static byte[] files(HashAlg templateHash, String... paths) {
    ImaListWriter w = new ImaListWriter(templateHash, false);
    for (String p : paths) {
      w.ng(10, "sha256", HashAlg.SHA256.digest(p.getBytes(StandardCharsets.UTF_8)), p);
    }
    return w.binary();
  }

  @Test
  void appendedEntriesAreVerifiedFromTheCheckpointAndAppraisedByTheHostsRuntimePolicy()
      throws Exception {
    register(
        SwtpmHost.start(
            "host-r",
            SwtpmHost.SECURE_BOOT_LOG,
            Optional.of(SwtpmHost.IMA_LIST),
            dir,
            vouch.enrollments(),
            nats.url()));
    Host first = await("host-r", HostStatus.VERIFIED, h -> true);
    ImaLog list = ImaLog.parse(hostList());
    int n = list.size();
    JsonNode state = ima("host-r");
    assertThat(state.path("entries").asLong()).isEqualTo(n);
    assertThat(state.path("boot_aggregate").asText()).isEqualTo("verified");
    assertThat(state.path("policy").isNull()).isTrue();
    assertThat(reportPayload(first)).contains(RuntimeFaults.BOOT_AGGREGATE_RULE);

    // the administrator stores a policy made from the host's files and assigns it
    byte[] policy = RuntimePolicy.fromLog(list).toKeylimeJson();
    TestServers.Reply put =
        http.put("/api/v1/runtime-policies/web", new String(policy, StandardCharsets.UTF_8), true);
    assertThat(put.status()).as(put.body()).isEqualTo(201);
    assertThat(put.json().path("version").asInt()).isEqualTo(1);
    TestServers.Reply assigned =
        http.put("/api/v1/hosts/host-r/runtime-policy", "{\"policy\":\"web\"}", true);
    assertThat(assigned.status()).as(assigned.body()).isEqualTo(200);
    Host withPolicy = attestAgain("host-r", HostStatus.VERIFIED, first);
    state = ima("host-r");
    assertThat(state.path("policy").asText()).isEqualTo("web@1");
    // a policy change re-appraises the list read again; it is no restart of verification
    assertThat(state.path("last_restart").isNull()).isTrue();
    assertThat(state.path("entries").asLong()).isEqualTo(n);
    assertThat(state.path("findings_total").asLong()).isZero();

    // entries before the checkpoint are never fetched again: a byte changed in an old entry's
    // file name on disk would fail a whole-list verification (template hash), not this one
    byte[] onDisk = hostList();
    int at = indexOf(onDisk, list.entries().get(n - 1).fileName().getBytes(StandardCharsets.UTF_8));
    onDisk[at + 1] ^= 0x01;
    Files.write(host.logFile.resolveSibling("ima"), onDisk);
    host.appendIma(files(list.templateHashAlg(), "/usr/bin/known-later", "/usr/bin/evil"));
    Host failed = attestAgain("host-r", HostStatus.ATTESTATION_FAILED, withPolicy);
    state = ima("host-r");
    assertThat(state.path("entries").asLong()).isEqualTo(n + 2);
    assertThat(state.path("last_restart").isNull()).isTrue();
    assertThat(state.path("findings_total").asLong()).isEqualTo(2);
    JsonNode evil = state.path("findings").get(1);
    assertThat(evil.path("entry").asInt()).isEqualTo(n + 2);
    assertThat(evil.path("path").asText()).isEqualTo("/usr/bin/evil");
    assertThat(evil.path("algorithm").asText()).isEqualTo("sha256");
    assertThat(evil.path("rule").asText()).isEqualTo("UNKNOWN_FILE");
    assertThat(evil.path("digest").asText())
        .isEqualTo(
            "sha256:"
                + dev.vouch.core.bytes.Hex.encode(
                    HashAlg.SHA256.digest("/usr/bin/evil".getBytes(StandardCharsets.UTF_8))));
    assertThat(vouch.monitor().registry().history("host-r").getLast().reasons())
        .anySatisfy(
            r ->
                assertThat(r)
                    .startsWith("IMA " + RuntimeFaults.RUNTIME_POLICY_VIOLATION)
                    .contains("entry " + (n + 1) + " /usr/bin/known-later"));
    assertThat(reportPayload(failed))
        .contains(RuntimeFaults.RUNTIME_POLICY_VIOLATION)
        .contains("/usr/bin/evil");

    // a new policy version that allows both files: the host is appraised afresh from entry 0,
    // which now meets the changed old entry and fails on its template hash
    RuntimePolicy allowing =
        RuntimePolicy.fromLog(list)
            .withDigests(
                "/usr/bin/known-later",
                java.util.Set.of(
                    dev.vouch.core.bytes.Hex.encode(
                        HashAlg.SHA256.digest(
                            "/usr/bin/known-later".getBytes(StandardCharsets.UTF_8)))))
            .withDigests(
                "/usr/bin/evil",
                java.util.Set.of(
                    dev.vouch.core.bytes.Hex.encode(
                        HashAlg.SHA256.digest("/usr/bin/evil".getBytes(StandardCharsets.UTF_8)))));
    assertThat(
            http.put(
                    "/api/v1/runtime-policies/web",
                    new String(allowing.toKeylimeJson(), StandardCharsets.UTF_8),
                    true)
                .status())
        .isEqualTo(201);
    Host refetched = attestAgain("host-r", HostStatus.ATTESTATION_FAILED, failed);
    assertThat(vouch.monitor().registry().history("host-r").getLast().reasons())
        .anySatisfy(r -> assertThat(r).contains("TEMPLATE_HASH_MISMATCH"));
    // a failed check leaves no state: the next attestation starts from entry 0
    assertThat(http.get("/api/v1/hosts/host-r/ima", true).status()).isEqualTo(404);
    assertThat(refetched.lastReportId()).isNotEqualTo(failed.lastReportId());
  }

  @Test
  void aNewPolicyVersionKeepsTheCheckpointAndReappraisesEveryEntryUnderIt() throws Exception {
    register(
        SwtpmHost.start(
            "host-p",
            SwtpmHost.SECURE_BOOT_LOG,
            Optional.of(SwtpmHost.IMA_LIST),
            dir,
            vouch.enrollments(),
            nats.url()));
    Host first = await("host-p", HostStatus.VERIFIED, h -> true);
    ImaLog list = ImaLog.parse(hostList());
    int n = list.size();
    RuntimePolicy base = RuntimePolicy.fromLog(list);
    assertThat(
            http.put(
                    "/api/v1/runtime-policies/app",
                    new String(base.toKeylimeJson(), StandardCharsets.UTF_8),
                    true)
                .status())
        .isEqualTo(201);
    assertThat(
            http.put("/api/v1/hosts/host-p/runtime-policy", "{\"policy\":\"app\"}", true).status())
        .isEqualTo(200);
    Host v1 = attestAgain("host-p", HostStatus.VERIFIED, first);
    host.appendIma(files(list.templateHashAlg(), "/opt/app/new-release"));
    Host unknown = attestAgain("host-p", HostStatus.ATTESTATION_FAILED, v1);
    JsonNode state = ima("host-p");
    assertThat(state.path("entries").asLong()).isEqualTo(n + 1);
    assertThat(state.path("findings").get(0).path("entry").asInt()).isEqualTo(n + 1);
    long restarts = state.path("restart_count").asLong();

    // version 2 allows the new release: the old entries and the new one are appraised under it,
    // the checkpoint and the boot's state stay, and the host passes
    RuntimePolicy v2 =
        base.withDigests(
            "/opt/app/new-release",
            java.util.Set.of(
                dev.vouch.core.bytes.Hex.encode(
                    HashAlg.SHA256.digest(
                        "/opt/app/new-release".getBytes(StandardCharsets.UTF_8)))));
    assertThat(
            http.put(
                    "/api/v1/runtime-policies/app",
                    new String(v2.toKeylimeJson(), StandardCharsets.UTF_8),
                    true)
                .status())
        .isEqualTo(201);
    attestAgain("host-p", HostStatus.VERIFIED, unknown);
    state = ima("host-p");
    assertThat(state.path("policy").asText()).isEqualTo("app@2");
    assertThat(state.path("entries").asLong()).isEqualTo(n + 1);
    assertThat(state.path("findings_total").asLong()).isZero();
    assertThat(state.path("last_restart").isNull()).isTrue();
    assertThat(state.path("restart_count").asLong()).isEqualTo(restarts);
    assertThat(state.path("boot_aggregate").asText()).isEqualTo("verified");
  }

  @Test
  void aHostIsAppraisedByItsGroupsPolicyUntilItHasItsOwn() throws Exception {
    register(
        SwtpmHost.start(
            "host-g",
            SwtpmHost.SECURE_BOOT_LOG,
            Optional.of(SwtpmHost.IMA_LIST),
            dir,
            vouch.enrollments(),
            nats.url()));
    Host first = await("host-g", HostStatus.VERIFIED, h -> true);
    String group = vouch.monitor().registry().get("host-g").orElseThrow().group();
    ImaLog list = ImaLog.parse(hostList());
    String json = new String(RuntimePolicy.fromLog(list).toKeylimeJson(), StandardCharsets.UTF_8);
    assertThat(http.put("/api/v1/runtime-policies/fleet", json, true).status()).isEqualTo(201);
    assertThat(http.put("/api/v1/runtime-policies/mine", json, true).status()).isEqualTo(201);
    assertThat(
            http.put(
                    "/api/v1/host-groups/" + group + "/runtime-policy",
                    "{\"policy\":\"fleet\"}",
                    true)
                .status())
        .isEqualTo(200);
    Host byGroup = attestAgain("host-g", HostStatus.VERIFIED, first);
    assertThat(ima("host-g").path("policy").asText()).isEqualTo("fleet@1");
    assertThat(
            http.put("/api/v1/hosts/host-g/runtime-policy", "{\"policy\":\"mine\"}", true).status())
        .isEqualTo(200);
    Host own = attestAgain("host-g", HostStatus.VERIFIED, byGroup);
    assertThat(ima("host-g").path("policy").asText()).isEqualTo("mine@1");
    // removing the host's own assignment falls back to the group's
    assertThat(http.delete("/api/v1/hosts/host-g/runtime-policy", true).status()).isEqualTo(204);
    attestAgain("host-g", HostStatus.VERIFIED, own);
    JsonNode state = ima("host-g");
    assertThat(state.path("policy").asText()).isEqualTo("fleet@1");
    assertThat(state.path("last_restart").isNull()).isTrue();
  }

  @Test
  void aRebootDiscardsTheCheckpointAndTheNewBootsListIsVerifiedFromEntryZero() throws Exception {
    register(
        SwtpmHost.start(
            "host-b",
            SwtpmHost.SECURE_BOOT_LOG,
            Optional.of(SwtpmHost.IMA_LIST),
            dir,
            vouch.enrollments(),
            nats.url()));
    Host first = await("host-b", HostStatus.VERIFIED, h -> true);
    byte[] before = hostList();
    JsonNode state = ima("host-b");
    long reset = state.path("reset_count").asLong();
    ImaLog list = ImaLog.parse(before);
    // the new boot measures more files than the last one: the checkpoint's offset exists in it
    byte[] extra = files(list.templateHashAlg(), "/usr/bin/a", "/usr/bin/b", "/usr/bin/c");
    byte[] longer = new byte[before.length + extra.length];
    System.arraycopy(before, 0, longer, 0, before.length);
    System.arraycopy(extra, 0, longer, before.length, extra.length);
    io.nats.client.Connection listener = io.nats.client.Nats.connect(nats.url());
    io.nats.client.Subscription sub = listener.subscribe("vouch.host.host-b.status");
    listener.flush(Duration.ofSeconds(5));
    host.rebootWithIma(longer);
    Host after = awaitReport("host-b", HostStatus.VERIFIED, first.lastReportId());
    // the restart is published with its reason, beside (not instead of) status events
    JsonNode restart = null;
    for (io.nats.client.Message m = sub.nextMessage(WAIT);
        m != null;
        m = sub.nextMessage(Duration.ofSeconds(5))) {
      JsonNode e = new com.fasterxml.jackson.databind.ObjectMapper().readTree(m.getData());
      if (e.path("event").asText().equals("ima-restart")) {
        restart = e;
        break;
      }
    }
    listener.close();
    assertThat(restart).as("an ima-restart event on NATS").isNotNull();
    assertThat(restart.path("host_id").asText()).isEqualTo("host-b");
    assertThat(restart.path("current").asText()).isEqualTo("VERIFIED");
    assertThat(restart.path("ima_restart").path("reason").asText())
        .startsWith("reboot: reset/restart count");
    state = ima("host-b");
    assertThat(state.path("reset_count").asLong()).isGreaterThan(reset);
    assertThat(state.path("entries").asLong()).isEqualTo(list.size() + 3L);
    // same firmware, same first entries: the new boot's PCR 10 after them equals the checkpoint's,
    // so the new entries would replay; only the quote's reset count shows they are another boot's
    assertThat(state.path("last_restart").asText()).startsWith("reboot: reset/restart count");
    assertThat(state.path("boot_aggregate").asText()).isEqualTo("verified");

    // a shorter list after the next reboot: the agent answers from entry 0 itself
    host.rebootWithIma(list.prefix(5).toBinary());
    awaitReport("host-b", HostStatus.VERIFIED, after.lastReportId());
    state = ima("host-b");
    assertThat(state.path("entries").asLong()).isEqualTo(5);
    assertThat(state.path("last_restart").asText()).contains("shorter than the checkpoint");
  }

  @Test
  void aBootAggregateThatIsNotThisTpmsFailsTheHostWithItsOwnFault() throws Exception {
    register(
        SwtpmHost.startWithForeignBootAggregate(
            "host-x",
            SwtpmHost.SECURE_BOOT_LOG,
            SwtpmHost.IMA_LIST,
            dir,
            vouch.enrollments(),
            nats.url()));
    Host h = await("host-x", HostStatus.ATTESTATION_FAILED, x -> true);
    assertThat(vouch.monitor().registry().history("host-x").getLast().reasons())
        .anySatisfy(r -> assertThat(r).startsWith("IMA " + RuntimeFaults.BOOT_AGGREGATE_MISMATCH));
    assertThat(ima("host-x").path("boot_aggregate").asText()).isEqualTo("mismatch");
    assertThat(reportPayload(h)).contains(RuntimeFaults.BOOT_AGGREGATE_MISMATCH);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
