package dev.vouch.agent.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configfs-tsm file protocol over a temporary directory with a simulation of the kernel's side
 * (an entry is populated on mkdir; a write to inblob produces outblob and bumps generation).
 */
class TsmEvidenceProviderTest {
  @TempDir Path root;

  /** The kernel's behaviour, over real files. */
  static class SimulatedKernel implements TsmEvidenceProvider.Fs {
    final String provider;
    byte[] lastInblob;
    int extraWrites;
    boolean removed;

    SimulatedKernel(String provider) {
      this.provider = provider;
    }

    @Override
    public void mkdir(Path p) throws IOException {
      Files.createDirectory(p);
      Files.writeString(p.resolve("provider"), provider + "\n");
      Files.writeString(p.resolve("generation"), "0\n");
    }

    @Override
    public byte[] read(Path p) throws IOException {
      return Files.readAllBytes(p);
    }

    @Override
    public boolean exists(Path p) {
      return Files.exists(p);
    }

    @Override
    public void write(Path p, byte[] b) throws IOException {
      Files.write(p, b);
      if (p.getFileName().toString().equals("inblob")) {
        lastInblob = b.clone();
        Path dir = p.getParent();
        int gen = Integer.parseInt(Files.readString(dir.resolve("generation")).strip());
        Files.writeString(dir.resolve("generation"), (gen + 1 + extraWrites) + "\n");
        byte[] report = new byte[128];
        System.arraycopy(b, 0, report, 64, 64);
        Files.write(dir.resolve("outblob"), report);
        Files.write(dir.resolve("auxblob"), "certs".getBytes(StandardCharsets.US_ASCII));
      }
    }

    @Override
    public void rmdir(Path p) throws IOException {
      try (Stream<Path> s = Files.walk(p)) {
        s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
      }
      removed = true;
    }
  }

  @Test
  void tdxQuoteCarriesTheDigestZeroPaddedTo64BytesAndTheEntryIsRemoved() throws Exception {
    SimulatedKernel k = new SimulatedKernel("tdx_guest");
    Path ccel = Files.write(root.resolve("CCEL"), new byte[] {1, 2, 3});
    Path reports = Files.createDirectory(root.resolve("report"));
    byte[] digest = new byte[48];
    Arrays.fill(digest, (byte) 7);
    JsonNode ev = new TsmEvidenceProvider(reports, "tdx", Optional.of(ccel), k).evidence(digest);
    assertThat(k.lastInblob).hasSize(64);
    assertThat(Arrays.copyOf(k.lastInblob, 48)).isEqualTo(digest);
    assertThat(Arrays.copyOfRange(k.lastInblob, 48, 64)).containsOnly(0);
    byte[] quote = Base64.getDecoder().decode(ev.get("quote").asText());
    assertThat(Arrays.copyOfRange(quote, 64, 128)).isEqualTo(k.lastInblob);
    assertThat(ev.get("cc_eventlog").asText()).isEqualTo("AQID");
    assertThat(k.removed).isTrue();
    try (Stream<Path> left = Files.list(reports)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void snpReportIsSentAsBase64WithoutChain() throws Exception {
    SimulatedKernel k = new SimulatedKernel("sev_guest");
    Path reports = Files.createDirectory(root.resolve("report"));
    JsonNode ev =
        new TsmEvidenceProvider(reports, "snp", Optional.empty(), k).evidence(new byte[48]);
    assertThat(Base64.getDecoder().decode(ev.get("attestation_report").asText())).hasSize(128);
    assertThat(ev.get("cert_chain").isNull()).isTrue();
  }

  @Test
  void anotherProviderThanTheTeeIsRefused() throws Exception {
    SimulatedKernel k = new SimulatedKernel("sev_guest");
    Path reports = Files.createDirectory(root.resolve("report"));
    assertThatThrownBy(
            () ->
                new TsmEvidenceProvider(reports, "tdx", Optional.empty(), k).evidence(new byte[48]))
        .isInstanceOf(EvidenceException.class)
        .hasMessageContaining("sev_guest");
    assertThat(k.removed).isTrue();
  }

  @Test
  void aConcurrentWriterToTheEntryIsDetected() throws Exception {
    SimulatedKernel k = new SimulatedKernel("tdx_guest");
    k.extraWrites = 1;
    Path reports = Files.createDirectory(root.resolve("report"));
    assertThatThrownBy(
            () ->
                new TsmEvidenceProvider(reports, "tdx", Optional.empty(), k).evidence(new byte[48]))
        .isInstanceOf(EvidenceException.class)
        .hasMessageContaining("concurrently");
  }

  @Test
  void withoutConfigfsTheEntryCannotBeMade() {
    assertThat(TsmEvidenceProvider.available(root.resolve("absent"))).isFalse();
    assertThatThrownBy(
            () ->
                new TsmEvidenceProvider(root.resolve("absent"), "tdx", Optional.empty())
                    .evidence(new byte[48]))
        .isInstanceOf(EvidenceException.class)
        .hasMessageContaining("configfs-tsm");
  }
}
