package dev.vouch.agent.trust;

import dev.vouch.agent.tpm.EkTemplate;
import dev.vouch.agent.tpm.Handles;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.agent.tpm.ObjectAttributes;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.ResponseCode;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.agent.tpm.TransientKey;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.TpmPublic;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * The agent's half of enrollment: proves to a registrar that its attestation key lives in the same
 * TPM as an endorsement key the TPM manufacturer certified.
 *
 * <ol>
 *   <li>{@link #prepare()}: reads the EK certificate from NV, recreates the EK, and makes sure a
 *       restricted signing AK created under that EK is persistent at the AK handle;
 *   <li>the registrar checks the certificate and answers with a credential only this TPM can open,
 *       and only while it holds an object with the AK's name;
 *   <li>{@link #activate}: TPM2_ActivateCredential recovers the registrar's secret, which the agent
 *       returns to prove possession.
 * </ol>
 *
 * {@link #enroll} runs the three steps against a {@link RegistrarClient}. Transient objects (the
 * EK, sessions) are flushed before each method returns.
 */
public final class Enrollment {
  private static final Logger LOG = Logger.getLogger(Enrollment.class.getName());

  /** Where the agent keeps its AK by default (owner range, next to the EK at 0x81010001). */
  public static final int DEFAULT_AK_HANDLE = 0x81010002;

  private final TpmClient tpm;
  private final EkTemplate ekTemplate;
  private final KeyTemplate akTemplate;
  private final int akHandle;

  /**
   * @param tpm the TPM
   * @param ekTemplate which manufacturer EK (and certificate) to use
   * @param akTemplate the AK to create when none is persistent at {@code akHandle}; must be a
   *     restricted signing key
   * @param akHandle the persistent handle of the AK
   */
  public Enrollment(TpmClient tpm, EkTemplate ekTemplate, KeyTemplate akTemplate, int akHandle) {
    this.tpm = Objects.requireNonNull(tpm, "tpm");
    this.ekTemplate = Objects.requireNonNull(ekTemplate, "ekTemplate");
    this.akTemplate = Objects.requireNonNull(akTemplate, "akTemplate");
    if (Handles.type(akHandle) != Handles.type(Handles.PERSISTENT_FIRST)) {
      throw new IllegalArgumentException(
          "AK handle " + Handles.hex(akHandle) + " is not persistent");
    }
    this.akHandle = akHandle;
  }

  /** RSA-2048 EK, ECC P-256 AK at {@link #DEFAULT_AK_HANDLE}. */
  public static Enrollment withDefaults(TpmClient tpm) {
    return new Enrollment(tpm, EkTemplate.RSA_2048, KeyTemplate.akEccP256(), DEFAULT_AK_HANDLE);
  }

  /**
   * What the agent sends to the registrar.
   *
   * @param ekPublic the EK's TPM2B_PUBLIC
   * @param ekCertificate the EK certificate (DER) from the TPM's NV storage
   * @param akPublic the AK's TPM2B_PUBLIC
   */
  public record Material(byte[] ekPublic, byte[] ekCertificate, byte[] akPublic) {
    public Material {
      ekPublic = ekPublic.clone();
      ekCertificate = ekCertificate.clone();
      akPublic = akPublic.clone();
    }

    @Override
    public byte[] ekPublic() {
      return ekPublic.clone();
    }

    @Override
    public byte[] ekCertificate() {
      return ekCertificate.clone();
    }

    @Override
    public byte[] akPublic() {
      return akPublic.clone();
    }
  }

  /** A registrar's challenge: the credential made for this TPM's EK and the AK's name. */
  public record Challenge(String id, byte[] credentialBlob, byte[] encryptedSecret) {
    public Challenge {
      Objects.requireNonNull(id, "id");
      credentialBlob = credentialBlob.clone();
      encryptedSecret = encryptedSecret.clone();
    }

    @Override
    public byte[] credentialBlob() {
      return credentialBlob.clone();
    }

    @Override
    public byte[] encryptedSecret() {
      return encryptedSecret.clone();
    }
  }

  /** How the agent reaches a registrar (HTTPS in production, in-process in tests). */
  public interface RegistrarClient {
    /** Sends the material and returns the registrar's challenge. */
    Challenge begin(String hostId, Material material) throws Exception;

    /** Returns the recovered secret; throws when the registrar refuses it. */
    void complete(String challengeId, byte[] secret) throws Exception;
  }

  /**
   * Reads the EK certificate, recreates the EK and ensures the AK is persistent.
   *
   * @throws TpmException when the TPM has no EK certificate for the template, or fails
   */
  public Material prepare() throws TpmException {
    byte[] cert = tpm.readEkCertificate(ekTemplate);
    try (TransientKey ek = tpm.createEk(ekTemplate)) {
      PersistentKey ak = ensureAk(ek);
      return new Material(ek.publicArea(), cert, ak.publicArea());
    }
  }

  /** The persistent AK; {@link #prepare()} must have run on this TPM once. */
  public PersistentKey ak() throws TpmException {
    return tpm.persistentKey(akHandle);
  }

  /**
   * Recovers the registrar's secret with TPM2_ActivateCredential. The TPM only releases it when the
   * credential was made for this EK and the AK's exact name.
   *
   * @throws TpmException e.g. TPM_RC_INTEGRITY when the credential is for another key or TPM
   */
  public byte[] activate(Challenge challenge) throws TpmException {
    PersistentKey ak = ak();
    try (TransientKey ek = tpm.createEk(ekTemplate)) {
      return tpm.activateCredential(
          ak, ek, challenge.credentialBlob(), challenge.encryptedSecret());
    }
  }

  /**
   * Runs the whole exchange.
   *
   * @return the enrolled AK
   * @throws Exception whatever the TPM or the registrar reports; nothing is retried
   */
  public PersistentKey enroll(String hostId, RegistrarClient registrar) throws Exception {
    Material m = prepare();
    Challenge c = registrar.begin(hostId, m);
    registrar.complete(c.id(), activate(c));
    LOG.info(() -> "host " + hostId + ": attestation key enrolled");
    return ak();
  }

  private PersistentKey ensureAk(TransientKey ek) throws TpmException {
    try {
      PersistentKey existing = tpm.persistentKey(akHandle);
      requireRestrictedSigning(existing.publicArea());
      if (exemptFromLockout(existing.publicArea())) {
        return existing;
      }
      // an AK made before noDA was set: replaced, so unclean restarts cannot lock quoting out;
      // the new AK must be enrolled again (the agent enrolls at every start with --server)
      LOG.warning(
          () ->
              "the AK at "
                  + Handles.hex(akHandle)
                  + " is subject to dictionary-attack lockout; replacing it (enroll again)");
      tpm.evict(akHandle);
    } catch (TpmException e) {
      if (!e.is(ResponseCode.TPM_RC_HANDLE)) {
        throw e;
      }
    }
    try (TransientKey ak = tpm.createAndLoad(ek, akTemplate)) {
      requireRestrictedSigning(ak.publicArea());
      return tpm.persist(ak, akHandle);
    }
  }

  private static boolean exemptFromLockout(byte[] publicArea) throws TpmException {
    try {
      return (TpmPublic.fromTpm2b(publicArea).objectAttributes() & ObjectAttributes.NO_DA) != 0;
    } catch (VerificationException e) {
      throw TpmException.protocol(null, "unreadable AK public area: " + e.getMessage(), e);
    }
  }

  private void requireRestrictedSigning(byte[] publicArea) throws TpmException {
    try {
      if (!TpmPublic.fromTpm2b(publicArea).isRestrictedSigningKey()) {
        throw TpmException.protocol(
            null, "the key at " + Handles.hex(akHandle) + " is not a restricted signing key", null);
      }
    } catch (VerificationException e) {
      throw TpmException.protocol(null, "unreadable AK public area: " + e.getMessage(), e);
    }
  }
}
