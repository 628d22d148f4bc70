package dev.vouch.server.as;

import dev.vouch.core.VerificationException;

/**
 * What a relying party (the KBS in background-check mode) needs from an attestation service: verify
 * evidence, check its runtime-data and init-data binding, appraise it with policies, and return a
 * signed EAR token. Implemented in-process by the attestation service, and over HTTP for a remote
 * one.
 */
public interface AttestationBackend {

  /**
   * Attests once.
   *
   * @return the signed token, also for a contraindicated result (the status says so)
   * @throws VerificationException when the evidence fails verification or binding (a precise
   *     failure code); no token is issued then
   */
  AttestationOutcome attest(AttestationInput input) throws VerificationException;
}
