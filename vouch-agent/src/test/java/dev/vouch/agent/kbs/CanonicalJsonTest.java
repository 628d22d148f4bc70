package dev.vouch.agent.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CanonicalJsonTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void reproducesTrusteesBindingVector() throws Exception {
    byte[] c = CanonicalJson.of(JSON.readTree("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}"));
    assertThat(new String(c, StandardCharsets.UTF_8))
        .isEqualTo("{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}");
    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-384").digest(c)))
        .isEqualTo(
            "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca941da78870c3");
  }

  @Test
  void escapesControlCharactersAndKeepsOtherTextLiteral() throws Exception {
    assertThat(
            new String(
                CanonicalJson.of(JSON.readTree("[\"\\u001f\\u00e9\\n\"]")), StandardCharsets.UTF_8))
        .isEqualTo("[\"\\u001f\u00e9\\n\"]");
  }

  @Test
  void refusesFractionsItCannotCanonicaliseExactly() {
    assertThatThrownBy(() -> CanonicalJson.of(JSON.readTree("1.5")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
