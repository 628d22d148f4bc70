/**
 * Host attestation: asks an enrolled host's trust agent for a fresh quote (HTTPS with mutual TLS or
 * NATS request/reply) and verifies it against the enrolled attestation key and the event log.
 */
package dev.vouch.server.hosts;
