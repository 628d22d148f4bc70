package dev.vouch.evidence.cca;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One measured software component of a PSA or CCA platform token (claim 2399, or -75006 in the PSA
 * IoT profile 1): keys 1 measurement type, 2 measurement value, 4 version, 5 signer ID, 6
 * measurement description (the hash algorithm name).
 *
 * @param type the component's role, e.g. {@code BL} or {@code RMM}
 * @param measurement the component's digest
 * @param signerId the digest of the key that signed the component
 * @param version the component's version string
 * @param hashAlgo the algorithm of {@code measurement}, e.g. {@code sha-256}
 */
public record SwComponent(
    Optional<String> type,
    byte[] measurement,
    byte[] signerId,
    Optional<String> version,
    Optional<String> hashAlgo) {

  public SwComponent {
    measurement = measurement.clone();
    signerId = signerId.clone();
  }

  @Override
  public byte[] measurement() {
    return measurement.clone();
  }

  @Override
  public byte[] signerId() {
    return signerId.clone();
  }

  /**
   * Reads the components array. The measurement value is required; the signer ID is required too
   * (both token profiles make it mandatory) and may not be empty.
   */
  public static List<SwComponent> parseAll(CborValue array, String what)
      throws VerificationException {
    List<SwComponent> out = new ArrayList<>();
    List<CborValue> items = array.asArray(what);
    for (int i = 0; i < items.size(); i++) {
      String w = what + "[" + i + "]";
      CborValue.Map m = items.get(i).asMap(w);
      byte[] measurement = m.require(2, w + " measurement value").asBytes(w + " measurement");
      byte[] signer = m.require(5, w + " signer ID").asBytes(w + " signer ID");
      if (measurement.length == 0 || signer.length == 0) {
        throw new VerificationException(
            Failure.MALFORMED, w + " has an empty measurement or signer ID");
      }
      out.add(
          new SwComponent(
              optionalText(m, 1, w + " type"),
              measurement,
              signer,
              optionalText(m, 4, w + " version"),
              optionalText(m, 6, w + " hash algorithm")));
    }
    return List.copyOf(out);
  }

  static Optional<String> optionalText(CborValue.Map m, long key, String what)
      throws VerificationException {
    Optional<CborValue> v = m.get(key);
    return v.isEmpty() ? Optional.empty() : Optional.of(v.get().asText(what));
  }
}
