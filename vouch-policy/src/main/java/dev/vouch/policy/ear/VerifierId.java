package dev.vouch.policy.ear;

/**
 * The EAR {@code ear.verifier-id}: who made the verifier and which build ran.
 *
 * @param developer e.g. {@code https://vouch.dev}
 * @param build e.g. {@code vouch 0.1.0}
 */
public record VerifierId(String developer, String build) {}
