package dev.vouch.evidence.tpm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One file of a host's software manifest as the trust agent measured it: its path and the SHA-256
 * of its content, extended into SHA-256 {@link #PCR} in log order (ISecL's application integrity,
 * which measures manifests into PCR 15). A file that was missing is logged with {@link #ABSENT}, so
 * the log still says what was asked for.
 *
 * @param path the absolute path measured
 * @param sha256 the file's SHA-256, or {@link #ABSENT} when it was missing
 */
public record SoftwareMeasurement(String path, byte[] sha256) {
  /** The register software measurements are extended into. */
  public static final int PCR = 15;

  /** The digest logged for a manifest entry that was not a readable file. */
  public static final byte[] ABSENT = new byte[32];

  /** A quote response carries at most this many measurements. */
  public static final int MAX_ENTRIES = 100_000;

  private static final Set<String> MEMBERS = Set.of("path", "sha256");

  public SoftwareMeasurement {
    if (path == null || path.isEmpty() || path.length() > 4096) {
      throw new IllegalArgumentException("a software measurement needs a path of 1-4096 chars");
    }
    if (sha256.length != 32) {
      throw new IllegalArgumentException("a software measurement is a SHA-256 digest");
    }
    sha256 = sha256.clone();
  }

  @Override
  public byte[] sha256() {
    return sha256.clone();
  }

  /** Whether the agent found no readable file at the path. */
  public boolean absent() {
    return Arrays.equals(sha256, ABSENT);
  }

  /** SHA-256 PCR 15 after extending {@code log} in order from its reset value (zeros). */
  public static byte[] replay(List<SoftwareMeasurement> log) {
    byte[] value = new byte[HashAlg.SHA256.size()];
    for (SoftwareMeasurement m : log) {
      value = PcrValues.extend(HashAlg.SHA256, value, m.sha256);
    }
    return value;
  }

  /** The JSON array form: {@code [{"path": "/opt/app/run", "sha256": "hex"}, ...]}. */
  public static ArrayNode toJson(List<SoftwareMeasurement> log) {
    ArrayNode a = Json.MAPPER.createArrayNode();
    for (SoftwareMeasurement m : log) {
      a.addObject().put("path", m.path).put("sha256", Hex.encode(m.sha256));
    }
    return a;
  }

  /**
   * Reads the JSON array form.
   *
   * @throws VerificationException MALFORMED for anything but an array of such objects
   */
  public static List<SoftwareMeasurement> fromJson(JsonNode node) throws VerificationException {
    Objects.requireNonNull(node, "node");
    if (!node.isArray() || node.size() > MAX_ENTRIES) {
      throw new VerificationException(
          Failure.MALFORMED, "software measurements must be an array of at most " + MAX_ENTRIES);
    }
    List<SoftwareMeasurement> out = new ArrayList<>(node.size());
    for (JsonNode e : node) {
      Json.onlyMembers(e, MEMBERS, "software measurement");
      String path = Json.text(e, "path");
      byte[] digest = Json.hex(e, "sha256");
      try {
        out.add(new SoftwareMeasurement(path, digest));
      } catch (IllegalArgumentException bad) {
        throw new VerificationException(Failure.MALFORMED, bad.getMessage());
      }
    }
    return List.copyOf(out);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SoftwareMeasurement m
        && path.equals(m.path)
        && Arrays.equals(sha256, m.sha256);
  }

  @Override
  public int hashCode() {
    return 31 * path.hashCode() + Arrays.hashCode(sha256);
  }

  @Override
  public String toString() {
    return path + " " + Hex.encode(sha256);
  }
}
