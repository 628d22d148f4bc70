package dev.vouch.evidence.cca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CborTest {

  private static CborValue decode(String hex) throws VerificationException {
    return Cbor.decode(Hex.decode(hex), "test item");
  }

  private static void assertFails(String hex, Failure failure) {
    assertThatThrownBy(() -> decode(hex))
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(failure));
  }

  @Test
  void decodesMapsWithIntegerAndTextKeysAsDistinctKeys() throws Exception {
    // {1: 10, "1": [12, 13]}
    CborValue.Map m = decode("a2010a6131820c0d").asMap("m");
    assertThat(m.get(1)).contains(new CborValue.Int(10));
    assertThat(m.entries().get(new CborValue.Text("1")))
        .isEqualTo(new CborValue.Array(List.of(new CborValue.Int(12), new CborValue.Int(13))));
  }

  @Test
  void keepsTagsOnTheItemTheyTag() throws Exception {
    CborValue v = decode("d9018fa1010a");
    assertThat(v)
        .isEqualTo(
            new CborValue.Tagged(
                399, new CborValue.Map(Map.of(new CborValue.Int(1), new CborValue.Int(10)))));
    assertThat(v.untag(399, "t").asMap("m").get(1)).contains(new CborValue.Int(10));
  }

  @Test
  void decodesNegativeKeysAndByteStringsAndBooleans() throws Exception {
    // {-75000: h'0102', 2: true}
    CborValue.Map m = decode("a23a000124f7420102" + "02f5").asMap("m");
    assertThat(m.get(-75000).orElseThrow().asBytes("b")).containsExactly(1, 2);
    assertThat(m.get(2)).contains(new CborValue.Bool(true));
  }

  @Test
  void decodesTheFullSignedRange() throws Exception {
    assertThat(decode("1b7fffffffffffffff")).isEqualTo(new CborValue.Int(Long.MAX_VALUE));
    assertThat(decode("3b7fffffffffffffff")).isEqualTo(new CborValue.Int(Long.MIN_VALUE));
  }

  @ParameterizedTest(name = "{0}: {2}")
  @CsvSource({
    "a2010a010b, MALFORMED, duplicate integer key",
    "a2616101616102, MALFORMED, duplicate text key",
    "5f4161ff, MALFORMED, indefinite byte string",
    "7f6161ff, MALFORMED, indefinite text string",
    "9f01ff, MALFORMED, indefinite array",
    "bf0101ff, MALFORMED, indefinite map",
    "a1180a01, MALFORMED, non-shortest key head",
    "1800, MALFORMED, non-shortest integer",
    "5900020102, MALFORMED, non-shortest length",
    "0101, MALFORMED, trailing bytes",
    "a10101ff, MALFORMED, trailing break",
    "ff, MALFORMED, lone break",
    "1c, MALFORMED, reserved additional information",
    "a1c10a01, MALFORMED, tagged key",
    "a1410a01, MALFORMED, byte string key",
    "a18101 01, MALFORMED, array key",
    "62c328, MALFORMED, invalid UTF-8",
    "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c001, MALFORMED, too many tags",
    "8181818181818181818181818181818181818101, MALFORMED, nesting too deep",
    "1bffffffffffffffff, UNSUPPORTED, integer beyond 64 bits",
    "3b8fffffffffffffff, UNSUPPORTED, negative integer beyond 64 bits",
    "c2420101, UNSUPPORTED, bignum",
    "f6, UNSUPPORTED, null",
    "f7, UNSUPPORTED, undefined",
    "fa3f800000, UNSUPPORTED, float",
    "'', TRUNCATED, empty input",
    "a201, TRUNCATED, map ends early",
    "5820aa, TRUNCATED, byte string ends early",
    "5a7fffffff00, TRUNCATED, byte string longer than the input",
    "7a7fffffff00, TRUNCATED, text string longer than the input",
    "d9018f, TRUNCATED, tag without content",
    "19, TRUNCATED, head ends early",
  })
  void refusesWhatATokenMustNotContain(String hex, Failure failure, String why) {
    assertFails(hex.replace(" ", ""), failure);
  }

  @Test
  void typedAccessorsNameTheFieldThatHasTheWrongType() throws Exception {
    CborValue v = decode("01");
    assertThatThrownBy(() -> v.asBytes("platform challenge"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("platform challenge must be a byte string but is an integer");
    assertThatThrownBy(() -> v.untag(18, "COSE"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("untagged");
    assertThatThrownBy(() -> decode("d2a0").untag(399, "CCA token"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("carries tag 18");
  }

  @Test
  void byteStringValuesAreComparedByContentAndCopied() throws Exception {
    byte[] raw = {1, 2};
    CborValue.Bytes b = new CborValue.Bytes(raw);
    raw[0] = 9;
    assertThat(b).isEqualTo(decode("420102"));
    assertThat(b.value()).containsExactly(1, 2);
  }
}
