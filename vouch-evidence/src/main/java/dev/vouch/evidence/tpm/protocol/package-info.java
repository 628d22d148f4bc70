/**
 * The messages between a trust agent and the verifier: quote requests, quote responses (a {@link
 * dev.vouch.evidence.tpm.TpmEvidenceBundle} plus the host's identity and facts) and the agent's
 * start-up announcement. Plain JSON documents, read strictly; the transports (HTTPS, NATS) live in
 * the agent and the server.
 */
package dev.vouch.evidence.tpm.protocol;
