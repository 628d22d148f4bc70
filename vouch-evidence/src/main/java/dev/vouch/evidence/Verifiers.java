package dev.vouch.evidence;

import dev.vouch.core.Tee;
import dev.vouch.evidence.cca.CcaEvidenceVerifier;
import dev.vouch.evidence.sgx.SgxEvidenceVerifier;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The verifier for each evidence kind, with default trust settings (built-in vendor roots, AK trust
 * left to policy). Adding an evidence kind means adding its package and one line here.
 */
public final class Verifiers {
  private final Map<Tee, EvidenceVerifier> byTee;

  private Verifiers(Map<Tee, EvidenceVerifier> byTee) {
    this.byTee = Map.copyOf(byTee);
  }

  /** Every verifier this version has, with defaults. */
  public static Verifiers defaults() {
    Map<Tee, EvidenceVerifier> m = new EnumMap<>(Tee.class);
    register(m, TpmEvidenceVerifier.trustingSuppliedAk());
    register(m, new SnpEvidenceVerifier());
    register(m, new CcaEvidenceVerifier());
    register(m, new TdxEvidenceVerifier());
    register(m, new SgxEvidenceVerifier());
    return new Verifiers(m);
  }

  private static void register(Map<Tee, EvidenceVerifier> m, EvidenceVerifier v) {
    if (m.put(v.tee(), v) != null) {
      throw new IllegalStateException("two verifiers for " + v.tee());
    }
  }

  /** The verifier for {@code tee}, if this version has one. */
  public Optional<EvidenceVerifier> forTee(Tee tee) {
    return Optional.ofNullable(byTee.get(tee));
  }
}
