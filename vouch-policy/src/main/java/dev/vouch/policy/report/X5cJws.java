package dev.vouch.policy.report;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.Base64URL;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.pki.CertPaths;
import dev.vouch.core.pki.PathResult;
import dev.vouch.core.pki.PathSettings;
import dev.vouch.core.pki.Revocation;
import java.io.ByteArrayInputStream;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Compact JWS objects signed by the server's reporting key with its certificate chain in {@code
 * x5c} and a {@code typ} that says what the payload is (trust reports, audit checkpoints). The one
 * place where such objects are signed and checked, so that every signed artifact of the server is
 * verified the same way: ES256/ES384 only, the chain validated to a pinned root, the leaf allowed
 * to sign data, and the {@code typ} required, since one key signs several kinds of objects.
 */
public final class X5cJws {
  private X5cJws() {}

  /** A payload whose signature and chain checked out. */
  public record Verified(byte[] payload, boolean revocationChecked) {}

  /**
   * A signer for one key and chain, checked once.
   *
   * @param key EC P-256 or P-384
   * @param chain leaf first; the leaf must hold the key's public half
   * @param type the {@code typ} every object it signs carries
   * @throws VerificationException UNSUPPORTED for a key of another kind, KEY_MISMATCH when the leaf
   *     certificate is for another key, MALFORMED for an empty chain
   */
  public static Signer signer(PrivateKey key, List<X509Certificate> chain, String type)
      throws VerificationException {
    if (!(key instanceof ECPrivateKey ec)) {
      throw new VerificationException(Failure.UNSUPPORTED, "signed with EC keys only");
    }
    if (chain.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, "the certificate chain is empty");
    }
    JWSAlgorithm alg = algorithm(ec);
    if (!(chain.get(0).getPublicKey() instanceof ECPublicKey leaf)
        || !leaf.getParams().getCurve().equals(ec.getParams().getCurve())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "the leaf certificate is not for the signing key");
    }
    List<Base64> x5c = new ArrayList<>();
    try {
      for (X509Certificate c : chain) {
        x5c.add(Base64.encode(c.getEncoded()));
      }
      Signer signer =
          new Signer(
              new JWSHeader.Builder(alg).type(new JOSEObjectType(type)).x509CertChain(x5c).build(),
              new ECDSASigner(ec));
      // a key that does not belong to the leaf certificate would sign what nobody can verify
      JWSObject probe = new JWSObject(signer.header, new Payload(new byte[] {0}));
      probe.sign(signer.jws);
      if (!probe.verify(new ECDSAVerifier(leaf))) {
        throw new VerificationException(
            Failure.KEY_MISMATCH, "the leaf certificate is not for the signing key");
      }
      return signer;
    } catch (CertificateException | JOSEException e) {
      throw new VerificationException(Failure.UNSUPPORTED, "cannot sign: " + e.getMessage());
    }
  }

  /** Signs payloads with one checked key, chain and type; thread-safe. */
  public static final class Signer {
    private final JWSHeader header;
    private final ECDSASigner jws;
    // the header (with its x5c chain) never changes: encoded once, not for every signature
    private final String encodedHeader;

    private Signer(JWSHeader header, ECDSASigner jws) {
      this.header = header;
      this.jws = jws;
      this.encodedHeader = header.toBase64URL().toString();
    }

    /** The compact JWS of {@code payload}. */
    public String sign(byte[] payload) throws VerificationException {
      String input = encodedHeader + "." + Base64URL.encode(payload);
      return input + "." + signature(input);
    }

    /**
     * The JWS of {@code payload} with the payload left out ({@code header..signature}, RFC 7515
     * appendix F), for a signature carried next to the bytes it signs (a message header).
     */
    public String signDetached(byte[] payload) throws VerificationException {
      return encodedHeader + ".." + signature(encodedHeader + "." + Base64URL.encode(payload));
    }

    private Base64URL signature(String signingInput) throws VerificationException {
      try {
        return jws.sign(header, signingInput.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      } catch (JOSEException e) {
        throw new VerificationException(Failure.UNSUPPORTED, "cannot sign: " + e.getMessage());
      }
    }
  }

  /**
   * Verifies a compact JWS of the given type and returns its payload.
   *
   * @param what what the object is, for messages ("report", "checkpoint")
   * @throws VerificationException MALFORMED (not a JWS, bad certificate, another {@code typ}),
   *     UNSUPPORTED (algorithm other than ES256/ES384), CHAIN_UNTRUSTED (no {@code x5c}, or no path
   *     to a trusted root), CERT_EXPIRED, CERT_REVOKED and the CRL codes of {@link CertPaths},
   *     KEY_MISMATCH, SIGNATURE_INVALID
   */
  public static Verified verify(
      String jws,
      String type,
      String what,
      List<X509Certificate> trustedRoots,
      List<X509CRL> crls,
      Instant at,
      Revocation revocation)
      throws VerificationException {
    JWSObject parsed;
    try {
      parsed = JWSObject.parse(jws.strip());
    } catch (ParseException e) {
      throw new VerificationException(Failure.MALFORMED, "not a compact JWS: " + e.getMessage());
    }
    return verify(parsed, type, what, trustedRoots, crls, at, revocation);
  }

  /**
   * Verifies a detached JWS ({@link Signer#signDetached}) over {@code payload}.
   *
   * @throws VerificationException as {@link #verify(String, String, String, List, List, Instant,
   *     Revocation)}
   */
  public static Verified verifyDetached(
      String jws,
      byte[] payload,
      String type,
      String what,
      List<X509Certificate> trustedRoots,
      Instant at)
      throws VerificationException {
    JWSObject parsed;
    try {
      parsed = JWSObject.parse(jws.strip(), new Payload(payload));
    } catch (ParseException e) {
      throw new VerificationException(
          Failure.MALFORMED, "not a detached compact JWS: " + e.getMessage());
    }
    return verify(parsed, type, what, trustedRoots, List.of(), at, Revocation.DISABLED);
  }

  private static Verified verify(
      JWSObject parsed,
      String type,
      String what,
      List<X509Certificate> trustedRoots,
      List<X509CRL> crls,
      Instant at,
      Revocation revocation)
      throws VerificationException {
    JWSAlgorithm alg = parsed.getHeader().getAlgorithm();
    if (!JWSAlgorithm.ES256.equals(alg) && !JWSAlgorithm.ES384.equals(alg)) {
      throw new VerificationException(Failure.UNSUPPORTED, what + " signed with " + alg);
    }
    JOSEObjectType typ = parsed.getHeader().getType();
    if (typ == null || !type.equals(typ.getType())) {
      throw new VerificationException(
          Failure.MALFORMED, "the JWS is not typed " + type + " but " + typ);
    }
    List<Base64> x5c = parsed.getHeader().getX509CertChain();
    if (x5c == null || x5c.isEmpty()) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, "the " + what + " carries no certificate chain (x5c)");
    }
    List<X509Certificate> chain = new ArrayList<>();
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      for (Base64 b : x5c) {
        chain.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.decode())));
      }
    } catch (CertificateException | RuntimeException e) {
      throw new VerificationException(Failure.MALFORMED, "bad x5c certificate: " + e.getMessage());
    }
    if (trustedRoots.isEmpty()) {
      throw new VerificationException(Failure.CHAIN_UNTRUSTED, "no trusted root configured");
    }
    PathSettings settings =
        PathSettings.of(trustedRoots).withRevocation(revocation).withLeafSigningData(true);
    PathResult path;
    try {
      path = CertPaths.validate(chain, crls, at, settings);
    } catch (VerificationException e) {
      throw new VerificationException(
          e.failure(), "the " + what + "'s chain: " + e.getMessage(), e);
    }
    X509Certificate leaf = chain.get(0);
    if (!(leaf.getPublicKey() instanceof ECPublicKey key) || !alg.equals(algorithm(key))) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "the leaf certificate's key does not fit " + alg);
    }
    try {
      if (!parsed.verify(new ECDSAVerifier(key))) {
        throw new VerificationException(
            Failure.SIGNATURE_INVALID, "the " + what + "'s signature does not verify");
      }
    } catch (JOSEException e) {
      throw new VerificationException(Failure.SIGNATURE_INVALID, e.getMessage());
    }
    return new Verified(parsed.getPayload().toBytes(), path.revocationChecked());
  }

  private static JWSAlgorithm algorithm(ECKey key) throws VerificationException {
    int bits = key.getParams().getCurve().getField().getFieldSize();
    return switch (bits) {
      case 256 -> JWSAlgorithm.ES256;
      case 384 -> JWSAlgorithm.ES384;
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, "keys are P-256 or P-384, not a " + bits + "-bit curve");
    };
  }
}
