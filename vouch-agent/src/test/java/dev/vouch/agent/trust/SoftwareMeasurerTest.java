package dev.vouch.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's software measurements on swtpm: the files of a manifest extended into PCR 15 with one
 * logged measurement each, sent with a quote that covers PCR 15, appended to within a boot and
 * started afresh after a reboot.
 */
class SoftwareMeasurerTest {
  @TempDir Path dir;

  private static byte[] sha256(String s) {
    return HashAlg.SHA256.digest(s.getBytes(StandardCharsets.UTF_8));
  }

  private static QuoteRequest request() {
    return new QuoteRequest(
        new byte[] {1, 2, 3},
        Map.of(HashAlg.SHA256, new TreeSet<>(List.of(SoftwareMeasurement.PCR))),
        false,
        OptionalLong.empty(),
        true);
  }

  @Test
  void theManifestsFilesAreExtendedIntoPcr15AndLoggedOneByOne() throws Exception {
    Path app = Files.createDirectories(dir.resolve("app/lib"));
    Files.writeString(app.resolve("b.so"), "library");
    Files.writeString(dir.resolve("app/a.bin"), "binary");
    Path manifest =
        Files.writeString(
            dir.resolve("manifest"),
            "# app\n" + dir.resolve("app") + "\n\n" + dir.resolve("gone") + "\n");
    Path log = dir.resolve("run/software.json");
    try (Swtpm swtpm = Swtpm.start();
        TpmClient tpm = swtpm.client()) {
      Enrollment enrollment = Enrollment.withDefaults(tpm);
      enrollment.prepare();
      PersistentKey ak = enrollment.ak();
      TrustAgent agent =
          new TrustAgent(
              new TrustAgentConfig("sw-1", dir.resolve("none"), dir.resolve("none"), dir)
                  .withSoftware(manifest, log),
              tpm,
              ak);
      assertThat(agent.measureSoftware()).isEqualTo(3);
      QuoteResponse r = agent.quote(request());
      List<SoftwareMeasurement> sent = r.software().orElseThrow();
      // directory entries in path order, then the missing file logged as absent
      assertThat(sent)
          .containsExactly(
              new SoftwareMeasurement(dir.resolve("app/a.bin").toString(), sha256("binary")),
              new SoftwareMeasurement(dir.resolve("app/lib/b.so").toString(), sha256("library")),
              new SoftwareMeasurement(dir.resolve("gone").toString(), SoftwareMeasurement.ABSENT));
      assertThat(sent.get(2).absent()).isTrue();
      byte[] quoted =
          r.evidence().pcrs().get(HashAlg.SHA256, SoftwareMeasurement.PCR).orElseThrow();
      assertThat(SoftwareMeasurement.replay(sent)).isEqualTo(quoted);
      // the response carries the log through JSON unchanged
      assertThat(QuoteResponse.parse(r.toJson()).software()).contains(sent);

      // started again in the same boot: measured again after the earlier ones
      Files.writeString(dir.resolve("app/a.bin"), "patched");
      assertThat(agent.measureSoftware()).isEqualTo(3);
      List<SoftwareMeasurement> again = agent.quote(request()).software().orElseThrow();
      assertThat(again).hasSize(6).startsWith(sent.toArray(SoftwareMeasurement[]::new));
      assertThat(again.get(3).sha256()).isEqualTo(sha256("patched"));
      assertThat(SoftwareMeasurement.replay(again))
          .isEqualTo(
              tpm.pcrRead(
                      List.of(
                          new dev.vouch.agent.tpm.PcrSelection(
                              HashAlg.SHA256, new TreeSet<>(List.of(SoftwareMeasurement.PCR)))))
                  .get(HashAlg.SHA256, SoftwareMeasurement.PCR)
                  .orElseThrow());

      // a reboot resets PCR 15: the kept log is of another boot and starts afresh
      swtpm.powerCycle();
      tpm.startup(StartupType.CLEAR);
      assertThat(agent.measureSoftware()).isEqualTo(3);
      assertThat(agent.quote(request()).software().orElseThrow()).hasSize(3);
      // a quote that does not ask for them carries none
      assertThat(
              agent
                  .quote(
                      new QuoteRequest(
                          new byte[] {4},
                          Map.of(HashAlg.SHA256, new TreeSet<>(List.of(0))),
                          false,
                          OptionalLong.empty()))
                  .software())
          .isEmpty();
    }
  }

  @Test
  void aManifestWithARelativePathIsRefused() throws Exception {
    Path manifest = Files.writeString(dir.resolve("manifest"), "opt/app\n");
    assertThatThrownBy(() -> SoftwareMeasurer.files(manifest))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("not an absolute path: opt/app");
  }
}
