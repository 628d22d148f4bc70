package dev.vouch.evidence.azure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.Optional;

/**
 * The report Azure's paravisor (HCL) returns for a confidential VM: a hardware report (SEV-SNP
 * ATTESTATION_REPORT or TDX TDREPORT) whose report data binds SHA-256 of the variable data that
 * follows it, a JSON document with the vTPM's attestation key ({@code HCLAkPub}, a JWK) and, in
 * newer guests, the caller's {@code user-data}. Layout as in the {@code az-cvm-vtpm} crate: a
 * 32-byte header ({@code "HCLA"}), the hardware report in a 1184-byte slot, a 20-byte IGVM request
 * header, then the variable data; the rest of the buffer must be zero.
 *
 * <p>Parsing checks every length and nothing cryptographic. Immutable; arrays are copied.
 *
 * @param type the hardware report's kind
 * @param hardwareReport the hardware report, 1184 bytes for SEV-SNP, 1024 for TDX
 * @param varData the variable data, exactly as hashed into the hardware report
 */
public record HclReport(Type type, byte[] hardwareReport, byte[] varData) {

  /** {@code "HCLA"} read little-endian. */
  static final long SIGNATURE = 0x414C4348L;

  private static final int HEADER = 32;
  private static final int REPORT_SLOT = 1184;

  /** Upper bound on the whole report: the paravisor's buffer is one 4 KiB page. */
  private static final int MAX_LENGTH = 4096;

  private static final String AK_KID = "HCLAkPub";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The hardware report kinds (IGVM report type) and their sizes. */
  public enum Type {
    SNP(2, 1184),
    TDX(4, 1024);

    private final int code;
    private final int size;

    Type(int code, int size) {
      this.code = code;
      this.size = size;
    }
  }

  public HclReport {
    hardwareReport = hardwareReport.clone();
    varData = varData.clone();
  }

  /**
   * Parses an HCL report.
   *
   * @throws VerificationException {@link Failure#TRUNCATED} when a part ends early, {@link
   *     Failure#MALFORMED} for a wrong signature, report type or non-zero padding, {@link
   *     Failure#UNSUPPORTED} for a variable-data hash other than SHA-256 (as Trustee)
   */
  public static HclReport parse(byte[] bytes) throws VerificationException {
    if (bytes.length > MAX_LENGTH) {
      throw new VerificationException(
          Failure.MALFORMED, "HCL report of " + bytes.length + " bytes exceeds " + MAX_LENGTH);
    }
    ByteReader r = ByteReader.littleEndian(bytes);
    if (r.u32() != SIGNATURE) {
      throw new VerificationException(Failure.MALFORMED, "HCL report does not start with HCLA");
    }
    r.skip(HEADER - 4);
    byte[] slot = r.bytes(REPORT_SLOT);
    r.u32(); // data_size: the paravisor's request size, not used for parsing
    r.u32(); // version
    long reportType = r.u32();
    long hashType = r.u32();
    int varSize = r.length32("HCL variable data");
    Type type = null;
    for (Type t : Type.values()) {
      if (t.code == reportType) {
        type = t;
      }
    }
    if (type == null) {
      throw new VerificationException(
          Failure.MALFORMED, "HCL report type " + reportType + " is neither SNP (2) nor TDX (4)");
    }
    if (hashType != 1) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "HCL variable data hash type " + hashType + " (only SHA-256, 1)");
    }
    byte[] varData = r.bytes(varSize);
    while (r.hasRemaining()) {
      if (r.u8() != 0) {
        throw new VerificationException(
            Failure.MALFORMED, "non-zero bytes after the HCL variable data");
      }
    }
    byte[] hw = new byte[type.size];
    System.arraycopy(slot, 0, hw, 0, type.size);
    return new HclReport(type, hw, varData);
  }

  @Override
  public byte[] hardwareReport() {
    return hardwareReport.clone();
  }

  @Override
  public byte[] varData() {
    return varData.clone();
  }

  /** SHA-256 of the variable data: what the hardware report's first 32 report-data bytes hold. */
  public byte[] varDataSha256() {
    return HashAlg.SHA256.digest(varData);
  }

  private JsonNode varDataJson() throws VerificationException {
    try {
      JsonNode n = JSON.readTree(varData);
      if (n == null || !n.isObject()) {
        throw new VerificationException(
            Failure.MALFORMED, "HCL variable data is not a JSON object");
      }
      return n;
    } catch (IOException e) {
      throw new VerificationException(
          Failure.MALFORMED, "HCL variable data is not JSON: " + e.getMessage(), e);
    }
  }

  /**
   * The vTPM attestation key: the RSA JWK with {@code kid} {@code HCLAkPub} in {@code keys}.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when it is absent or not an RSA key
   */
  public RSAPublicKey attestationKey() throws VerificationException {
    JsonNode keys = varDataJson().path("keys");
    for (JsonNode k : keys) {
      if (!AK_KID.equals(k.path("kid").asText())) {
        continue;
      }
      if (!"RSA".equals(k.path("kty").asText())
          || !k.path("n").isTextual()
          || !k.path("e").isTextual()) {
        throw new VerificationException(Failure.MALFORMED, "HCLAkPub is not an RSA JWK");
      }
      try {
        Base64.Decoder d = Base64.getUrlDecoder();
        BigInteger n = new BigInteger(1, d.decode(k.get("n").asText()));
        BigInteger e = new BigInteger(1, d.decode(k.get("e").asText()));
        return (RSAPublicKey)
            KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
      } catch (IllegalArgumentException | GeneralSecurityException e) {
        throw new VerificationException(Failure.MALFORMED, "HCLAkPub: " + e.getMessage(), e);
      }
    }
    throw new VerificationException(
        Failure.MALFORMED, "HCL variable data holds no HCLAkPub attestation key");
  }

  /**
   * The {@code user-data} the guest asked the paravisor to report (hex in the JSON), if any.
   *
   * @throws VerificationException {@link Failure#MALFORMED} when present but not hex
   */
  public Optional<byte[]> userData() throws VerificationException {
    JsonNode u = varDataJson().get("user-data");
    if (u == null) {
      return Optional.empty();
    }
    if (!u.isTextual() || !Hex.isHex(u.asText())) {
      throw new VerificationException(Failure.MALFORMED, "HCL user-data is not a hex string");
    }
    return Optional.of(Hex.decode(u.asText()));
  }
}
