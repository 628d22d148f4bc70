package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.trust.Enrollment;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.CredentialProtection;
import dev.vouch.evidence.tpm.TpmPublic;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A host whose TPM loses power without TPM2_Shutdown, again and again: the enrolled AK must keep
 * quoting and credential activation must keep working. A TPM counts such a restart as a possible
 * dictionary attack on every DA-protected object used since the last orderly shutdown, so an AK
 * without {@code noDA} ends in TPM_RC_LOCKOUT after a few of them.
 */
class UncleanTpmRestartTest {
  private static final int RESTARTS = 8;
  private static final List<PcrSelection> PCRS = List.of(PcrSelection.of(HashAlg.SHA256, 0, 7));

  private Swtpm swtpm;
  private TpmClient tpm;

  @BeforeEach
  void start() throws Exception {
    swtpm = Swtpm.start();
    tpm = swtpm.client();
  }

  @AfterEach
  void stop() throws Exception {
    tpm.close();
    swtpm.close();
  }

  @Test
  void quotesAndActivationKeepWorkingAfterRepeatedUncleanRestarts() throws Exception {
    Enrollment enrollment = Enrollment.withDefaults(tpm);
    Enrollment.Material m = enrollment.prepare();
    PublicKey akKey = AkKeys.parse(m.akPublic()).publicKey();
    SecureRandom random = new SecureRandom();
    for (int i = 0; i <= RESTARTS; i++) {
      PersistentKey ak = Enrollment.withDefaults(tpm).ak();
      byte[] nonce = new byte[32];
      random.nextBytes(nonce);
      Attestation quote = tpm.quote(ak, nonce, PCRS);
      assertThat(verifies(akKey, quote)).as("quote after %d unclean restarts", i).isTrue();

      // the registrar's challenge: only this TPM, holding this AK, recovers the secret
      byte[] secret = new byte[16];
      random.nextBytes(secret);
      CredentialProtection.Credential c =
          CredentialProtection.makeCredential(m.ekPublic(), ak.name(), secret);
      byte[] recovered =
          enrollment.activate(new Enrollment.Challenge("c" + i, c.idObject(), c.encryptedSecret()));
      assertThat(recovered).as("activation after %d unclean restarts", i).isEqualTo(secret);

      tpm.close();
      swtpm.crashAndRestart();
      tpm = swtpm.client();
      enrollment = Enrollment.withDefaults(tpm);
    }
  }

  @Test
  void anAkPersistedWithoutNoDaIsReplacedByOneWithIt() throws Exception {
    byte[] old = KeyTemplate.akEccP256().tpmtPublic();
    old[6] &= (byte) ~(ObjectAttributes.NO_DA >> 8); // TPMA_OBJECT: big-endian u32 at offset 4
    Enrollment before =
        new Enrollment(
            tpm, EkTemplate.RSA_2048, new KeyTemplate("old AK", old), Enrollment.DEFAULT_AK_HANDLE);
    byte[] oldAk = before.prepare().akPublic();
    assertThat(TpmPublic.fromTpm2b(oldAk).objectAttributes() & ObjectAttributes.NO_DA).isZero();

    byte[] newAk = Enrollment.withDefaults(tpm).prepare().akPublic();
    assertThat(TpmPublic.fromTpm2b(newAk).objectAttributes() & ObjectAttributes.NO_DA)
        .isEqualTo(ObjectAttributes.NO_DA);
    assertThat(Enrollment.withDefaults(tpm).ak().publicArea()).isEqualTo(newAk);
  }

  private static boolean verifies(PublicKey key, Attestation quote) throws Exception {
    return Tools.verify(key, quote.attest(), quote.signature());
  }
}
