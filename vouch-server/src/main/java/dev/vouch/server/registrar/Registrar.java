package dev.vouch.server.registrar;

import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.CredentialProtection;
import dev.vouch.evidence.tpm.TpmPublic;
import dev.vouch.evidence.tpm.protocol.HostIds;
import java.io.ByteArrayInputStream;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * Enrolls attestation keys, as a privacy CA or Keylime's registrar does, in two steps:
 *
 * <ol>
 *   <li>{@link #begin}: checks the EK certificate chain against the configured manufacturer roots,
 *       that the certificate's key is the EK the agent sent, and that the AK is a restricted
 *       signing key bound to its TPM (fixedTPM, fixedParent, sensitiveDataOrigin, restricted, sign,
 *       not decrypt); then protects a fresh 32-byte secret for that EK and the AK's name
 *       (MakeCredential) and returns it as a challenge that expires;
 *   <li>{@link #complete}: accepts the secret back once (constant-time comparison); only then is
 *       the AK recorded as trusted for the host.
 * </ol>
 *
 * A TPM recovers the secret only if it holds the EK's private key and has an object with exactly
 * the AK's name loaded, so the answer proves the AK lives in the certified TPM. Each challenge can
 * be answered once: a second answer, right or wrong, is {@link EnrollmentError#CHALLENGE_REPLAYED}.
 *
 * <p>Thread-safe when the store is.
 */
public final class Registrar {
  private static final Logger LOG = Logger.getLogger(Registrar.class.getName());

  /** Credential secret size: the EK name algorithm's digest size for SHA-256 EKs. */
  static final int SECRET_SIZE = 32;

  /** Attributes an AK must have for its quotes to prove anything. */
  static final int AK_REQUIRED =
      TpmPublic.FIXED_TPM
          | TpmPublic.FIXED_PARENT
          | TpmPublic.SENSITIVE_DATA_ORIGIN
          | TpmPublic.RESTRICTED
          | TpmPublic.SIGN_ENCRYPT;

  /**
   * Expired challenges are remembered this many lifetimes, to report expiry rather than unknown.
   */
  private static final int EXPIRED_RETENTION = 10;

  private final EkTrust ekTrust;
  private final EnrollmentStore store;
  private final Clock clock;
  private final Duration challengeLifetime;
  private final SecureRandom random;

  /**
   * @param ekTrust manufacturer roots for EK certificates
   * @param store challenges and enrolled hosts
   * @param clock time source for certificate validity and challenge expiry
   * @param challengeLifetime how long an agent has to answer (e.g. 60 s)
   * @param random source of challenge secrets and ids
   */
  public Registrar(
      EkTrust ekTrust,
      EnrollmentStore store,
      Clock clock,
      Duration challengeLifetime,
      SecureRandom random) {
    this.ekTrust = Objects.requireNonNull(ekTrust, "ekTrust");
    this.store = Objects.requireNonNull(store, "store");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (challengeLifetime.isNegative() || challengeLifetime.isZero()) {
      throw new IllegalArgumentException("challenge lifetime must be positive");
    }
    this.challengeLifetime = challengeLifetime;
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * Checks the request and issues a challenge.
   *
   * @throws EnrollmentException MALFORMED_REQUEST, EK_CHAIN_UNTRUSTED, EK_CERT_EXPIRED,
   *     EK_KEY_MISMATCH, EK_UNSUPPORTED, AK_NOT_RESTRICTED_SIGNING or HOST_BOUND_TO_OTHER_TPM
   */
  public EnrollmentChallenge begin(EnrollmentRequest request) throws EnrollmentException {
    Instant now = clock.instant();
    if (!HostIds.isValid(request.hostId())) {
      throw new EnrollmentException(
          EnrollmentError.MALFORMED_REQUEST, "host id must be 1-128 characters of A-Z a-z 0-9 _ -");
    }
    X509Certificate cert = certificate(request.ekCertificate());
    TpmPublic ek = tpmPublic(request.ekPublic(), "EK");
    TpmPublic ak = tpmPublic(request.akPublic(), "AK");
    ekTrust.validate(cert, now);
    requireSameKey(cert, ek);
    requireRestrictedSigning(ak);
    String fingerprint = fingerprint(request.ekCertificate());
    java.util.Optional<EnrolledHost> existing = store.host(request.hostId());
    if (existing.isPresent() && !existing.get().ekCertificateSha256().equals(fingerprint)) {
      throw new EnrollmentException(
          EnrollmentError.HOST_BOUND_TO_OTHER_TPM,
          "host " + request.hostId() + " is enrolled with another EK certificate; remove it first");
    }
    byte[] secret = new byte[SECRET_SIZE];
    random.nextBytes(secret);
    CredentialProtection.Credential credential;
    try {
      credential = CredentialProtection.makeCredential(ek.toTpm2b(), ak.name(), secret);
    } catch (VerificationException e) {
      throw new EnrollmentException(
          EnrollmentError.EK_UNSUPPORTED, "cannot protect a credential: " + e.getMessage(), e);
    }
    String id = challengeId();
    Instant expires = now.plus(challengeLifetime);
    EnrolledHost host =
        new EnrolledHost(request.hostId(), fingerprint, ak.toTpm2b(), ak.name(), now);
    store.forgetChallengesBefore(now.minus(challengeLifetime.multipliedBy(EXPIRED_RETENTION)));
    store.putChallenge(new PendingChallenge(id, host, secret, expires, request.placement()));
    LOG.info(() -> "host " + request.hostId() + ": enrollment challenge " + id + " issued");
    return new EnrollmentChallenge(
        id, credential.idObject(), credential.encryptedSecret(), expires);
  }

  /**
   * Accepts the agent's recovered secret and enrolls the host.
   *
   * @throws EnrollmentException CHALLENGE_UNKNOWN, CHALLENGE_REPLAYED, CHALLENGE_EXPIRED or
   *     ACTIVATION_FAILED; the challenge is used up in every case but UNKNOWN
   */
  public EnrolledHost complete(String challengeId, byte[] secret) throws EnrollmentException {
    return activate(challengeId, secret).host();
  }

  /**
   * An enrolled host and the placement its agent asked for at {@link #begin}.
   *
   * @param host the host as recorded
   * @param placement where the attestation manager should put it
   */
  public record Activation(EnrolledHost host, Placement placement) {}

  /**
   * As {@link #complete}, and also says which placement the agent asked for, so that the caller can
   * hand the host to the attestation manager.
   *
   * @throws EnrollmentException as {@link #complete}
   */
  public Activation activate(String challengeId, byte[] secret) throws EnrollmentException {
    Instant now = clock.instant();
    PendingChallenge pending =
        switch (store.consume(challengeId)) {
          case EnrollmentStore.Consumed.Unknown u ->
              throw new EnrollmentException(
                  EnrollmentError.CHALLENGE_UNKNOWN, "no challenge " + challengeId);
          case EnrollmentStore.Consumed.AlreadyUsed used ->
              throw new EnrollmentException(
                  EnrollmentError.CHALLENGE_REPLAYED,
                  "challenge " + challengeId + " was already answered");
          case EnrollmentStore.Consumed.Fresh fresh -> fresh.challenge();
        };
    String hostId = pending.host().hostId();
    if (now.isAfter(pending.expiresAt())) {
      LOG.info(() -> "host " + hostId + ": challenge " + challengeId + " answered too late");
      throw new EnrollmentException(
          EnrollmentError.CHALLENGE_EXPIRED,
          "challenge " + challengeId + " expired at " + pending.expiresAt());
    }
    if (!Crypto.constantTimeEquals(pending.secret(), secret)) {
      LOG.info(() -> "host " + hostId + ": activation of challenge " + challengeId + " failed");
      throw new EnrollmentException(
          EnrollmentError.ACTIVATION_FAILED,
          "the returned secret is not the one protected for the TPM's EK and the AK");
    }
    EnrolledHost host =
        new EnrolledHost(
            hostId,
            pending.host().ekCertificateSha256(),
            pending.host().akPublic(),
            pending.host().akName(),
            now);
    store.putHost(host);
    LOG.info(() -> "host " + hostId + ": enrolled, AK " + Hex.encode(host.akName()));
    return new Activation(host, pending.placement());
  }

  /** The enrolled host, if any. */
  public java.util.Optional<EnrolledHost> host(String hostId) {
    return store.host(hostId);
  }

  /**
   * Forgets an enrolled host, e.g. before it enrolls again with a replaced TPM.
   *
   * @return false when the host was not enrolled
   */
  public boolean remove(String hostId) {
    boolean removed = store.removeHost(hostId);
    if (removed) {
      LOG.info(() -> "host " + hostId + ": enrollment removed");
    }
    return removed;
  }

  private static X509Certificate certificate(byte[] der) throws EnrollmentException {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | ClassCastException e) {
      throw new EnrollmentException(
          EnrollmentError.MALFORMED_REQUEST, "EK certificate is not a DER X.509 certificate", e);
    }
  }

  private static TpmPublic tpmPublic(byte[] tpm2b, String what) throws EnrollmentException {
    try {
      TpmPublic p = TpmPublic.fromTpm2b(tpm2b);
      p.toPublicKey(); // an unusable key is a malformed request, not a later surprise
      return p;
    } catch (VerificationException e) {
      throw new EnrollmentException(
          EnrollmentError.MALFORMED_REQUEST, what + " public area: " + e.getMessage(), e);
    }
  }

  private static void requireSameKey(X509Certificate cert, TpmPublic ek)
      throws EnrollmentException {
    try {
      PublicKey certified = cert.getPublicKey();
      if (!sameKey(ek.toPublicKey(), certified)) {
        throw new EnrollmentException(
            EnrollmentError.EK_KEY_MISMATCH,
            "the EK certificate certifies another key than the EK sent");
      }
    } catch (VerificationException e) {
      throw new EnrollmentException(
          EnrollmentError.MALFORMED_REQUEST, "EK public area: " + e.getMessage(), e);
    }
    if (!ek.hasAttribute(TpmPublic.RESTRICTED) || !ek.hasAttribute(TpmPublic.DECRYPT)) {
      throw new EnrollmentException(
          EnrollmentError.EK_UNSUPPORTED, "the EK is not a restricted decryption key");
    }
  }

  private static void requireRestrictedSigning(TpmPublic ak) throws EnrollmentException {
    int attrs = ak.objectAttributes();
    if ((attrs & AK_REQUIRED) != AK_REQUIRED || (attrs & TpmPublic.DECRYPT) != 0) {
      throw new EnrollmentException(
          EnrollmentError.AK_NOT_RESTRICTED_SIGNING,
          String.format(
              "AK objectAttributes 0x%08x lack fixedTPM|fixedParent|sensitiveDataOrigin|"
                  + "restricted|sign or allow decrypt",
              attrs));
    }
  }

  private static boolean sameKey(PublicKey a, PublicKey b) {
    if (a instanceof RSAPublicKey ra && b instanceof RSAPublicKey rb) {
      return ra.getModulus().equals(rb.getModulus())
          && ra.getPublicExponent().equals(rb.getPublicExponent());
    }
    if (a instanceof ECPublicKey ea && b instanceof ECPublicKey eb) {
      return ea.getW().equals(eb.getW())
          && ea.getParams().getCurve().getField().getFieldSize()
              == eb.getParams().getCurve().getField().getFieldSize();
    }
    return false;
  }

  private static String fingerprint(byte[] der) {
    return Hex.encode(HashAlg.SHA256.digest(der));
  }

  private String challengeId() {
    byte[] id = new byte[16];
    random.nextBytes(id);
    return Hex.encode(id);
  }
}
