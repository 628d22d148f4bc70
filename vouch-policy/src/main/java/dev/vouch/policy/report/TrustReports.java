package dev.vouch.policy.report;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.pki.Revocation;
import java.security.PrivateKey;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
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
    return new Signer(X5cJws.signer(key, chain, TYPE));
  }

  /** Signs reports with one checked key and chain; thread-safe. */
  public static final class Signer {
    private final X5cJws.Signer jws;

    private Signer(X5cJws.Signer jws) {
      this.jws = jws;
    }

    /** The compact JWS of {@code report}, typed {@code vouch-trust-report+jws}, with x5c. */
    public String sign(TrustReport report) throws VerificationException {
      return jws.sign(TrustReportJson.toCompactBytes(report));
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
    X5cJws.Verified v = X5cJws.verify(jws, TYPE, "report", trustedRoots, crls, at, revocation);
    TrustReport report = TrustReportJson.read(v.payload());
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
    return new Verified(report, v.revocationChecked());
  }
}
