package dev.vouch.core.json;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one RFC 8785 implementation, shared by the attestation service and the KBS. */
class JcsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static String canonical(String json) throws Exception {
    return new String(Jcs.canonicalize(JSON.readTree(json)), StandardCharsets.UTF_8);
  }

  @Test
  void reproducesTrusteesRuntimeDataBindingVector() throws Exception {
    // attestation-service/src/lib.rs test parse_runtimedata_json_binding (trustee.md section 1.3)
    String c = canonical("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}");
    assertThat(c).isEqualTo("{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}");
    assertThat(Hex.encode(HashAlg.SHA384.digest(c.getBytes(StandardCharsets.UTF_8))))
        .isEqualTo(
            "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca941da78870c3");
  }

  @Test
  void sortsMembersByUtf16CodeUnitsAndEscapesMinimally() throws Exception {
    // RFC 8785 section 3.2.3 example ordering: "\r" < "1" < "\u0080" < "\u00f6" < "\u20ac" < emoji
    // < "\ufb33"
    String c =
        canonical(
            "{\"\\u20ac\":\"Euro\",\"\\r\":\"CR\",\"\\ufb33\":\"H\",\"1\":\"One\",\"\\ud83d\\ude00\":\"e\",\"\\u0080\":\"c\",\"\\u00f6\":\"o\"}");
    assertThat(c)
        .isEqualTo(
            "{\"\\r\":\"CR\",\"1\":\"One\",\"\u0080\":\"c\",\"\u00f6\":\"o\",\"\u20ac\":\"Euro\",\"\ud83d\ude00\":\"e\",\"\ufb33\":\"H\"}");
    assertThat(canonical("[\"\\u0001\\\"\\\\/\\t\"]")).isEqualTo("[\"\\u0001\\\"\\\\/\\t\"]");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "0|0",
        "-0.0|0",
        "1.0|1",
        "1e21|1e+21",
        "1e20|100000000000000000000",
        "0.000001|0.000001",
        "1e-7|1e-7",
        "123.456|123.456",
        "-1.5e-10|-1.5e-10",
        "9007199254740993|9007199254740992",
        "333333333.3333333|333333333.3333333"
      })
  void writesNumbersAsEcmaScriptDoes(String in, String out) throws Exception {
    assertThat(canonical(in)).isEqualTo(out);
  }

  @Test
  void numbersAndStringsInOneArrayFollowEcmascript() throws Exception {
    assertThat(canonical("[1.0, 1e21, 0.000001, 1e-7, -0, 100, 3.25]"))
        .isEqualTo("[1,1e+21,0.000001,1e-7,0,100,3.25]");
    assertThat(canonical("{\"s\":\"a\\u0001\\n\\\"é\"}")).isEqualTo("{\"s\":\"a\\u0001\\n\\\"é\"}");
  }

  @Test
  void membersOutsideTheBmpSortBySurrogatesAfterBmpCharacters() throws Exception {
    assertThat(canonical("{\"\\u20ac\":1,\"\\ud83d\\ude00\":2,\"a\":3}"))
        .isEqualTo("{\"a\":3,\"\u20ac\":1,\"\ud83d\ude00\":2}");
  }
}
