package dev.vouch.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class PolicyEnginePropertiesTest {

  @Provide
  Arbitrary<Object> anyValue() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(20).map(Object.class::cast),
        Arbitraries.longs().map(Object.class::cast),
        Arbitraries.of(true, false).map(Object.class::cast),
        Arbitraries.strings().ofMaxLength(5).list().ofMaxSize(3).map(Object.class::cast));
  }

  @Property(tries = 100)
  void anyClaimValuesGiveAnAppraisalAndNeverAnException(
      @ForAll("anyValue") Object a, @ForAll("anyValue") Object b, @ForAll("anyValue") Object c) {
    for (String kind : DefaultPolicies.KINDS) {
      Policy p = DefaultPolicies.load(kind);
      Map<String, Object> claims = new HashMap<>();
      List<String> names =
          List.of("tdx.debug", "tdx.tcb_status", "snp.reported_tcb.snp", "tpm.clock_safe");
      claims.put(names.get(0), a);
      claims.put(names.get(1), b);
      claims.put(names.get(2), c);
      claims.put(names.get(3), a);
      Appraisal appraisal =
          PolicyEngine.evaluate(p, claims, Map.of("snp.minimum_tcb.snp", List.of(c)), Map.of());
      assertThat(appraisal.rules()).hasSize(p.rules().size());
      // without reference values for measurements, no default policy can affirm
      assertThat(appraisal.status()).isNotEqualTo(Tier.AFFIRMING);
      assertThat(appraisal.failures()).allSatisfy(r -> assertThat(r.explanation()).isNotBlank());
    }
  }
}
