package dev.vouch.evidence.azure;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.dcap.DcapQuoteVerifier;
import dev.vouch.evidence.dcap.IntelPki;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;

/** Trustee's Azure vTPM vectors (see resources/azure/MANIFEST.md) and the verifiers they pass. */
final class AzureVectors {
  private AzureVectors() {}

  static final ObjectMapper JSON = new ObjectMapper();

  /** Within the validity of every VCEK, ASK, ARK and PCK certificate the vectors carry. */
  static final Instant AT = Instant.parse("2025-07-01T00:00:00Z");

  /** The runtime data of the v0 and v1 vectors. */
  static final byte[] CHALLENGE = "challenge".getBytes(StandardCharsets.US_ASCII);

  /** The runtime data of az-snp-vtpm/evidence-v2.json (a SHA-384 digest). */
  static final byte[] V2_RUNTIME =
      HexFormat.of()
          .parseHex(
              "982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef");

  /** The runtime data of az-snp-vtpm/evidence-genoa.json. */
  static final byte[] GENOA_RUNTIME =
      HexFormat.of()
          .parseHex(
              "0218488bae25d2509232bf676f1a66a30d7372add909109b36016ef136f2938ca05475f8b46094de6b64270ea35d950f");

  /**
   * AMD's pinned roots; the vectors ship no ARK CRL (Trustee's az-snp-vtpm verifier checks none),
   * so revocation is off here and the claims say so.
   */
  static AzSnpVtpmVerifier snp() {
    return new AzSnpVtpmVerifier(new SnpEvidenceVerifier().withoutRevocation());
  }

  /**
   * Intel's production root without TCB collateral: none is public offline for FMSPC 00806f050000.
   */
  static AzTdxVtpmVerifier tdx() {
    return new AzTdxVtpmVerifier(
        new TdxEvidenceVerifier(new DcapQuoteVerifier(IntelPki.production(), false)));
  }

  static Expectations expect(byte[] runtimeData) {
    return new Expectations(Optional.of(runtimeData), AT);
  }

  static byte[] bytes(String path) {
    try (InputStream in = AzureVectors.class.getResourceAsStream("/azure/" + path)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource azure/" + path);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static ObjectNode json(String path) throws IOException {
    return (ObjectNode) JSON.readTree(bytes(path));
  }

  static byte[] write(ObjectNode n) throws IOException {
    return JSON.writeValueAsBytes(n);
  }

  static byte[] b64(ObjectNode n, String field) {
    return Base64.getUrlDecoder().decode(n.get(field).asText());
  }

  static void putB64(ObjectNode n, String field, byte[] value) {
    n.put(field, Base64.getUrlEncoder().encodeToString(value));
  }
}
