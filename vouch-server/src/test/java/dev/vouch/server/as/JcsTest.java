package dev.vouch.server.as;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JcsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static String canonical(String json) throws Exception {
    return new String(Jcs.canonicalize(JSON.readTree(json)), StandardCharsets.UTF_8);
  }

  @Test
  void trusteesRuntimeDataVectorHashesToItsPublishedDigest() throws Exception {
    // attestation-service/src/lib.rs test parse_runtimedata_json_binding (trustee.md section 1.3)
    byte[] canonical =
        Jcs.canonicalize(JSON.readTree("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}"));
    assertThat(new String(canonical, StandardCharsets.UTF_8))
        .isEqualTo("{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}");
    assertThat(Hex.encode(HashAlg.SHA384.digest(canonical)))
        .isEqualTo(
            "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca941da78870c3");
  }

  @Test
  void numbersAndStringsFollowEcmascript() throws Exception {
    assertThat(canonical("[1.0, 1e21, 0.000001, 1e-7, -0, 100, 3.25]"))
        .isEqualTo("[1,1e+21,0.000001,1e-7,0,100,3.25]");
    assertThat(canonical("{\"s\":\"a\\u0001\\n\\\"é\"}")).isEqualTo("{\"s\":\"a\\u0001\\n\\\"é\"}");
  }

  @Test
  void membersAreSortedByUtf16CodeUnits() throws Exception {
    assertThat(canonical("{\"\\u20ac\":1,\"\\ud83d\\ude00\":2,\"a\":3}"))
        .isEqualTo("{\"a\":3,\"€\":1,\"😀\":2}".replace("€\":1,\"😀\":2", "€\":1,\"😀\":2"));
  }
}
