package dev.vouch.evidence.tpm.ima;

import dev.vouch.core.bytes.Hex;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One measurement of the IMA list, as the kernel exports it.
 *
 * @param pcr the register the entry was extended into (10 unless the policy says {@code pcr=})
 * @param templateHash the template hash shown in the list (SHA-1 in the classic files, or the
 *     algorithm of a per-bank file); all zero for a violation
 * @param templateName the template name, or the format string of a custom template
 * @param templateData the template data as the binary list carries it: for every template but
 *     {@code ima}, each field as a little-endian u32 length and its bytes (the exact bytes that
 *     were hashed); for {@code ima}, the 20-byte digest, a u32 name length and the name
 * @param fileDigest the {@code d}, {@code d-ng} or {@code d-ngv2} field, when the template has one
 * @param fileName the {@code n} or {@code n-ng} field without its NUL, or empty
 * @param signature the {@code sig} field (ima-sig, ima-sigv2, ima-modsig), or empty
 * @param buffer the {@code buf} field (ima-buf), or empty
 * @param violation true when the template hash is all zero: the kernel recorded a time-of-measure /
 *     time-of-use or open-writers violation and extended all-ones instead of a hash
 */
public record ImaEntry(
    int pcr,
    byte[] templateHash,
    String templateName,
    byte[] templateData,
    Optional<ImaDigest> fileDigest,
    String fileName,
    byte[] signature,
    byte[] buffer,
    boolean violation) {

  public ImaEntry {
    templateHash = templateHash.clone();
    Objects.requireNonNull(templateName, "templateName");
    templateData = templateData.clone();
    Objects.requireNonNull(fileDigest, "fileDigest");
    Objects.requireNonNull(fileName, "fileName");
    signature = signature.clone();
    buffer = buffer.clone();
  }

  @Override
  public byte[] templateHash() {
    return templateHash.clone();
  }

  @Override
  public byte[] templateData() {
    return templateData.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  @Override
  public byte[] buffer() {
    return buffer.clone();
  }

  /** The template data length without copying it. */
  public int templateDataLength() {
    return templateData.length;
  }

  /** True when the entry carries a non-empty {@code sig} field. */
  public boolean hasSignature() {
    return signature.length > 0;
  }

  /**
   * The bytes the kernel hashes into the template hash and the per-bank digests. Equal to {@link
   * #templateData()} except for the {@code ima} template, which hashes the digest and the name
   * zero-padded to 256 bytes, without length fields.
   */
  public byte[] hashedBytes() {
    return ImaHashing.hashedBytes(templateName, templateData);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ImaEntry e
        && e.pcr == pcr
        && e.violation == violation
        && Arrays.equals(e.templateHash, templateHash)
        && e.templateName.equals(templateName)
        && Arrays.equals(e.templateData, templateData)
        && e.fileDigest.equals(fileDigest)
        && e.fileName.equals(fileName)
        && Arrays.equals(e.signature, signature)
        && Arrays.equals(e.buffer, buffer);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        pcr, Arrays.hashCode(templateHash), templateName, Arrays.hashCode(templateData));
  }

  @Override
  public String toString() {
    return pcr
        + " "
        + Hex.encode(templateHash)
        + " "
        + templateName
        + " "
        + fileDigest.map(ImaDigest::toString).orElse("-")
        + " "
        + fileName
        + (violation ? " (violation)" : "");
  }
}
