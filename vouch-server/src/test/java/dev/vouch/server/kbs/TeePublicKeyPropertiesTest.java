package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class TeePublicKeyPropertiesTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @Provide
  Arbitrary<String> values() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(90),
        Arbitraries.strings().withChars("ABCDEFabcdef0123456789-_").ofMinLength(1).ofMaxLength(400),
        Arbitraries.of(
            "EC", "RSA", "P-256", "P-384", "P-521", "ECDH-ES+A256KW", "RSA-OAEP-256", "AQAB"));
  }

  @Property(tries = 400)
  void anyJwkShapedInputIsAcceptedOrRefusedWithAKbsError(
      @ForAll("values") String kty,
      @ForAll("values") String crv,
      @ForAll("values") String alg,
      @ForAll("values") String a,
      @ForAll("values") String b) {
    ObjectNode n = JSON.createObjectNode();
    n.put("kty", kty)
        .put("crv", crv)
        .put("alg", alg)
        .put("x", a)
        .put("y", b)
        .put("n", a)
        .put("e", b);
    try {
      TeePublicKey k = TeePublicKey.parse(n);
      // whatever was accepted is one of the two strong kinds
      assertThat(k.algorithm().getName()).isIn("ECDH-ES+A256KW", "RSA-OAEP-256");
    } catch (KbsError e) {
      assertThat(e.kind()).isEqualTo(KbsError.Kind.SerdeError);
    }
  }

  @Property(tries = 50)
  void nonObjectsAreRefused(@ForAll("values") String s) {
    JsonNode n = JSON.getNodeFactory().textNode(s);
    assertThatThrownBy(() -> TeePublicKey.parse(n)).isInstanceOf(KbsError.class);
  }

  @net.jqwik.api.Example
  void aPointOffTheCurveIsRefusedNotThrown() {
    // found by the property above: x and y of the right size that are not a P-256 point
    String coordinate =
        java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[32]);
    ObjectNode n = JSON.createObjectNode();
    n.put("kty", "EC")
        .put("crv", "P-256")
        .put("alg", "ECDH-ES+A256KW")
        .put("x", coordinate)
        .put("y", coordinate);
    assertThatThrownBy(() -> TeePublicKey.parse(n))
        .isInstanceOf(KbsError.class)
        .hasMessageContaining("not a point on P-256");
  }
}
