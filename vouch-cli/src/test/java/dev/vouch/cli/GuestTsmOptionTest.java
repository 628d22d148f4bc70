package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.kbs.TsmEvidenceProvider;
import dev.vouch.cli.kbs.TestKbs;
import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code --tee snp|tdx} on the guest verbs asks configfs-tsm for the report (the SNP one with the
 * host's certificate table, see {@code TsmEvidenceProviderTest}); on a machine that is no
 * confidential guest the attestation stops with exit 3 naming configfs-tsm, and nothing is
 * released.
 */
class GuestTsmOptionTest {
  @Test
  void withoutConfigfsTsmTheGuestVerbsExitThreeNamingIt() throws Exception {
    Assumptions.assumeFalse(
        TsmEvidenceProvider.available(TsmEvidenceProvider.DEFAULT_ROOT),
        "this machine is a confidential guest: the report would be real");
    RealAttestation backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
    Javalin kbs =
        TestKbs.serve(
            Set.of(Tee.SNP, Tee.TDX),
            Optional.<AttestationBackend>of(backend),
            new InMemoryResourceStore(),
            AdminAuth.denyAll(),
            ResourcePolicy.defaultPolicy());
    try {
      for (String tee : new String[] {"snp", "tdx"}) {
        CliRun r =
            CliRun.of(
                "kbs",
                "get-resource",
                "--url",
                "http://127.0.0.1:" + kbs.port(),
                "--tee",
                tee,
                "default/key/app");
        assertThat(r.exit()).as(r.err()).isEqualTo(ExitCodes.INTERNAL);
        assertThat(r.err()).contains("configfs-tsm");
        assertThat(r.out()).isEmpty();
      }
    } finally {
      kbs.stop();
      backend.close();
    }
  }
}
