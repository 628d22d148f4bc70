package dev.vouch.server.hosts;

import java.util.Optional;

/**
 * The agent could not be asked, or refused: unreachable, timed out, or answered with a problem
 * document ({@link #agentCode()} then holds its code).
 */
public final class AgentException extends Exception {
  private final String agentCode;

  public AgentException(String message, Throwable cause) {
    super(message, cause);
    this.agentCode = null;
  }

  /** The agent answered with a problem document. */
  public static AgentException refused(String agentCode, String message) {
    return new AgentException(agentCode, message);
  }

  /** The agent could not be asked. */
  public AgentException(String message) {
    this(message, (Throwable) null);
  }

  private AgentException(String agentCode, String message) {
    super(agentCode + ": " + message);
    this.agentCode = agentCode;
  }

  /** Whether the agent was refused because its CMS certificate is revoked. */
  public boolean certificateRevoked() {
    return dev.vouch.server.cms.CmsTrustManager.Revoked.in(this);
  }

  /** The code of the agent's problem document, when the agent answered with one. */
  public Optional<String> agentCode() {
    return Optional.ofNullable(agentCode);
  }
}
