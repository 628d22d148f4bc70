package dev.vouch.policy.flavor;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Jazzer fuzz target for flavor import: the bytes a client posts to {@code POST /v1/flavors} (or
 * {@code vouch flavor import} reads) go through {@link FlavorJson#readSigned(byte[])} and {@link
 * FlavorSigner#verify}, as the server does. The property: a body is refused with {@code MALFORMED}
 * or {@code UNSUPPORTED} (an unknown PCR bank, as {@link FlavorJson} documents: the first
 * campaign's finding was this harness expecting MALFORMED only, kept as input {@code
 * unknown-pcr-bank}), a signature with one of the failures {@code verify} documents, or every
 * flavor the body holds can be stored and read back: written, re-read and re-written to the same
 * JSON, and signed by the server's key so that the signature verifies. Nothing else may escape.
 * Seeds (Intel SecL signed flavors, a bare flavor, one signed object) are in {@code
 * FlavorJsonFuzzTestInputs/flavorImport}.
 */
class FlavorJsonFuzzTest {
  private static final Set<Failure> SIGNATURE_FAILURES =
      EnumSet.of(
          Failure.MALFORMED, Failure.UNSUPPORTED, Failure.KEY_MISMATCH, Failure.SIGNATURE_INVALID);
  private static final KeyPair SERVER_KEY = serverKey();

  private static KeyPair serverKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "30s")
  void flavorImport(byte[] data) throws VerificationException {
    List<SignedFlavor> read;
    try {
      read = FlavorJson.readSigned(data);
    } catch (VerificationException e) {
      assertThat(e.failure()).isIn(Failure.MALFORMED, Failure.UNSUPPORTED);
      return;
    }
    for (SignedFlavor f : read) {
      try {
        FlavorSigner.verify(f, List.of(SERVER_KEY.getPublic()));
      } catch (VerificationException e) {
        assertThat(SIGNATURE_FAILURES).contains(e.failure());
      }
      // what the store keeps must read back as the same flavor
      var written = FlavorJson.write(f.flavor());
      assertThat(FlavorJson.write(FlavorJson.read(written))).isEqualTo(written);
      // the server signs what it accepted; its own signature must verify
      SignedFlavor signed = FlavorSigner.sign(f.flavor(), (ECPrivateKey) SERVER_KEY.getPrivate());
      FlavorSigner.verify(signed, List.of(SERVER_KEY.getPublic()));
    }
  }
}
