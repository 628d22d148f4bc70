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

  /**
   * As {@link #quote(String, QuoteRequest)} for a caller that already holds the host's enrolled
   * {@code connection} ({@code nats} or an https URL): a channel that routes by it uses this one
   * instead of reading it again from the database on every attestation.
   */
  default QuoteResponse quote(String hostId, String connection, QuoteRequest request)
      throws AgentException, VerificationException, InterruptedException {
    return quote(hostId, request);
  }
}
