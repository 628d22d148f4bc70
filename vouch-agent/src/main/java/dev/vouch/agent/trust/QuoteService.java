package dev.vouch.agent.trust;

import dev.vouch.agent.tpm.TpmException;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.protocol.AgentProblem;
import dev.vouch.evidence.tpm.protocol.QuoteRequest;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The transport-neutral request handling both transports share: JSON request in, JSON response or
 * problem document out. Decides nothing itself; maps failures to problems.
 */
final class QuoteService {
  private static final Logger LOG = Logger.getLogger(QuoteService.class.getName());

  /** Requests are a few hundred bytes; anything far larger is refused unread. */
  static final int MAX_REQUEST = 16 * 1024;

  /** A reply: the body and whether it is a problem document. */
  record Reply(int status, byte[] body, boolean problem) {}

  private final TrustAgent agent;

  QuoteService(TrustAgent agent) {
    this.agent = agent;
  }

  Reply handle(byte[] requestJson) {
    if (requestJson.length > MAX_REQUEST) {
      return problem(new AgentProblem(Failure.MALFORMED.code(), 413, "request too large"));
    }
    QuoteRequest request;
    try {
      request = QuoteRequest.parse(requestJson);
    } catch (VerificationException e) {
      return problem(new AgentProblem(e.failure().code(), 400, e.getMessage()));
    }
    try {
      byte[] body = agent.quote(request).toJson();
      LOG.info(() -> "host " + agent.hostId() + ": answered a quote request");
      return new Reply(200, body, false);
    } catch (TpmException e) {
      if (e.isUnavailable()) {
        LOG.warning(() -> "host " + agent.hostId() + ": TPM unavailable: " + e.getMessage());
        return problem(new AgentProblem(AgentProblem.TPM_UNAVAILABLE, 503, e.getMessage()));
      }
      LOG.log(Level.WARNING, "host " + agent.hostId() + ": TPM failed a quote", e);
      return problem(new AgentProblem(AgentProblem.TPM_ERROR, 500, e.getMessage()));
    } catch (IOException e) {
      LOG.log(Level.WARNING, "host " + agent.hostId() + ": cannot read a log", e);
      return problem(new AgentProblem(AgentProblem.IO_ERROR, 500, e.getMessage()));
    } catch (VerificationException e) {
      // the host's own IMA list could not be framed
      return problem(new AgentProblem(AgentProblem.IO_ERROR, 500, e.getMessage()));
    }
  }

  private static Reply problem(AgentProblem p) {
    return new Reply(p.status(), p.toJson(), true);
  }
}
