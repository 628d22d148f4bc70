package dev.vouch.evidence.cima;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A container event log: what a subject sees and what is redacted, the register it replays to, the
 * PCR 10 value of all its events, and strict reading of the document.
 */
class ContainerEventLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String POD_A = "0c2a5bd4-4f5e-4bd0-9c6f-3f1e8a2b7c11";
  private static final String POD_B = "9d1e7f60-1b2c-4d3e-8f90-a1b2c3d4e5f6";
  private static final String C1 = "a1".repeat(32);
  private static final String C3 = "c3".repeat(32);

  private static String pod(String uid, String scope) {
    return "/kubepods.slice/kubepods-pod" + uid.replace('-', '_') + ".slice/" + scope;
  }

  private static final CgroupListWriter WRITER =
      new CgroupListWriter("SHA-256")
          .ng("boot_aggregate")
          .cgpath("systemd", "/system.slice/containerd.service", "/usr/bin/containerd")
          .cgpath("shim", pod(POD_A, "cri-containerd-" + C1 + ".scope"), "/bin/sh")
          .cgpath("shim", pod(POD_B, "cri-containerd-" + C3 + ".scope"), "/bin/nginx")
          .violation("shim", pod(POD_A, "cri-containerd-" + C1 + ".scope"), "/tmp/x");

  private static ContainerEventLog logFor(String pod, String container, boolean showAll)
      throws Exception {
    ImaLog list = ImaLog.parse(WRITER.binary());
    return ContainerEventLog.of(
        list,
        ContainerAttribution.measure(list, Optional.empty()),
        new ContainerSubject(Optional.of(pod), Optional.of(container)),
        Optional.empty(),
        showAll);
  }

  @Test
  void aSubjectSeesItsPodAndTheHostAndOthersOnlyAsTemplateHashes() throws Exception {
    ContainerEventLog log = logFor(POD_A, C1, false);
    assertThat(log.events())
        .extracting(ContainerEventLog.Event::redacted)
        .containsExactly(false, false, false, true, false);
    assertThat(log.isolated()).isTrue();

    // register: zero, then SHA-256 of C1's template hash, then all-ones for the violation
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] r = new byte[32];
    md.update(r);
    md.update(WRITER.written().get(2).templateHash());
    r = md.digest();
    md.update(r);
    md.update(Hex.decode("ff".repeat(32)));
    r = md.digest();
    assertThat(Hex.encode(log.register())).isEqualTo(Hex.encode(r));
    assertThat(log.ownEvents()).isEqualTo(2);

    // the redacted entry still counts in PCR 10, so every subject replays the same value
    assertThat(log.replayPcr(10)).isEqualTo(logFor(POD_B, C3, false).replayPcr(10));
    assertThat(ContainerEventLog.parse(log.toJson())).usingRecursiveComparison().isEqualTo(log);
  }

  @Test
  void theCelFormKeepsEveryDigestAndMarksRedactedContent() throws Exception {
    var cel = JSON.readTree(logFor(POD_B, C3, false).toCelJson());
    assertThat(cel).hasSize(5);
    assertThat(cel.get(2).path("content").path("redacted").asBoolean()).isTrue();
    assertThat(cel.get(3).path("content").path("template_name").asText()).isEqualTo("ima-cgpath");
    assertThat(cel.get(2).path("digests").get(0).path("digest").asText())
        .isEqualTo(Hex.encode(WRITER.written().get(2).templateHash()));
  }

  @Test
  void aDocumentThatIsNotExactlyAnEventLogIsRefused() throws Exception {
    ObjectNode good = (ObjectNode) JSON.readTree(logFor(POD_A, C1, false).toJson());
    malformed(good, d -> d.put("extra", 1));
    malformed(good, d -> ((ObjectNode) d.path("events").get(1)).put("rec_num", 7));
    malformed(good, d -> ((ObjectNode) d.path("events").get(3)).put("template_name", "ima-ng"));
    malformed(good, d -> d.put("hash_algorithm", "md5"));
    malformed(good, d -> ((ObjectNode) d.path("subject")).put("pod", "not-a-uid"));
    malformed(
        good,
        d ->
            ((ObjectNode) ((ArrayNode) d.path("events").get(0).path("digests")).get(0))
                .put("digest", "ab"));
    malformed(good, d -> ((ObjectNode) d.path("events").get(0)).put("event", "%%%"));
    assertThatThrownBy(
            () -> ContainerEventLog.parse("{\"version\":1".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.MALFORMED);
  }

  @Test
  void aBaselineDigestThatIsNotTheHashOfItsProcessIsRefused() throws Exception {
    ImaLog list = ImaLog.parse(WRITER.binary());
    MeasurementPolicy policy =
        MeasurementPolicy.parse(
            "backend: ima\nhashAlgorithm: sha256\nmeasure:\n  system:\n    processes: [/usr/bin/kubelet]\n"
                .getBytes(StandardCharsets.UTF_8));
    ContainerEventLog log =
        ContainerEventLog.of(
            list,
            ContainerAttribution.measure(list, Optional.of(policy)),
            new ContainerSubject(Optional.of(POD_A), Optional.of(C1)),
            Optional.of(policy),
            false);
    assertThat(log.register())
        .isEqualTo(
            ContainerAttribution.measure(list, Optional.of(policy))
                .containers()
                .get(C1)
                .register());
    ObjectNode doc = (ObjectNode) JSON.readTree(log.toJson());
    ((ObjectNode) doc.path("baseline").path("processes").get(0)).put("process", "/usr/bin/other");
    assertThatThrownBy(() -> ContainerEventLog.parse(JSON.writeValueAsBytes(doc)))
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.TEMPLATE_HASH_MISMATCH);
  }

  private static void malformed(ObjectNode good, Consumer<ObjectNode> change) {
    ObjectNode d = good.deepCopy();
    change.accept(d);
    assertThatThrownBy(() -> ContainerEventLog.parse(JSON.writeValueAsBytes(d)))
        .as(d.toString())
        .isInstanceOf(VerificationException.class)
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.MALFORMED);
  }
}
