package dev.vouch.evidence.tpm.eventlog;

import dev.vouch.core.crypto.HashAlg;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code TCG_EfiSpecIDEvent} ({@code EV_NO_ACTION}) that opens a log: for {@code Spec ID
 * Event03} it lists every digest algorithm and size that later entries carry. Older signatures
 * ({@code Spec ID Event00/02}, SHA-1 logs) have no algorithm list.
 *
 * @param signature the 16-byte signature without its NUL, e.g. {@code Spec ID Event03}
 * @param algorithms the algorithm table in log order, including algorithms Vouch does not know
 */
public record SpecIdEvent(
    EventHeader header,
    String signature,
    long platformClass,
    int specVersionMajor,
    int specVersionMinor,
    int specErrata,
    int uintnSize,
    List<Algorithm> algorithms,
    byte[] vendorInfo)
    implements TcgEvent {

  /** The signature of a crypto-agile log's first entry. */
  public static final String AGILE_SIGNATURE = "Spec ID Event03";

  public SpecIdEvent {
    Objects.requireNonNull(header, "header");
    algorithms = List.copyOf(algorithms);
    vendorInfo = vendorInfo.clone();
  }

  @Override
  public byte[] vendorInfo() {
    return vendorInfo.clone();
  }

  /** True for {@code Spec ID Event03}, the signature of a crypto-agile log. */
  public boolean cryptoAgile() {
    return AGILE_SIGNATURE.equals(signature);
  }

  /**
   * One {@code TCG_EfiSpecIdEventAlgorithmSize}.
   *
   * @param algorithmId the TPM_ALG_ID
   * @param digestSize the size every entry's digest for this algorithm has
   */
  public record Algorithm(int algorithmId, int digestSize) {
    /** The algorithm, when Vouch knows it. */
    public Optional<HashAlg> hashAlg() {
      return HashAlg.fromTpmId(algorithmId);
    }
  }
}
