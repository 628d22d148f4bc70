package dev.vouch.server.hosts;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;

/** How the verifier reaches a host's trust agent. */
public interface AgentChannel {
  /**
   * Sends {@code request} to the agent of {@code hostId} and returns its parsed answer. Nothing in
   * the answer is verified here.
   *
   * @throws AgentException when the agent cannot be reached or answers with a problem
   * @throws VerificationException when the answer is not a well-formed quote response
   */
  QuoteResponse quote(String hostId, QuoteRequest request)
      throws AgentException, VerificationException, InterruptedException;
}
