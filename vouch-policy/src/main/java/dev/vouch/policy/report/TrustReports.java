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
 * Signs trust reports as JWS and verifies them.
 *
 * <p>A signed report is a JWS in compact serialization: the payload is the report's JSON ({@link
 * TrustReportJson}), the header carries {@code alg} (ES256 for a P-256 key, ES384 for P-384),
 * {@code typ: "vouch-trust-report+jws"} and {@code x5c}, the reporting key's certificate chain
 * (leaf first). Any JWS library can check it: take the leaf key from {@code x5c}, check the chain
 * to the reporting CA, check the signature, then the report's {@code created}/{@code expiration}.
 */
public final class TrustReports {
  /** The JWS {@code typ} of signed trust reports. */
  public static final String TYPE = "vouch-trust-report+jws";

  private TrustReports() {}

  /**
   * Signs a report.
   *
   * @param key the reporting key, EC P-256 or P-384
   * @param chain its certificate chain, leaf first; the leaf must hold the key's public half
   * @throws VerificationException UNSUPPORTED for a key of another kind, KEY_MISMATCH when the leaf
   *     certificate is for another key, MALFORMED for an empty chain
   */
  public static String sign(TrustReport report, PrivateKey key, List<X509Certificate> chain)
      throws VerificationException {
    return signer(key, chain).sign(report);
  }

  /**
   * A signer for many reports with one key and chain, checked once here (a server signs every
   * attestation's report with the same key).
   *
   * @throws VerificationException as {@link #sign}
   */
  public static Signer signer(PrivateKey key, List<X509Certificate> chain)
      throws VerificationException {
    if (!(key instanceof ECPrivateKey ec)) {
      throw new VerificationException(Failure.UNSUPPORTED, "reports are signed with EC keys only");
    }
    if (chain.isEmpty()) {
      throw new VerificationException(Failure.MALFORMED, "the certificate chain is empty");
    }
    JWSAlgorithm alg = algorithm(ec);
    if (!(chain.get(0).getPublicKey() instanceof ECPublicKey leaf)
        || !leaf.getParams().getCurve().equals(ec.getParams().getCurve())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "the leaf certificate is not for the reporting key");
    }
    List<Base64> x5c = new ArrayList<>();
    try {
      for (X509Certificate c : chain) {
        x5c.add(Base64.encode(c.getEncoded()));
      }
      Signer signer =
          new Signer(
              new JWSHeader.Builder(alg).type(new JOSEObjectType(TYPE)).x509CertChain(x5c).build(),
              new ECDSASigner(ec));
      // a key that does not belong to the leaf certificate would make reports nobody can verify
      JWSObject probe = new JWSObject(signer.header, new Payload(new byte[] {0}));
      probe.sign(signer.jws);
      if (!probe.verify(new ECDSAVerifier(leaf))) {
        throw new VerificationException(
            Failure.KEY_MISMATCH, "the leaf certificate is not for the reporting key");
      }
      return signer;
    } catch (CertificateException | JOSEException e) {
      throw new VerificationException(
          Failure.UNSUPPORTED, "cannot sign reports: " + e.getMessage());
    }
  }

  /** Signs reports with one checked key and chain; thread-safe. */
  public static final class Signer {
    private final JWSHeader header;
    private final ECDSASigner jws;

    private Signer(JWSHeader header, ECDSASigner jws) {
      this.header = header;
      this.jws = jws;
    }

    /** The compact JWS of {@code report}, typed {@code vouch-trust-report+jws}, with x5c. */
    public String sign(TrustReport report) throws VerificationException {
      JWSObject o = new JWSObject(header, new Payload(TrustReportJson.toBytes(report)));
      try {
        o.sign(jws);
      } catch (JOSEException e) {
        throw new VerificationException(
            Failure.UNSUPPORTED, "cannot sign the report: " + e.getMessage());
      }
      return o.serialize();
    }
  }

  /**
   * A report whose signature, certificate path and validity window checked out.
   *
   * @param report the report
   * @param revocationChecked true when current CRLs of every issuer on the reporting key's path
   *     were checked; false from {@link #verifyWithoutRevocation}
   */
  public record Verified(TrustReport report, boolean revocationChecked) {}

  /**
   * Verifies a signed report and returns it; the reporting key's certificate path must be shown
   * unrevoked by current CRLs of every issuer among {@code crls}.
   *
   * @param jws the compact JWS
   * @param trustedRoots the reporting CA certificates
   * @param crls the reporting CAs' CRLs
   * @param at the time to check certificates, CRLs and the report's validity at
   * @throws VerificationException as {@link #verifyWithoutRevocation}, and COLLATERAL_MISSING,
   *     COLLATERAL_EXPIRED (a CRL missing or out of date), CERT_REVOKED
   */
  public static Verified verify(
      String jws, List<X509Certificate> trustedRoots, List<X509CRL> crls, Instant at)
      throws VerificationException {
    return verify(jws, trustedRoots, crls, at, Revocation.REQUIRED);
  }

  /**
   * Verifies a signed report without checking revocation, said explicitly: for reporting CAs that
   * publish no CRL (a Vouch server's own reporting CA does not). The result says {@code
   * revocationChecked() == false}.
   *
   * @param jws the compact JWS
   * @param trustedRoots the reporting CA certificates
   * @param at the time to check certificates and the report's validity at
   * @throws VerificationException MALFORMED (not a JWS, bad certificate, bad report JSON, or not
   *     typed {@code vouch-trust-report+jws}), UNSUPPORTED (algorithm other than ES256/ES384),
   *     CHAIN_UNTRUSTED (no {@code x5c}, or the chain does not lead to a trusted root),
   *     CERT_EXPIRED (a certificate outside its validity at {@code at}), SIGNATURE_INVALID (the
   *     report was changed or signed by another key), TOKEN_EXPIRED ({@code at} is outside the
   *     report's created..expiration window)
   */
  public static Verified verifyWithoutRevocation(
      String jws, List<X509Certificate> trustedRoots, Instant at) throws VerificationException {
    return verify(jws, trustedRoots, List.of(), at, Revocation.DISABLED);
  }

  private static Verified verify(
      String jws,
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
    JWSAlgorithm alg = parsed.getHeader().getAlgorithm();
    if (!JWSAlgorithm.ES256.equals(alg) && !JWSAlgorithm.ES384.equals(alg)) {
      throw new VerificationException(Failure.UNSUPPORTED, "report signed with " + alg);
    }
    // the reporting key may sign other things (tokens); only objects typed as reports are reports
    JOSEObjectType typ = parsed.getHeader().getType();
    if (typ == null || !TYPE.equals(typ.getType())) {
      throw new VerificationException(
          Failure.MALFORMED, "the JWS is not typed " + TYPE + " but " + typ);
    }
    List<Base64> x5c = parsed.getHeader().getX509CertChain();
    if (x5c == null || x5c.isEmpty()) {
      throw new VerificationException(
          Failure.CHAIN_UNTRUSTED, "the report carries no certificate chain (x5c)");
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
    PathResult path = checkChain(chain, trustedRoots, crls, at, revocation);
    X509Certificate leaf = chain.get(0);
    if (!(leaf.getPublicKey() instanceof ECPublicKey key) || !alg.equals(algorithm(key))) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "the leaf certificate's key does not fit " + alg);
    }
    try {
      if (!parsed.verify(new ECDSAVerifier(key))) {
        throw new VerificationException(
            Failure.SIGNATURE_INVALID, "the report's signature does not verify");
      }
    } catch (JOSEException e) {
      throw new VerificationException(Failure.SIGNATURE_INVALID, e.getMessage());
    }
    TrustReport report = TrustReportJson.read(parsed.getPayload().toBytes());
    if (!report.validAt(at)) {
      throw new VerificationException(
          Failure.TOKEN_EXPIRED,
          "the report is valid from "
              + report.created()
              + " to "
              + report.expires()
              + ", not at "
              + at);
    }
    return new Verified(report, path.revocationChecked());
  }

  /**
   * The reporting key's path, validated by the one path validator of Vouch: signatures, validity,
   * keyCertSign on CAs, a reporting certificate whose keyUsage allows digitalSignature, no unknown
   * critical extension, and revocation as the caller chose.
   */
  private static PathResult checkChain(
      List<X509Certificate> chain,
      List<X509Certificate> roots,
      List<X509CRL> crls,
      Instant at,
      Revocation revocation)
      throws VerificationException {
    if (roots.isEmpty()) {
      throw new VerificationException(Failure.CHAIN_UNTRUSTED, "no trusted report root configured");
    }
    PathSettings settings =
        PathSettings.of(roots).withRevocation(revocation).withLeafSigningData(true);
    try {
      return CertPaths.validate(chain, crls, at, settings);
    } catch (VerificationException e) {
      throw new VerificationException(e.failure(), "the report's chain: " + e.getMessage(), e);
    }
  }

  private static JWSAlgorithm algorithm(ECKey key) throws VerificationException {
    int bits = key.getParams().getCurve().getField().getFieldSize();
    return switch (bits) {
      case 256 -> JWSAlgorithm.ES256;
      case 384 -> JWSAlgorithm.ES384;
      default ->
          throw new VerificationException(
              Failure.UNSUPPORTED, "report keys are P-256 or P-384, not a " + bits + "-bit curve");
    };
  }
}
