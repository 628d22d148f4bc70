package dev.vouch.agent.measure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TransientKey;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.cima.ContainerAttribution;
import dev.vouch.evidence.cima.ContainerEvidenceVerifier;
import dev.vouch.evidence.cima.MeasurementPolicy;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's container acceptance test: an {@code ima-cgpath} list of three containers in two pods
 * plus host entries is extended into PCR 10 of a swtpm; the measurement service attributes it,
 * serves per-container registers equal to a fold written here, isolates callers by their cgroup
 * over the unix socket, and its evidence verifies with its binding, while altered evidence is
 * refused with a stable code.
 */
class ContainerMeasurementTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String POD_A = ContainerNode.POD_A;
  private static final String POD_B = ContainerNode.POD_B;
  private static final String C1 = ContainerNode.C1;
  private static final String C2 = ContainerNode.C2;
  private static final String C3 = ContainerNode.C3;
  private static final String BAD_POD_PATH = ContainerNode.BAD_POD_PATH;
  private static final String POLICY = ContainerNode.POLICY;
  private static final String C1_PATH = ContainerNode.C1_PATH;
  private static final String C3_PATH = ContainerNode.C3_PATH;

  @TempDir static Path tmp;
  static ContainerNode node;
  static TpmClient tpm;
  static TransientKey ak;
  static Path list;
  static MeasureServer server;
  static CgroupClients clients;

  private static byte[] file(String s) {
    return ContainerNode.file(s);
  }

  @BeforeAll
  static void start() throws Exception {
    Swtpm.requireTool("curl");
    Swtpm.requireTool("ss");
    node = ContainerNode.start(tmp);
    tpm = node.tpm;
    ak = node.ak;
    list = node.list;
    clients = CgroupClients.create(tmp);
    System.out.println(
        "ContainerMeasurementTest: callers in "
            + (clients.simulated() ? "a simulated /proc root" : "real cgroup v2 cgroups"));
    Path socket = tmp.resolve("measure.sock");
    server = MeasureServer.start(node.service, socket, new SockDiagPeers(socket), clients.proc());
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (clients != null) {
      clients.close();
    }
    if (node != null) {
      node.close();
    }
  }

  // ------------------------------------------------------------ independent fold

  private static byte[] sha256(byte[]... parts) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (byte[] p : parts) {
      md.update(p);
    }
    return md.digest();
  }

  /**
   * The baseline as the issue defines it, then {@code R = SHA-256(R || SHA-256(template data))}
   * over the entries whose template data names {@code cgroup}.
   */
  static String fold(Predicate<String> owns) throws Exception {
    byte[] r = new byte[32];
    r = sha256(r, sha256("/usr/bin/containerd".getBytes(StandardCharsets.UTF_8)));
    r =
        sha256(
            r,
            sha256(
                "/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml"
                    .getBytes(StandardCharsets.UTF_8)));
    for (ImaEntry e : ImaLog.parse(Files.readAllBytes(list)).entries()) {
      String data = new String(e.templateData(), StandardCharsets.ISO_8859_1);
      if (e.templateName().equals("ima-cgpath") && owns.test(data)) {
        r = sha256(r, sha256(e.templateData()));
      }
    }
    return Hex.encode(r);
  }

  private static JsonNode get(String cgroup, String target, int status) throws Exception {
    CgroupClients.Response r = clients.get(server.socket(), cgroup, target);
    assertThat(r.status()).as(target + " -> " + r.body()).isEqualTo(status);
    return JSON.readTree(r.body());
  }

  // ------------------------------------------------------------ tests

  @Test
  void attributesThreeContainersInTwoPodsWithRegistersEqualToAnIndependentFold() throws Exception {
    ContainerAttribution.Result r =
        ContainerAttribution.measure(
            ImaLog.parse(Files.readAllBytes(list)),
            Optional.of(MeasurementPolicy.parse(POLICY.getBytes(StandardCharsets.UTF_8))));
    assertThat(r.pods().get(POD_A).containers()).containsExactly(C1, C2);
    assertThat(r.pods().get(POD_B).containers()).containsExactly(C3);
    assertThat(r.hostEntries()).isEqualTo(2);
    assertThat(r.unattributed()).as("boot aggregate and a pod path without a uid").isEqualTo(2);

    // a node process names the subject
    for (String c : List.of(C1, C2, C3)) {
      JsonNode m = get("/system.slice/ops.service", "/v1/measurement?container=" + c, 200);
      assertThat(m.path("value").asText()).as(c).isEqualTo(fold(d -> d.contains(c)));
      assertThat(m.path("value").asText()).isEqualTo(Hex.encode(r.containers().get(c).register()));
    }
    JsonNode pod =
        get("/system.slice/ops.service", "/v1/measurement?register=pod&pod=" + POD_A, 200);
    assertThat(pod.path("value").asText())
        .isEqualTo(fold(d -> d.contains(POD_A.replace('-', '_'))));
    assertThat(pod.path("events").asInt()).isEqualTo(3);
  }

  @Test
  void aWorkloadSeesOnlyItsOwnPodOverTheSocket() throws Exception {
    JsonNode own = get(C3_PATH, "/v1/eventlog", 200);
    assertThat(own.path("subject").path("container").asText()).isEqualTo(C3);
    assertThat(own.path("subject").path("pod").asText()).isEqualTo(POD_B);
    List<String> shown = new ArrayList<>();
    int redacted = 0;
    for (JsonNode e : own.path("events")) {
      if (e.path("redacted").asBoolean()) {
        redacted++;
      } else {
        shown.add(
            new String(
                Base64.getDecoder().decode(e.path("event").asText()), StandardCharsets.ISO_8859_1));
      }
    }
    assertThat(own.path("events")).hasSize(9);
    assertThat(redacted).as("pod A's three entries and the unrecognisable one").isEqualTo(4);
    assertThat(shown).noneMatch(d -> d.contains(C1) || d.contains(C2) || d.contains("not_a_uid"));
    assertThat(shown).filteredOn(d -> d.contains(C3)).hasSize(2);

    // naming another pod's container, or the system register, is refused to a workload
    assertThat(get(C3_PATH, "/v1/eventlog?container=" + C1, 403).path("code").asText())
        .isEqualTo("FORBIDDEN");
    get(C3_PATH, "/v1/measurement?register=pod&pod=" + POD_A, 403);
    get(C3_PATH, "/v1/measurement?register=system", 403);
    // a process whose pod path carries no uid is not identified, so it gets nothing
    get(BAD_POD_PATH + "/cri-containerd-zz.scope", "/v1/eventlog", 403);

    // the same question from pod A's container answers pod A's entries
    JsonNode a = get(C1_PATH, "/v1/measurement", 200);
    assertThat(a.path("value").asText()).isEqualTo(fold(d -> d.contains(C1)));
    assertThat(a.path("events").asInt()).isEqualTo(2);

    // the CEL form carries the same events with the baseline first
    CgroupClients.Response cel = clients.get(server.socket(), C1_PATH, "/v1/eventlog?format=cel");
    assertThat(cel.status()).isEqualTo(200);
    JsonNode recs = JSON.readTree(cel.body());
    assertThat(recs).hasSize(2 + 9);
    assertThat(recs.get(0).path("content_type").asText()).isEqualTo("vouch_system_process");
    assertThat(recs.get(2).path("content_type").asText()).isEqualTo("ima_template");
    assertThat(recs.get(2).path("digests").get(0).path("hashAlg").asText()).isEqualTo("sha256");
  }

  @Test
  void containerEvidenceVerifiesWithItsBinding() throws Exception {
    byte[] nonce = Hex.decode("5e".repeat(32));
    JsonNode ev = get(C1_PATH, "/v1/evidence?nonce=" + Hex.encode(nonce), 200);
    VerifiedEvidence v =
        new ContainerEvidenceVerifier().verify(bytes(ev), Expectations.withNonce(nonce));
    assertThat(v.claims().get("container.id")).isEqualTo(C1);
    assertThat(v.claims().get("container.pod")).isEqualTo(POD_A);
    assertThat(v.claims().get("container.register")).isEqualTo(fold(d -> d.contains(C1)));
    assertThat(v.claims().get("container.events")).isEqualTo(2L);
    assertThat(v.claims().get("container.isolated")).isEqualTo(true);

    // a runtime policy built from the list passes the container's own entries
    RuntimePolicy all = RuntimePolicy.fromLog(ImaLog.parse(Files.readAllBytes(list)));
    assertThat(
            new ContainerEvidenceVerifier(
                    TpmEvidenceVerifier.trustingSuppliedAk(), Optional.of(all))
                .verify(bytes(ev), Expectations.withNonce(nonce))
                .claims()
                .get("container.appraised"))
        .isEqualTo(true);
  }

  @Test
  void alteredContainerEvidenceIsRefusedWithAStableCode() throws Exception {
    byte[] nonce = Hex.decode("a7".repeat(16));
    ObjectNode ev = (ObjectNode) get(C1_PATH, "/v1/evidence?nonce=" + Hex.encode(nonce), 200);
    ObjectNode foreign = (ObjectNode) get(C3_PATH, "/v1/evidence?nonce=" + Hex.encode(nonce), 200);

    byte[] other = nonce.clone();
    other[0] ^= 1;
    refused(bytes(ev), other, Failure.NONCE_MISMATCH);

    ObjectNode dropped = ev.deepCopy();
    events(dropped).remove(5); // C1's /app entry
    renumber(dropped);
    refused(bytes(dropped), nonce, Failure.EVENT_LOG_MISMATCH);

    ObjectNode reordered = ev.deepCopy();
    JsonNode second = events(reordered).get(2);
    events(reordered).set(2, events(reordered).get(5));
    events(reordered).set(5, second);
    renumber(reordered);
    refused(bytes(reordered), nonce, Failure.EVENT_LOG_MISMATCH);

    // pod B's log presented as pod A's container: it shows entries pod A may not see
    ObjectNode spliced = foreign.deepCopy();
    ((ObjectNode) spliced.path("eventlog").path("subject")).put("pod", POD_A).put("container", C1);
    refused(bytes(spliced), nonce, Failure.CONTAINER_MISMATCH);

    // a sibling's evidence claimed for another container of the same pod: the register differs
    ObjectNode sibling = ev.deepCopy();
    ((ObjectNode) sibling.path("eventlog").path("subject")).put("container", C2);
    refused(bytes(sibling), nonce, Failure.REPORT_DATA_MISMATCH);

    ObjectNode flipped = ev.deepCopy();
    ObjectNode quote = (ObjectNode) flipped.path("tpm").path("quotes").get(0);
    byte[] attest = Base64.getDecoder().decode(quote.path("attest").asText());
    attest[attest.length - 1] ^= 0x01; // the last byte of the quoted PCR digest
    quote.put("attest", Base64.getEncoder().encodeToString(attest));
    assertThatThrownBy(
            () ->
                new ContainerEvidenceVerifier()
                    .verify(bytes(flipped), Expectations.withNonce(nonce)))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.SIGNATURE_INVALID);

    ObjectNode tampered = ev.deepCopy();
    ObjectNode entry = (ObjectNode) events(tampered).get(2);
    byte[] data = Base64.getDecoder().decode(entry.path("event").asText());
    data[data.length - 2] ^= 0x01;
    entry.put("event", Base64.getEncoder().encodeToString(data));
    refused(bytes(tampered), nonce, Failure.TEMPLATE_HASH_MISMATCH);

    byte[] whole = bytes(ev);
    refused(java.util.Arrays.copyOf(whole, whole.length / 2), nonce, Failure.MALFORMED);

    // a runtime policy that does not know C1's /app names the entry
    RuntimePolicy withoutApp =
        RuntimePolicy.fromLog(
            ImaLog.parse(
                new ImaListWriter(HashAlg.SHA256, false)
                    .cgpath(10, "shim:runc", C1_PATH, "sha256", file("sh"), "/bin/sh")
                    .binary()));
    assertThatThrownBy(
            () ->
                new ContainerEvidenceVerifier(
                        TpmEvidenceVerifier.trustingSuppliedAk(), Optional.of(withoutApp))
                    .verify(bytes(ev), Expectations.withNonce(nonce)))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("/app")
        .hasMessageContaining("UNKNOWN_FILE")
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.POLICY_DENIED);
  }

  @Test
  void badRequestsAndABadNodeListGiveClearErrors() throws Exception {
    assertThat(get(C1_PATH, "/v1/evidence?nonce=xyz", 400).path("code").asText())
        .isEqualTo("MALFORMED");
    get(C1_PATH, "/v1/measurement?register=rtmr", 400);
    get(C1_PATH, "/v1/nothing", 404);
    get("/system.slice/ops.service", "/v1/measurement", 400); // a node names its subject

    // a policy whose algorithm is not the list's, and a truncated list, are the node's errors
    byte[] whole = Files.readAllBytes(list);
    Path truncated = tmp.resolve("truncated");
    Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length - 7));
    MeasurementService.Caller node = new MeasurementService.Caller.Node();
    MeasurementService.Request req =
        new MeasurementService.Request("/v1/measurement", Map.of("container", C1), "");
    MeasurementService.Reply r =
        new MeasurementService(truncated, Optional.empty(), tpm, ak).handle(req, node);
    assertThat(r.status()).isEqualTo(500);
    assertThat(JSON.readTree(r.body()).path("code").asText()).isIn("TRUNCATED", "MALFORMED");
    MeasurementPolicy sha384 =
        MeasurementPolicy.parse(
            POLICY.replace("sha256", "sha384").getBytes(StandardCharsets.UTF_8));
    r = new MeasurementService(list, Optional.of(sha384), tpm, ak).handle(req, node);
    assertThat(JSON.readTree(r.body()).path("code").asText()).isEqualTo("UNSUPPORTED");
    assertThat(JSON.readTree(r.body()).path("detail").asText()).contains("sha384");

    assertThatThrownBy(
            () ->
                MeasurementPolicy.parse((POLICY + "  extra: 1\n").getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(MeasurementPolicy.Invalid.class)
        .hasMessageContaining("line 9")
        .hasMessageContaining("extra");
  }

  // ------------------------------------------------------------ helpers

  private static ArrayNode events(ObjectNode evidence) {
    return (ArrayNode) evidence.path("eventlog").path("events");
  }

  private static void renumber(ObjectNode evidence) {
    int n = 0;
    for (JsonNode e : events(evidence)) {
      ((ObjectNode) e).put("rec_num", ++n);
    }
  }

  private static byte[] bytes(JsonNode n) throws Exception {
    return JSON.writeValueAsBytes(n);
  }

  private static void refused(byte[] evidence, byte[] nonce, Failure code) {
    assertThatThrownBy(
            () -> new ContainerEvidenceVerifier().verify(evidence, Expectations.withNonce(nonce)))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(code);
  }
}
