package dev.vouch.server.aas;

import java.time.Instant;
import java.util.Optional;

/**
 * A long-lived API key's record; the key itself is shown once at creation and only its SHA-256 is
 * stored (the key is 256 random bits, so a plain hash resists search as well as a slow one).
 *
 * @param id public identifier, used to list and revoke
 * @param account the account it authenticates as
 * @param label what the key is for
 * @param created when it was made
 * @param revoked when it was revoked, if it was
 */
public record ApiKey(
    String id, String account, String label, Instant created, Optional<Instant> revoked) {}
