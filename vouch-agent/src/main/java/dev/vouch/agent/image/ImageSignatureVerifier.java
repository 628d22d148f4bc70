package dev.vouch.agent.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks an image against a {@link SignaturePolicy}. Sigstore signatures come from skopeo's {@code
 * dir:} transport ({@code signature-N} files in containers/image's sigstore-json format, which is
 * where upstream skopeo's {@code --sign-by-sigstore-private-key} writes them), or from an OCI
 * layout in cosign's layout: a signature image tagged {@code sha256-<manifest hex>.sig} whose
 * layers are simple-signing payloads ({@code application/vnd.dev.cosign.simplesigning.v1+json}),
 * each with its base64 signature in the {@code dev.cosignproject.cosign/signature} annotation. A
 * signature counts for a {@code sigstoreSigned} rule when, in this order, it verifies over the
 * payload bytes with one of the rule's keys (ECDSA or RSA PKCS#1 v1.5 with SHA-256), the payload is
 * a well-formed {@code cosign container image signature}, its {@code docker-manifest-digest} is the
 * image's manifest digest, and its {@code docker-reference} passes the rule's identity check.
 *
 * <p>Failures, first signature's first: {@link Failure#SIGNATURE_INVALID} (no key verifies it),
 * {@link Failure#MALFORMED} (payload), {@link Failure#DIGEST_MISMATCH} (signed another manifest, or
 * a blob differs from its descriptor), {@link Failure#IDENTITY_MISMATCH}, {@link
 * Failure#SIGNATURE_MISSING} (no signature at all), {@link Failure#POLICY_DENIED} ({@code reject}),
 * {@link Failure#UNSUPPORTED} (a rule this implementation does not check).
 */
public final class ImageSignatureVerifier {
  static final String SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json";
  static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
  static final String PAYLOAD_TYPE = "cosign container image signature";

  /** The format line containers/image writes before a sigstore signature in a file. */
  static final String SIGSTORE_FORMAT = "sigstore-json";

  private static final int MAX_SIGNATURES = 64;
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----");

  /** Reads the key a {@code keyPath} names (a file, or a resource already fetched). */
  @FunctionalInterface
  public interface KeyPaths {
    byte[] read(String keyPath) throws IOException;
  }

  /** An accepted image: its manifest digest, the identity it was judged as, and the rules met. */
  public record Accepted(String manifestDigest, DockerReference reference, List<String> rules) {
    public Accepted {
      rules = List.copyOf(rules);
    }
  }

  private final SignaturePolicy policy;
  private final KeyPaths keyPaths;

  public ImageSignatureVerifier(SignaturePolicy policy, KeyPaths keyPaths) {
    this.policy = policy;
    this.keyPaths = keyPaths;
  }

  /**
   * Judges the image {@code image} known as {@code reference}: every requirement its scope lists
   * must hold.
   *
   * @throws VerificationException with the stable code of the first requirement that fails
   * @throws IOException when the layout or a key file cannot be read
   */
  public Accepted verify(SignedImage image, DockerReference reference)
      throws VerificationException, IOException {
    Signed signed =
        switch (image) {
          case OciRef o -> oci(o);
          case DirRef d -> dir(d);
        };
    List<String> met = new ArrayList<>();
    for (SignaturePolicy.Requirement r : policy.requirementsFor(reference)) {
      switch (r) {
        case SignaturePolicy.AcceptAnything a -> met.add("insecureAcceptAnything");
        case SignaturePolicy.Reject x ->
            throw new VerificationException(
                Failure.POLICY_DENIED,
                "the policy rejects every image in the scope of " + reference);
        case SignaturePolicy.Unsupported u ->
            throw new VerificationException(
                Failure.UNSUPPORTED, "the policy requires " + u.what() + ", which is not checked");
        case SignaturePolicy.SigstoreSigned s -> {
          sigstore(signed, reference, s);
          met.add("sigstoreSigned");
        }
      }
    }
    return new Accepted(signed.manifestDigest(), reference, met);
  }

  /** The manifest digest signatures must cover, and the signatures, read only when a rule asks. */
  private record Signed(String manifestDigest, Candidates candidates) {}

  @FunctionalInterface
  private interface Candidates {
    List<Candidate> read() throws VerificationException, IOException;
  }

  /**
   * One signature to check. Its payload is read when it is checked, so that a broken signature
   * among several is that signature's failure, not the image's.
   */
  private record Candidate(Payload payload, String signatureBase64) {}

  @FunctionalInterface
  private interface Payload {
    byte[] read() throws VerificationException, IOException;
  }

  private static Signed oci(OciRef image) throws VerificationException, IOException {
    JsonNode index =
        OciLayout.parseJson(OciLayout.readSmall(image.dir().resolve("index.json")), "index.json");
    ObjectNode desc = OciLayout.pickManifest(index, image);
    // the manifest must be the bytes its descriptor names: the digest is what signatures cover
    OciLayout.readBlob(image.dir(), desc, "manifest");
    String digest = OciLayout.digestOf(desc, "manifest").text();
    return new Signed(digest, () -> cosignTag(image, index, digest));
  }

  private static Signed dir(DirRef image) throws IOException {
    byte[] manifest = OciLayout.readSmall(image.dir().resolve("manifest.json"));
    String digest = OciLayout.Digest.sha256Of(OciLayout.sha256(manifest)).text();
    return new Signed(digest, () -> signatureFiles(image));
  }

  private void sigstore(
      Signed image, DockerReference reference, SignaturePolicy.SigstoreSigned rule)
      throws VerificationException, IOException {
    List<PublicKey> keys = new ArrayList<>();
    for (SignaturePolicy.Key k : rule.keys()) {
      byte[] pem =
          switch (k) {
            case SignaturePolicy.KeyData d -> d.pem();
            case SignaturePolicy.KeyPath p -> keyPaths.read(p.path());
          };
      keys.add(publicKey(pem));
    }
    List<Candidate> signatures = image.candidates().read();
    if (signatures.isEmpty()) {
      throw new VerificationException(
          Failure.SIGNATURE_MISSING,
          "no sigstore signature for manifest " + image.manifestDigest());
    }
    VerificationException first = null;
    for (Candidate c : signatures) {
      try {
        check(c, keys, image.manifestDigest(), reference, rule.identity());
        return;
      } catch (VerificationException e) {
        if (first == null) {
          first = e;
        }
      }
    }
    throw first;
  }

  /** One signature: signature first, then payload, digest and identity. */
  private static void check(
      Candidate candidate,
      List<PublicKey> keys,
      String digest,
      DockerReference reference,
      SignaturePolicy.Identity identity)
      throws VerificationException, IOException {
    byte[] payload = candidate.payload().read();
    byte[] sig = OciLayout.b64(candidate.signatureBase64(), "signature");
    boolean valid = false;
    for (PublicKey k : keys) {
      SignatureScheme scheme =
          k.getAlgorithm().equals("RSA")
              ? SignatureScheme.RSA_PKCS1_SHA256
              : SignatureScheme.ECDSA_SHA256;
      valid |= Signatures.isValid(scheme, k, payload, sig);
    }
    if (!valid) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, "no key of the rule verifies the signature");
    }
    JsonNode p = OciLayout.parseJson(payload, "signature payload");
    OciLayout.onlyFields(p, "payload", "critical", "optional");
    JsonNode c = p.path("critical");
    OciLayout.onlyFields(c, "payload critical", "type", "image", "identity");
    OciLayout.onlyFields(c.path("image"), "payload critical.image", "docker-manifest-digest");
    OciLayout.onlyFields(c.path("identity"), "payload critical.identity", "docker-reference");
    if (!PAYLOAD_TYPE.equals(c.path("type").asText(null))) {
      throw new VerificationException(
          Failure.MALFORMED, "payload type is not '" + PAYLOAD_TYPE + "'");
    }
    String signedDigest = c.path("image").path("docker-manifest-digest").asText("");
    if (!signedDigest.equals(digest)) {
      throw new VerificationException(
          Failure.DIGEST_MISMATCH,
          "the signature covers manifest " + signedDigest + ", the image's is " + digest);
    }
    DockerReference signed;
    try {
      signed = DockerReference.parse(c.path("identity").path("docker-reference").asText(""));
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "payload docker-reference: " + e);
    }
    if (!identity.accepts(reference, signed)) {
      throw new VerificationException(
          Failure.IDENTITY_MISMATCH,
          "the signature names "
              + signed
              + ", not acceptable for "
              + reference
              + " under "
              + identity);
    }
  }

  /** The signature layers of the image tagged {@code sha256-<hex>.sig}, if there is one. */
  private static List<Candidate> cosignTag(OciRef image, JsonNode index, String digest)
      throws VerificationException, IOException {
    String tag = digest.replace(':', '-') + ".sig";
    List<Candidate> out = new ArrayList<>();
    for (JsonNode m : index.path("manifests")) {
      if (!(m instanceof ObjectNode desc)
          || !tag.equals(desc.path("annotations").path(OciLayout.REF_NAME).asText(null))) {
        continue;
      }
      JsonNode manifest =
          OciLayout.parseJson(
              OciLayout.readBlob(image.dir(), desc, "signature manifest"), "signature manifest");
      for (JsonNode layer : manifest.path("layers")) {
        if (layer instanceof ObjectNode l && SIMPLE_SIGNING.equals(l.path("mediaType").asText())) {
          limit(out);
          out.add(
              new Candidate(
                  () -> OciLayout.readBlob(image.dir(), l, "signature payload"),
                  l.path("annotations").path(SIGNATURE_ANNOTATION).asText("")));
        }
      }
    }
    return out;
  }

  /**
   * The sigstore signatures of a {@code dir:} image: {@code signature-N} files from 1 until the
   * first missing one, as containers/image reads them. A file in another format (simple signing) is
   * not a sigstore signature and is passed over, as containers/image does for a sigstoreSigned
   * rule; a sigstore file that does not parse fails as that signature.
   */
  private static List<Candidate> signatureFiles(DirRef image)
      throws VerificationException, IOException {
    List<Candidate> out = new ArrayList<>();
    for (int i = 1; ; i++) {
      Path f = image.dir().resolve("signature-" + i);
      if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
        return out;
      }
      byte[] blob = OciLayout.readSmall(f);
      int nl = indexOf(blob, (byte) '\n');
      if (blob.length == 0 || blob[0] != 0 || nl < 0) {
        continue;
      }
      if (!SIGSTORE_FORMAT.equals(new String(blob, 1, nl - 1, StandardCharsets.US_ASCII))) {
        continue;
      }
      limit(out);
      byte[] body = Arrays.copyOfRange(blob, nl + 1, blob.length);
      String where = "signature-" + i;
      JsonNode env;
      try {
        env = OciLayout.parseJson(body, where);
        OciLayout.onlyFields(env, where, "mimeType", "payload", "annotations");
      } catch (VerificationException e) {
        out.add(
            new Candidate(
                () -> {
                  throw e;
                },
                ""));
        continue;
      }
      String mime = env.path("mimeType").asText("");
      String payload = env.path("payload").asText("");
      out.add(
          new Candidate(
              () -> {
                if (!SIMPLE_SIGNING.equals(mime)) {
                  throw new VerificationException(
                      Failure.MALFORMED, where + " has media type '" + mime + "'");
                }
                return OciLayout.b64(payload, where + " payload");
              },
              env.path("annotations").path(SIGNATURE_ANNOTATION).asText("")));
    }
  }

  private static void limit(List<Candidate> found) throws VerificationException {
    if (found.size() == MAX_SIGNATURES) {
      throw new VerificationException(
          Failure.MALFORMED, "more than " + MAX_SIGNATURES + " signatures");
    }
  }

  private static int indexOf(byte[] b, byte v) {
    for (int i = 0; i < b.length; i++) {
      if (b[i] == v) {
        return i;
      }
    }
    return -1;
  }

  /** A PEM SubjectPublicKeyInfo, EC or RSA, as cosign writes public keys. */
  static PublicKey publicKey(byte[] pem) throws VerificationException {
    Matcher m = PEM.matcher(new String(pem, StandardCharsets.US_ASCII));
    if (!m.find()) {
      throw new VerificationException(Failure.MALFORMED, "the key is not a PEM PUBLIC KEY");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(1));
    } catch (IllegalArgumentException e) {
      throw new VerificationException(Failure.MALFORMED, "the key's PEM is not base64", e);
    }
    for (String alg : List.of("EC", "RSA")) {
      try {
        return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
      } catch (java.security.GeneralSecurityException e) {
        // try the next family
      }
    }
    throw new VerificationException(Failure.UNSUPPORTED, "the key is neither EC nor RSA");
  }
}
