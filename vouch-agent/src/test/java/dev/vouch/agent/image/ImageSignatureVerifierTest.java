package dev.vouch.agent.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sigstore signatures in cosign's layout, made with JCA keys, judged under containers-policy.json
 * rules: a signature by the policy's key over the image's manifest and name is accepted; a flipped
 * bit in the payload or the signature, another key, another manifest, another name, no signature at
 * all, a reject or an unsupported rule are refused with their stable codes.
 */
class ImageSignatureVerifierTest {
  static final String REF = "registry.example.com/team/app:v1";
  static KeyPair ec;
  static KeyPair other;
  static KeyPair rsa;
  @TempDir Path dir;
  Path layout;
  String digest;

  @BeforeAll
  static void keys() throws Exception {
    ec = CosignSignatures.p256();
    other = CosignSignatures.p256();
    rsa = OciTestImages.rsaKey();
  }

  @BeforeEach
  void image() throws Exception {
    layout = dir.resolve("img");
    OciTestImages.build(layout, "v1", 2000);
    digest = CosignSignatures.manifestDigest(layout, "v1");
  }

  static String pem(KeyPair k) {
    return CosignSignatures.publicPem(k);
  }

  /** A policy whose docker scope {@code scope} needs a sigstore signature by {@code key}. */
  static SignaturePolicy sigstorePolicy(String scope, KeyPair key, String identity)
      throws VerificationException {
    String data = Base64.getEncoder().encodeToString(pem(key).getBytes(StandardCharsets.US_ASCII));
    return policy(
        "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\""
            + scope
            + "\":[{\"type\":\"sigstoreSigned\",\"keyData\":\""
            + data
            + "\""
            + (identity == null ? "" : ",\"signedIdentity\":" + identity)
            + "}]}}}");
  }

  static SignaturePolicy policy(String json) throws VerificationException {
    return SignaturePolicy.parse(json.getBytes(StandardCharsets.UTF_8));
  }

  ImageSignatureVerifier.Accepted verify(SignaturePolicy p, String ref) throws Exception {
    return new ImageSignatureVerifier(p, path -> Files.readAllBytes(Path.of(path)))
        .verify(new OciRef(layout, java.util.Optional.of("v1")), DockerReference.parse(ref));
  }

  Failure refused(SignaturePolicy p, String ref) {
    return assertThrows(VerificationException.class, () -> verify(p, ref)).failure();
  }

  SignaturePolicy byEc() throws VerificationException {
    return sigstorePolicy("registry.example.com/team/app", ec, null);
  }

  @Test
  void acceptsAnImageSignedByThePolicysKeyForItsName() throws Exception {
    CosignSignatures.attach(
        layout, digest, List.of(CosignSignatures.signed(digest, REF, ec.getPrivate())));
    ImageSignatureVerifier.Accepted a = verify(byEc(), REF);
    assertThat(a.manifestDigest()).isEqualTo(digest);
    assertThat(a.rules()).containsExactly("sigstoreSigned");
  }

  @Test
  void acceptsAnRsaKeyAndAKeyNamedByPath() throws Exception {
    CosignSignatures.attach(
        layout, digest, List.of(CosignSignatures.signed(digest, REF, rsa.getPrivate())));
    Path key = Files.writeString(dir.resolve("cosign.pub"), pem(rsa));
    SignaturePolicy p =
        policy("{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"" + key + "\"}]}");
    assertThat(p.keyPaths()).containsExactly(key.toString());
    assertThat(verify(p, REF).rules()).containsExactly("sigstoreSigned");
  }

  @Test
  void aSignatureMadeByOpensslWithItsOwnKeyVerifies() throws Exception {
    // an independent signer: OpenSSL makes the key and the DER ECDSA signature over the payload
    dev.vouch.agent.tpm.Swtpm.requireTool("openssl");
    Path key = dir.resolve("openssl.key");
    OciTestImages.run(
        dir,
        List.of(
            "openssl",
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-noout",
            "-out",
            "openssl.key"));
    OciTestImages.run(
        dir, List.of("openssl", "ec", "-in", key.toString(), "-pubout", "-out", "openssl.pub"));
    Files.write(dir.resolve("payload"), CosignSignatures.payload(digest, REF));
    OciTestImages.run(
        dir,
        List.of(
            "openssl",
            "dgst",
            "-sha256",
            "-sign",
            key.toString(),
            "-out",
            "payload.sig",
            "payload"));
    CosignSignatures.attach(
        layout,
        digest,
        List.of(
            new CosignSignatures.Layer(
                Files.readAllBytes(dir.resolve("payload")),
                Files.readAllBytes(dir.resolve("payload.sig")))));
    SignaturePolicy p =
        policy(
            "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\""
                + dir.resolve("openssl.pub")
                + "\"}]}");
    assertThat(verify(p, REF).rules()).containsExactly("sigstoreSigned");
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void oneGoodSignatureAmongBadOnesSuffices() throws Exception {
    CosignSignatures.attach(
        layout,
        digest,
        List.of(
            CosignSignatures.signed(digest, REF, other.getPrivate()),
            CosignSignatures.signed(digest, REF, ec.getPrivate())));
    assertThat(verify(byEc(), REF).rules()).containsExactly("sigstoreSigned");
  }

  @Test
  void aFlippedBitInThePayloadIsRefused() throws Exception {
    CosignSignatures.Layer good = CosignSignatures.signed(digest, REF, ec.getPrivate());
    byte[] p = good.payload();
    p[p.length / 2] ^= 0x01;
    CosignSignatures.attach(
        layout, digest, List.of(new CosignSignatures.Layer(p, good.signature())));
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aFlippedBitInTheSignatureIsRefused() throws Exception {
    CosignSignatures.Layer good = CosignSignatures.signed(digest, REF, ec.getPrivate());
    byte[] s = good.signature();
    s[s.length - 5] ^= 0x01;
    CosignSignatures.attach(layout, digest, List.of(new CosignSignatures.Layer(good.payload(), s)));
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aSignedPayloadWithADuplicateKeyIsMalformed() throws Exception {
    // a reader keeping the first digest and one keeping the last would disagree: refused
    String other = "sha256:" + "cd".repeat(32);
    byte[] p =
        ("{\"critical\":{\"identity\":{\"docker-reference\":\""
                + REF
                + "\"},\"image\":{\"docker-manifest-digest\":\""
                + other
                + "\",\"docker-manifest-digest\":\""
                + digest
                + "\"},\"type\":\"cosign container image signature\"},\"optional\":null}")
            .getBytes(StandardCharsets.UTF_8);
    CosignSignatures.attach(
        layout,
        digest,
        List.of(new CosignSignatures.Layer(p, CosignSignatures.sign(p, ec.getPrivate()))));
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void aSignatureByAnotherKeyIsRefused() throws Exception {
    CosignSignatures.attach(
        layout, digest, List.of(CosignSignatures.signed(digest, REF, other.getPrivate())));
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aSignatureOverAnotherManifestIsRefused() throws Exception {
    String elsewhere = "sha256:" + "ab".repeat(32);
    CosignSignatures.attach(
        layout, digest, List.of(CosignSignatures.signed(elsewhere, REF, ec.getPrivate())));
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.DIGEST_MISMATCH);
  }

  @Test
  void aManifestChangedAfterSigningIsRefused() throws Exception {
    CosignSignatures.Layer sig = CosignSignatures.signed(digest, REF, ec.getPrivate());
    CosignSignatures.attach(layout, digest, List.of(sig));
    // the attacker swaps in another manifest, hashes consistent, and the old signature stays
    ObjectNode m = OciTestImages.manifest(layout);
    m.putObject("annotations").put("injected", "yes");
    String changed = retag(m);
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.SIGNATURE_MISSING);
    // ... and moves the old signature to the new digest's tag
    CosignSignatures.attach(layout, changed, List.of(sig));
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.DIGEST_MISMATCH);
  }

  @Test
  void aManifestBlobThatDiffersFromItsDescriptorIsRefused() throws Exception {
    CosignSignatures.attach(
        layout, digest, List.of(CosignSignatures.signed(digest, REF, ec.getPrivate())));
    Path blob = layout.resolve("blobs/sha256").resolve(digest.substring(7));
    byte[] b = Files.readAllBytes(blob);
    b[b.length - 2] ^= 0x01;
    Files.write(blob, b);
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.DIGEST_MISMATCH);
  }

  @Test
  void anUnsignedImageUnderASigstoreRuleIsRefused() throws Exception {
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.SIGNATURE_MISSING);
  }

  @Test
  void aSignatureForAnotherNameIsRefusedUnlessTheIdentityRuleAllowsIt() throws Exception {
    String otherTag = "registry.example.com/team/app:v2";
    CosignSignatures.attach(
        layout, digest, List.of(CosignSignatures.signed(digest, otherTag, ec.getPrivate())));
    assertThat(refused(byEc(), REF)).isEqualTo(Failure.IDENTITY_MISMATCH);
    assertThat(
            refused(sigstorePolicy("registry.example.com", ec, "{\"type\":\"matchExact\"}"), REF))
        .isEqualTo(Failure.IDENTITY_MISMATCH);
    assertThat(
            verify(
                    sigstorePolicy("registry.example.com", ec, "{\"type\":\"matchRepository\"}"),
                    REF)
                .rules())
        .containsExactly("sigstoreSigned");
    assertThat(
            verify(
                    sigstorePolicy(
                        "registry.example.com",
                        ec,
                        "{\"type\":\"exactReference\",\"dockerReference\":\"" + otherTag + "\"}"),
                    REF)
                .rules())
        .containsExactly("sigstoreSigned");
    // a digest reference needs only the repository to match
    assertThat(verify(byEc(), "registry.example.com/team/app@" + digest).rules())
        .containsExactly("sigstoreSigned");
  }

  @Test
  void theMostSpecificScopeDecides() throws Exception {
    SignaturePolicy p =
        policy(
            "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
                + "\"registry.example.com/team\":[{\"type\":\"insecureAcceptAnything\"}],"
                + "\"registry.example.com/team/app:v1\":[{\"type\":\"reject\"}],"
                + "\"*.example.com\":[{\"type\":\"insecureAcceptAnything\"}]},"
                + "\"oci\":{\"\":[{\"type\":\"insecureAcceptAnything\"}]}}}");
    assertThat(refused(p, REF)).isEqualTo(Failure.POLICY_DENIED);
    assertThat(verify(p, "registry.example.com/team/app:v2").rules())
        .containsExactly("insecureAcceptAnything");
    assertThat(verify(p, "mirror.example.com/x/y:v1").rules())
        .containsExactly("insecureAcceptAnything");
    assertThat(refused(p, "quay.io/x/y:v1")).isEqualTo(Failure.POLICY_DENIED);
    assertThat(SignaturePolicy.scopes(DockerReference.parse("a.b.example.com:5000/x/y:t")))
        .containsExactly(
            "a.b.example.com:5000/x/y:t",
            "a.b.example.com:5000/x/y",
            "a.b.example.com:5000/x",
            "a.b.example.com:5000",
            "*.b.example.com",
            "*.example.com",
            "*.com",
            "");
  }

  @Test
  void everyRequirementOfTheScopeMustHold() throws Exception {
    CosignSignatures.attach(
        layout, digest, List.of(CosignSignatures.signed(digest, REF, ec.getPrivate())));
    String data = Base64.getEncoder().encodeToString(pem(ec).getBytes(StandardCharsets.US_ASCII));
    SignaturePolicy p =
        policy(
            "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyData\":\""
                + data
                + "\"},{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k.gpg\"}]}");
    assertThat(refused(p, REF)).isEqualTo(Failure.UNSUPPORTED);
  }

  @Test
  void aMissingKeyFileIsAnIoErrorNotAnAcceptance() throws Exception {
    CosignSignatures.attach(
        layout, digest, List.of(CosignSignatures.signed(digest, REF, ec.getPrivate())));
    SignaturePolicy p =
        policy(
            "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\""
                + dir.resolve("none")
                + "\"}]}");
    assertThrows(NoSuchFileException.class, () -> verify(p, REF));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "{\"default\":[]}",
        "{\"default\":[{\"type\":\"acceptEverything\"}]}",
        "{\"default\":[{\"type\":\"reject\",\"extra\":1}]}",
        "{\"default\":[{\"type\":\"insecureAcceptAnything\"}],\"extra\":{}}",
        "{\"default\":[{\"type\":\"sigstoreSigned\"}]}",
        "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\",\"keyData\":\"AA==\"}]}",
        "{\"default\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\"/a\","
            + "\"signedIdentity\":{\"type\":\"matchSomething\"}}]}",
        "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"x\":{}}}}",
        "[1,2]",
        "{\"default\":[{\"type\":\"reject\"}],\"default\":[{\"type\":\"insecureAcceptAnything\"}]}",
        "not json"
      })
  void malformedPoliciesAreRefused(String json) {
    VerificationException e = assertThrows(VerificationException.class, () -> policy(json));
    assertThat(e.failure()).isEqualTo(Failure.MALFORMED);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"busybox", "busybox:latest", "Registry.io/a:b", "quay.io/a:b@sha256:12", ""})
  void shortOrMalformedReferencesAreRefused(String ref) {
    assertThrows(IllegalArgumentException.class, () -> DockerReference.parse(ref));
  }

  /** Stores {@code m} and points the {@code v1} entry at it, leaving other entries; its digest. */
  private String retag(ObjectNode m) throws Exception {
    byte[] bytes = OciTestImages.JSON.writeValueAsBytes(m);
    String d = OciTestImages.blob(layout, bytes);
    ObjectNode index =
        (ObjectNode) OciTestImages.JSON.readTree(layout.resolve("index.json").toFile());
    for (var e : (ArrayNode) index.get("manifests")) {
      if ("v1".equals(e.path("annotations").path(OciLayout.REF_NAME).asText())) {
        ((ObjectNode) e).put("digest", d).put("size", bytes.length);
      }
    }
    Files.write(layout.resolve("index.json"), OciTestImages.JSON.writeValueAsBytes(index));
    return d;
  }
}
