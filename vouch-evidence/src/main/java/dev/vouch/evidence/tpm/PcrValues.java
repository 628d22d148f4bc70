package dev.vouch.evidence.tpm;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Register values per hash bank: PCRs of a TPM (index 0..23), or RTMRs of a TDX guest. Produced by
 * event-log replay and supplied with quotes. Immutable; arrays are copied in and out.
 */
public final class PcrValues {
  private final Map<HashAlg, SortedMap<Integer, byte[]>> banks;

  private PcrValues(Map<HashAlg, SortedMap<Integer, byte[]>> banks) {
    EnumMap<HashAlg, SortedMap<Integer, byte[]>> copy = new EnumMap<>(HashAlg.class);
    banks.forEach(
        (alg, regs) -> {
          TreeMap<Integer, byte[]> r = new TreeMap<>();
          regs.forEach((i, v) -> r.put(i, v.clone()));
          copy.put(alg, Collections.unmodifiableSortedMap(r));
        });
    this.banks = Collections.unmodifiableMap(copy);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The value of register {@code index} in {@code bank}, if present. */
  public Optional<byte[]> get(HashAlg bank, int index) {
    SortedMap<Integer, byte[]> regs = banks.get(bank);
    if (regs == null) {
      return Optional.empty();
    }
    byte[] v = regs.get(index);
    return Optional.ofNullable(v).map(byte[]::clone);
  }

  /** The banks present, in TPM_ALG_ID order. */
  public java.util.Set<HashAlg> banks() {
    return banks.keySet();
  }

  /** Register indexes present in {@code bank}, ascending. */
  public java.util.Set<Integer> indexes(HashAlg bank) {
    SortedMap<Integer, byte[]> regs = banks.get(bank);
    return regs == null ? java.util.Set.of() : regs.keySet();
  }

  /** {@code {"sha256": {"0": "hex", ...}}}, the shape of {@code eventlog replay --json}. */
  public Map<String, Map<String, String>> toHexMap() {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    banks.forEach(
        (alg, regs) -> {
          Map<String, String> m = new LinkedHashMap<>();
          regs.forEach((i, v) -> m.put(Integer.toString(i), Hex.encode(v)));
          out.put(alg.shortName(), m);
        });
    return out;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PcrValues p) || !p.banks.keySet().equals(banks.keySet())) {
      return false;
    }
    for (var e : banks.entrySet()) {
      SortedMap<Integer, byte[]> other = p.banks.get(e.getKey());
      if (!other.keySet().equals(e.getValue().keySet())) {
        return false;
      }
      for (var r : e.getValue().entrySet()) {
        if (!Arrays.equals(r.getValue(), other.get(r.getKey()))) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return toHexMap().hashCode();
  }

  @Override
  public String toString() {
    return toHexMap().toString();
  }

  /** Collects register values; the last value set for a register wins. */
  public static final class Builder {
    private final EnumMap<HashAlg, SortedMap<Integer, byte[]>> banks = new EnumMap<>(HashAlg.class);

    /**
     * Sets one register.
     *
     * @throws IllegalArgumentException when the value's length differs from the bank's digest size
     */
    public Builder put(HashAlg bank, int index, byte[] value) {
      if (value.length != bank.size()) {
        throw new IllegalArgumentException(
            bank.shortName() + " register " + index + " has " + value.length + " bytes");
      }
      banks.computeIfAbsent(bank, b -> new TreeMap<>()).put(index, value.clone());
      return this;
    }

    public PcrValues build() {
      return new PcrValues(banks);
    }
  }

  /** {@code H(current || digest)}: the TPM extend operation. */
  public static byte[] extend(HashAlg bank, byte[] current, byte[] digest) {
    var md = bank.newDigest();
    md.update(current);
    md.update(digest);
    return md.digest();
  }
}
