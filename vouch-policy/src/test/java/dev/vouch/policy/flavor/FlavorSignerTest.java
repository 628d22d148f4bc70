package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JWSObject;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.report.TestPki;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Flavor signatures: detached JWS over the canonical flavor JSON. */
class FlavorSignerTest {
  private static Flavor platform() throws Exception {
    return FlavorJson.readSigned(Vectors.read("ca-data/intel-secl/signed_flavors.json"))
        .get(0)
        .flavor();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"secp256r1", "secp384r1"})
  void aSignedFlavorVerifiesWithTheServerKeyAfterAJsonRoundTrip(String curve) throws Exception {
    KeyPair k = TestPki.ecKey(curve);
    SignedFlavor signed = FlavorSigner.sign(platform(), (ECPrivateKey) k.getPrivate());
    assertThat(signed.signature().get()).contains("..");
    assertThat(
            JWSObject.parse(signed.signature().get().replace("..", ".e30."))
                .getHeader()
                .getAlgorithm()
                .getName())
        .isEqualTo(curve.equals("secp256r1") ? "ES256" : "ES384");
    SignedFlavor back = FlavorJson.readSigned(FlavorJson.writeSigned(List.of(signed))).get(0);
    FlavorSigner.verify(back, List.of(k.getPublic()));
    assertThat(
            FlavorMatcher.trusting(List.of(k.getPublic())).evaluate(back, Synthetic.host()).rules())
        .filteredOn(r -> r.ruleName().equals(FlavorRuleResult.FLAVOR_TRUSTED))
        .singleElement()
        .satisfies(r -> assertThat(r.trusted()).isTrue());
  }

  @Test
  void aChangedFlavorOrAnotherKeyFailsWithSignatureInvalid() throws Exception {
    KeyPair k = TestPki.ecKey("secp256r1");
    SignedFlavor signed = FlavorSigner.sign(platform(), (ECPrivateKey) k.getPrivate());
    Flavor f = signed.flavor();
    PcrRule first = f.pcrs().get(0);
    Flavor changed =
        new Flavor(
            f.meta(),
            java.util.stream.Stream.concat(
                    java.util.stream.Stream.of(
                        new PcrRule(
                            first.index(),
                            first.bank(),
                            "00".repeat(32),
                            true,
                            Optional.empty(),
                            Optional.empty())),
                    f.pcrs().stream().skip(1))
                .toList(),
            f.ima(),
            f.sections());
    SignedFlavor tampered = new SignedFlavor(changed, signed.signature());
    expect(() -> FlavorSigner.verify(tampered, List.of(k.getPublic())), Failure.SIGNATURE_INVALID);
    expect(
        () -> FlavorSigner.verify(signed, List.of(TestPki.ecKey("secp256r1").getPublic())),
        Failure.SIGNATURE_INVALID);
    expect(
        () -> FlavorSigner.verify(signed, List.of(TestPki.ecKey("secp384r1").getPublic())),
        Failure.KEY_MISMATCH);
    assertThat(
            FlavorMatcher.trusting(List.of(k.getPublic()))
                .evaluate(tampered, Synthetic.host())
                .faults())
        .extracting(Fault::name)
        .contains(Fault.FLAVOR_SIGNATURE_VERIFICATION_FAILED);
  }

  @Test
  void unsignedAndIseclSignedFlavorsAreNotVerifiable() throws Exception {
    KeyPair k = TestPki.ecKey("secp256r1");
    expect(
        () -> FlavorSigner.verify(SignedFlavor.unsigned(platform()), List.of(k.getPublic())),
        Failure.MALFORMED);
    SignedFlavor isecl =
        FlavorJson.readSigned(Vectors.read("ca-data/intel-secl/signed_flavors.json")).get(0);
    expect(() -> FlavorSigner.verify(isecl, List.of(k.getPublic())), Failure.MALFORMED);
    assertThat(
            FlavorMatcher.trusting(List.of(k.getPublic()))
                .evaluate(SignedFlavor.unsigned(platform()), Synthetic.host())
                .faults())
        .extracting(Fault::name)
        .contains(Fault.FLAVOR_SIGNATURE_MISSING);
  }

  private static void expect(org.assertj.core.api.ThrowableAssert.ThrowingCallable c, Failure f) {
    assertThatThrownBy(c)
        .isInstanceOfSatisfying(
            VerificationException.class, e -> assertThat(e.failure()).isEqualTo(f));
  }
}
