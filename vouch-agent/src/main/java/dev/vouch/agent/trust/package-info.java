/**
 * The trust agent: enrollment of the attestation key with a registrar (credential activation), and
 * a quote service that answers verifiers over HTTPS with mutual TLS or over NATS request/reply.
 */
package dev.vouch.agent.trust;
