/**
 * What the server does when a host's attestation status changes: status events on NATS and signed
 * webhooks ({@link dev.vouch.server.actions.AttestationEvents}), cordoning the host's Kubernetes
 * node ({@link dev.vouch.server.actions.NodeActions}), and the rules that choose between them
 * ({@link dev.vouch.server.actions.FailurePolicy}, carried out by {@link
 * dev.vouch.server.actions.FailureResponder}). A node is never uncordoned automatically: only an
 * administrator's fresh onboarding calls {@link dev.vouch.server.actions.NodeActions#restore}.
 */
package dev.vouch.server.actions;
