package dev.vouch.evidence.snp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.evidence.Expectations;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The SEV-SNP vectors copied into test resources (see vectors/sev-snp/PROVENANCE.md). */
final class SnpSamples {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A time at which every sample's certificates are valid: the VLEK is valid only from 2024-12-10
   * to 2025-12-10 and the Genoa VCEK of the Trustee end-to-end evidence from 2025-05-27.
   */
  static final Instant AT = Instant.parse("2025-07-01T00:00:00Z");

  /**
   * Shared verifier: its cache is what a server keeps between requests. Without revocation,
   * explicitly: the vectors ship no AMD CRL (see SnpVectorTest for the default's refusal).
   */
  static final SnpEvidenceVerifier VERIFIER = new SnpEvidenceVerifier().withoutRevocation();

  private SnpSamples() {}

  /** One verifiable sample: the evidence file and the collateral it needs. */
  record Sample(String evidence, List<String> collateral) {
    byte[] evidenceBytes() {
      return bytes(evidence);
    }

    List<byte[]> collateralBytes() {
      List<byte[]> out = new ArrayList<>();
      for (String c : collateral) {
        out.add(bytes(c));
      }
      return out;
    }

    Expectations expectations() {
      return new Expectations(Optional.empty(), AT, collateralBytes());
    }

    @Override
    public String toString() {
      return evidence;
    }
  }

  /** The VEK (and chain) files that go with each report named in expected.json. */
  static final Map<String, List<String>> COLLATERAL =
      Map.of(
          "virtee-sev/report_milan.hex",
          List.of("virtee-sev/vcek_milan.der", "virtee-sev/cert_chain_milan"),
          "trustee/test-report.bin",
          List.of("trustee/test-vcek.der"),
          "trustee/test-vlek-report.bin",
          List.of("trustee/test-vlek.der"));

  /** Every sample of expected.json, plus Trustee's end-to-end evidence (VCEK inside). */
  static List<Sample> all() {
    List<Sample> out = new ArrayList<>();
    expected().fieldNames().forEachRemaining(n -> out.add(new Sample(n, COLLATERAL.get(n))));
    out.add(new Sample("trustee-e2e/evidence.json", List.of()));
    return out;
  }

  static JsonNode expected() {
    try {
      return JSON.readTree(bytes("expected.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] bytes(String path) {
    try (InputStream in = SnpSamples.class.getResourceAsStream("/vectors/sev-snp/" + path)) {
      if (in == null) {
        throw new IllegalStateException("missing test vector " + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
