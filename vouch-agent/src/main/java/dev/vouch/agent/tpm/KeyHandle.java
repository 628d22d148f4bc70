package dev.vouch.agent.tpm;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.TpmPublic;

/** A loaded TPM key the client can use as parent, signer or decryptor. */
public sealed interface KeyHandle permits TransientKey, PersistentKey {
  /** The TPM handle. */
  int handle();

  /** The key's TPM2B_PUBLIC as the TPM returned it. */
  byte[] publicArea();

  /** The key's name (nameAlg id + digest of the TPMT_PUBLIC). */
  byte[] name();

  /** The public area decoded. */
  default TpmPublic parsedPublic() throws TpmException {
    try {
      return TpmPublic.parse(publicArea());
    } catch (VerificationException e) {
      throw TpmException.protocol(null, "unreadable public area: " + e.getMessage(), e);
    }
  }
}
