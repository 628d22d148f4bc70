package dev.vouch.bench.hosts;

import dev.vouch.agent.sim.SimulatedTpm;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.CredentialProtection;
import dev.vouch.evidence.tpm.TpmPublic;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;

/**
 * A simulated TPM's endorsement key: a software P-256 key in the TCG low-range ECC EK template
 * (L-2), certified by the {@link BenchEkCa}, that opens the registrar's credential as a TPM's
 * ActivateCredential would ({@link CredentialProtection#activate}). The EK's private half stays in
 * this process, as a TPM's stays in the TPM.
 */
final class SimulatedEk {
  private final KeyPair keys;
  private final byte[] tpm2bPublic;
  private final byte[] certificate;

  private SimulatedEk(KeyPair keys, byte[] tpm2bPublic, byte[] certificate) {
    this.keys = keys;
    this.tpm2bPublic = tpm2bPublic;
    this.certificate = certificate;
  }

  static SimulatedEk create(String hostId, BenchEkCa ca, SecureRandom random)
      throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"), random);
    KeyPair keys = g.generateKeyPair();
    ECPublicKey pub = (ECPublicKey) keys.getPublic();
    byte[] tpmt = SimulatedTpm.eccPublicArea(KeyTemplate.ekEccP256().tpmtPublic(), pub);
    try {
      byte[] tpm2b = TpmPublic.fromTpmt(tpmt).toTpm2b();
      return new SimulatedEk(keys, tpm2b, ca.issue(hostId, pub));
    } catch (VerificationException e) {
      throw new IllegalStateException("the EK template does not parse back", e);
    }
  }

  /** What the agent sends the registrar: this EK, its certificate and the AK. */
  Enrollment.Material material(byte[] akTpm2bPublic) {
    return new Enrollment.Material(tpm2bPublic, certificate, akTpm2bPublic);
  }

  /** ActivateCredential for the AK named {@code akName}. */
  byte[] activate(Enrollment.Challenge challenge, byte[] akName) throws VerificationException {
    return CredentialProtection.activate(
        new CredentialProtection.Credential(
            challenge.credentialBlob(), challenge.encryptedSecret()),
        keys.getPrivate(),
        tpm2bPublic,
        akName);
  }
}
