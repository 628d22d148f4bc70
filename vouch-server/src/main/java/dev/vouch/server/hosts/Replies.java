package dev.vouch.server.hosts;

import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.AgentProblem;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;

/** Turns an agent's reply body into a response or an {@link AgentException}. */
final class Replies {
  private Replies() {}

  static QuoteResponse read(byte[] body) throws AgentException, VerificationException {
    // read once: a quote response carries whole event and IMA logs
    com.fasterxml.jackson.databind.node.ObjectNode reply = QuoteResponse.tree(body);
    if (AgentProblem.isProblem(reply)) {
      AgentProblem p = AgentProblem.parse(reply);
      throw AgentException.refused(p.code(), p.detail());
    }
    return QuoteResponse.parse(reply);
  }
}
