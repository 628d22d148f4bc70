package dev.vouch.evidence;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the relying party expects of evidence besides its own signatures.
 *
 * @param nonce the freshness value the verifier issued: a TPM quote's extraData must equal it; the
 *     64-byte report data of TDX, SGX and SEV-SNP (and a CCA realm challenge) must start with it
 *     and be zero after it, as Trustee pads. Empty when the caller does not check freshness
 *     (offline inspection only; a service always sets it)
 * @param at the time at which certificates, CRLs and collateral must be valid
 * @param collateral raw files the caller supplies (certificates, CRLs, TCB info, QE identity, AMD
 *     chains, in DER, PEM or JSON); each verifier recognises what it needs by content, never by
 *     file name, and never trusts a root certificate because it is among them
 */
public record Expectations(Optional<byte[]> nonce, Instant at, List<byte[]> collateral) {

  public Expectations {
    Objects.requireNonNull(nonce, "nonce");
    Objects.requireNonNull(at, "at");
    nonce = nonce.map(byte[]::clone);
    collateral = collateral.stream().map(byte[]::clone).toList();
  }

  /** Expectations without collateral. */
  public Expectations(Optional<byte[]> nonce, Instant at) {
    this(nonce, at, List.of());
  }

  /** Expect this nonce, checked now. */
  public static Expectations withNonce(byte[] nonce) {
    return new Expectations(Optional.of(nonce), Instant.now());
  }

  /** No freshness check (offline inspection), checked now. */
  public static Expectations none() {
    return new Expectations(Optional.empty(), Instant.now());
  }

  /** The same expectations with these collateral files. */
  public Expectations withCollateral(List<byte[]> files) {
    return new Expectations(nonce, at, files);
  }

  @Override
  public Optional<byte[]> nonce() {
    return nonce.map(byte[]::clone);
  }

  @Override
  public List<byte[]> collateral() {
    return collateral.stream().map(byte[]::clone).toList();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Expectations e
        && at.equals(e.at)
        && nonce.isPresent() == e.nonce.isPresent()
        && (nonce.isEmpty() || Arrays.equals(nonce.get(), e.nonce.get()))
        && collateral.size() == e.collateral.size()
        && java.util.stream.IntStream.range(0, collateral.size())
            .allMatch(i -> Arrays.equals(collateral.get(i), e.collateral.get(i)));
  }

  @Override
  public int hashCode() {
    return Objects.hash(at, nonce.map(Arrays::hashCode).orElse(0), collateral.size());
  }

  @Override
  public String toString() {
    return "Expectations[nonce="
        + (nonce.isPresent() ? "set" : "none")
        + ", at="
        + at
        + ", collateral="
        + collateral.size()
        + " files]";
  }
}
