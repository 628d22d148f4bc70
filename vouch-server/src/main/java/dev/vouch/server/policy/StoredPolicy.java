package dev.vouch.server.policy;

import java.time.Instant;

/**
 * One stored version of a policy document.
 *
 * @param id the policy id
 * @param version 1 for the first upload, one more for each later upload of the same id
 * @param source the YAML document as uploaded
 * @param createdAt when this version was stored
 */
public record StoredPolicy(String id, int version, String source, Instant createdAt) {}
