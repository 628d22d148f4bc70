package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Trustee's init_data_claims from an init data TOML document. */
class InitDataClaimsTest {
  private static Object claims(String toml) throws VerificationException {
    return InitDataClaims.of(toml.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theDataTableWithEmbeddedAgentConfigsParsed() throws Exception {
    Object c =
        claims(
            """
            version = "0.1.0"
            algorithm = "sha256"

            [data]
            "aa.toml" = '''
            [token_configs.kbs]
            url = "https://kbs.example"
            '''
            "policy.rego" = "package agent_policy"
            """);
    assertThat(c)
        .isEqualTo(
            Map.of(
                "aa.toml",
                Map.of("token_configs", Map.of("kbs", Map.of("url", "https://kbs.example"))),
                "policy.rego",
                "package agent_policy"));
  }

  @Test
  void anEmbeddedConfigThatIsNotTomlStaysText() throws Exception {
    Object c = claims("[data]\n\"cdh.toml\" = \"= not toml\"\n");
    assertThat(c).isEqualTo(Map.of("cdh.toml", "= not toml"));
  }

  @Test
  void aDocumentWithoutDataHasNoClaims() throws Exception {
    assertThat(claims("version = \"0.1.0\"\n")).isNull();
  }

  @Test
  void aDocumentThatIsNotTomlIsMalformed() {
    assertThatThrownBy(() -> claims("{\"json\": true}"))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(Failure.MALFORMED));
  }
}
