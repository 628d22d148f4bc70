package dev.vouch.evidence;

import dev.vouch.core.Tee;
import dev.vouch.evidence.azure.AzSnpVtpmVerifier;
import dev.vouch.evidence.azure.AzTdxVtpmVerifier;
import dev.vouch.evidence.cca.CcaEvidenceVerifier;
import dev.vouch.evidence.cima.ContainerEvidenceVerifier;
import dev.vouch.evidence.sample.SampleEvidenceVerifier;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The verifier for each evidence kind. {@link #defaults()} has every kind this version knows, with
 * default trust settings (built-in vendor roots, AK trust left to policy): adding an evidence kind
 * means adding its package and one registration line there. A server narrows and configures the set
 * ({@link #with}, {@link #without}); a kind it leaves out keeps the reason, which callers show when
 * they refuse that kind.
 */
public final class Verifiers {
  private final Map<Tee, EvidenceVerifier> byTee;
  private final Map<Tee, String> refused;

  private Verifiers(Map<Tee, EvidenceVerifier> byTee, Map<Tee, String> refused) {
    this.byTee = Map.copyOf(byTee);
    this.refused = Map.copyOf(refused);
  }

  /**
   * Every verifier this version has, with defaults. The sample kind is among them (it is test-only:
   * a server drops it unless explicitly enabled).
   */
  public static Verifiers defaults() {
    Map<Tee, EvidenceVerifier> m = new EnumMap<>(Tee.class);
    register(m, TpmEvidenceVerifier.trustingSuppliedAk());
    register(m, new SnpEvidenceVerifier());
    register(m, new CcaEvidenceVerifier());
    register(m, new TdxEvidenceVerifier());
    register(m, new SgxEvidenceVerifier());
    register(m, new SampleEvidenceVerifier());
    register(m, new AzSnpVtpmVerifier());
    register(m, new AzTdxVtpmVerifier());
    register(m, new ContainerEvidenceVerifier());
    return new Verifiers(m, Map.of());
  }

  /** Exactly these verifiers (one per kind); every other kind is refused as unknown. */
  public static Verifiers of(Collection<EvidenceVerifier> verifiers) {
    Map<Tee, EvidenceVerifier> m = new EnumMap<>(Tee.class);
    verifiers.forEach(v -> register(m, v));
    return new Verifiers(m, Map.of());
  }

  private static void register(Map<Tee, EvidenceVerifier> m, EvidenceVerifier v) {
    if (m.put(v.tee(), v) != null) {
      throw new IllegalStateException("two verifiers for " + v.tee());
    }
  }

  /** This set with {@code v} replacing the verifier of its kind. */
  public Verifiers with(EvidenceVerifier v) {
    Map<Tee, EvidenceVerifier> m = new EnumMap<>(Tee.class);
    m.putAll(byTee);
    m.put(v.tee(), v);
    Map<Tee, String> r = new LinkedHashMap<>(refused);
    r.remove(v.tee());
    return new Verifiers(m, r);
  }

  /** This set without {@code tee}, which is then refused with {@code reason}. */
  public Verifiers without(Tee tee, String reason) {
    Map<Tee, EvidenceVerifier> m = new EnumMap<>(Tee.class);
    m.putAll(byTee);
    m.remove(tee);
    Map<Tee, String> r = new LinkedHashMap<>(refused);
    r.put(tee, reason);
    return new Verifiers(m, r);
  }

  /** The verifier for {@code tee}, if this set has one. */
  public Optional<EvidenceVerifier> forTee(Tee tee) {
    return Optional.ofNullable(byTee.get(tee));
  }

  /** The kinds this set verifies. */
  public Set<Tee> tees() {
    return byTee.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(byTee.keySet()));
  }

  /** Why {@code tee} has no verifier here: the reason given to {@link #without}, or a default. */
  public String whyRefused(Tee tee) {
    return refused.getOrDefault(
        tee, "this server has no verifier for " + tee.wireName() + " evidence");
  }
}
