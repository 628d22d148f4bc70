package dev.vouch.agent.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.snp.AmdRoots;
import dev.vouch.evidence.snp.SnpCertTable;
import dev.vouch.evidence.snp.SnpClaims;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.snp.SnpProduct;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configfs-tsm file protocol over a temporary directory with a simulation of the kernel's side
 * (an entry is populated on mkdir; a write to inblob produces outblob and bumps generation).
 */
class TsmEvidenceProviderTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path root;

  /** The kernel's behaviour, over real files. */
  static class SimulatedKernel implements TsmEvidenceProvider.Fs {
    final String provider;
    byte[] lastInblob;
    int extraWrites;
    boolean removed;
    byte[] report;
    byte[] aux = new byte[0];

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
        byte[] out = report;
        if (out == null) {
          out = new byte[128];
          System.arraycopy(b, 0, out, 64, 64);
        }
        Files.write(dir.resolve("outblob"), out);
        Files.write(dir.resolve("auxblob"), aux);
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
  void snpReportIsSentAsBase64WithoutChainWhenTheHostSuppliesNone() throws Exception {
    SimulatedKernel k = new SimulatedKernel("sev_guest");
    Path reports = Files.createDirectory(root.resolve("report"));
    JsonNode ev =
        new TsmEvidenceProvider(reports, "snp", Optional.empty(), k).evidence(new byte[48]);
    assertThat(Base64.getDecoder().decode(ev.get("attestation_report").asText())).hasSize(128);
    assertThat(ev.get("cert_chain").isNull()).isTrue();
  }

  static final Path SNP = Path.of("../vouch-evidence/src/test/resources/vectors/sev-snp");
  static final Expectations AT =
      new Expectations(Optional.empty(), Instant.parse("2025-07-01T00:00:00Z"));

  /** The DER certificates of a PEM bundle, in order. */
  static List<byte[]> pem(byte[] bundle) throws Exception {
    List<byte[]> out = new ArrayList<>();
    for (Certificate c :
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(bundle))) {
      out.add(c.getEncoded());
    }
    return out;
  }

  /** A guest on a Milan host whose certificate table holds {@code vcek} and the ASK and ARK. */
  JsonNode snpEvidence(byte[] vcek) throws Exception {
    List<byte[]> askArk = pem(Files.readAllBytes(SNP.resolve("virtee-sev/cert_chain_milan")));
    SimulatedKernel k = new SimulatedKernel("sev_guest");
    k.report = Files.readAllBytes(SNP.resolve("trustee/test-report.bin"));
    k.aux =
        SnpCertTable.encode(
            List.of(
                SnpCertTable.entry("VCEK", vcek),
                SnpCertTable.entry("ASK", askArk.get(0)),
                SnpCertTable.entry("ARK", askArk.get(1))));
    Path reports = Files.createDirectories(root.resolve("report"));
    return new TsmEvidenceProvider(reports, "snp", Optional.empty(), k).evidence(new byte[64]);
  }

  @Test
  void snpEvidenceCarriesTheHostsCertificatesSoTheVerifierNeedsNoKds() throws Exception {
    byte[] vcek = Files.readAllBytes(SNP.resolve("trustee/test-vcek.der"));
    JsonNode ev = snpEvidence(vcek);
    assertThat(ev.get("cert_chain")).hasSize(3);
    assertThat(ev.at("/cert_chain/0/cert_type").asText()).isEqualTo("VCEK");
    assertThat(ev.at("/cert_chain/0/data")).hasSize(vcek.length);
    byte[] json = JSON.writeValueAsBytes(ev);
    // no collateral, no KDS: the VCEK came in the evidence, its chain ends at the pinned ARK
    VerifiedEvidence v = new SnpEvidenceVerifier().withoutRevocation().verify(json, AT);
    assertThat(v.claims().get(SnpClaims.PRODUCT)).isEqualTo("milan");
    ((ObjectNode) ev).putNull("cert_chain");
    assertThatThrownBy(
            () ->
                new SnpEvidenceVerifier()
                    .withoutRevocation()
                    .verify(JSON.writeValueAsBytes(ev), AT))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.COLLATERAL_MISSING));
  }

  @Test
  void theTablesChainIsStillCheckedAgainstThePinnedAmdRoots() throws Exception {
    byte[] vcek = Files.readAllBytes(SNP.resolve("trustee/test-vcek.der"));
    byte[] json = JSON.writeValueAsBytes(snpEvidence(vcek));
    // a verifier pinning only Genoa's roots: the Milan ARK the host sent does not become trusted
    byte[] genoa;
    try (var in =
        SnpEvidenceVerifier.class.getResourceAsStream(
            "/dev/vouch/evidence/snp/genoa_ask_ark_asvk.pem")) {
      genoa = in.readAllBytes();
    }
    SnpEvidenceVerifier genoaOnly =
        new SnpEvidenceVerifier(AmdRoots.of(Map.of(SnpProduct.GENOA, pem(genoa))))
            .withoutRevocation();
    assertThatThrownBy(() -> genoaOnly.verify(json, AT))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.CHAIN_UNTRUSTED));
    byte[] forged = vcek.clone();
    forged[40] ^= (byte) 0xff;
    byte[] tampered = JSON.writeValueAsBytes(snpEvidence(forged));
    assertThatThrownBy(() -> new SnpEvidenceVerifier().withoutRevocation().verify(tampered, AT))
        .isInstanceOfSatisfying(
            VerificationException.class,
            e -> assertThat(e.failure()).isEqualTo(Failure.CHAIN_UNTRUSTED));
  }

  @Test
  void aBrokenCertificateTableIsReportedNotDropped() throws Exception {
    SimulatedKernel k = new SimulatedKernel("sev_guest");
    k.aux = "certs".getBytes(StandardCharsets.US_ASCII);
    Path reports = Files.createDirectory(root.resolve("report"));
    assertThatThrownBy(
            () ->
                new TsmEvidenceProvider(reports, "snp", Optional.empty(), k).evidence(new byte[48]))
        .isInstanceOf(EvidenceException.class)
        .hasMessageContaining("auxblob");
    assertThat(k.removed).isTrue();
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
