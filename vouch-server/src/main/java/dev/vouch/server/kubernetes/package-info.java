/**
 * Kubernetes placement of trusted workloads: the mutating admission webhook that steers pods asking
 * for trusted compute to nodes labelled {@code vouch.dev/trust=verified}.
 */
package dev.vouch.server.kubernetes;
