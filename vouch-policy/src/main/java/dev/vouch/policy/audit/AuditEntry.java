package dev.vouch.policy.audit;

import java.util.Objects;

/**
 * What a caller asks to be recorded: who did what to which target, and how it ended. Never a secret
 * value: targets are names (a resource path, a host id), details are short reasons.
 *
 * @param actor the authenticated principal, {@code anonymous}, or {@code system} for the server's
 *     own decisions
 * @param action dotted verb, e.g. {@code policy.put}, {@code host.status}, {@code kbs.release}
 * @param target what was acted on (route path, host id, resource path), or {@code null}
 * @param outcome {@code success}, {@code denied}, {@code failure} or a status word
 * @param requestId the HTTP request id, or {@code null} outside a request
 * @param source the client's address, or {@code null} outside a request
 * @param detail a short reason or status code, or {@code null}
 */
public record AuditEntry(
    String actor,
    String action,
    String target,
    String outcome,
    String requestId,
    String source,
    String detail) {

  public AuditEntry {
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(outcome, "outcome");
    actor = clip(actor, 200);
    action = clip(action, 100);
    target = clip(target, 512);
    outcome = clip(outcome, 40);
    requestId = clip(requestId, 100);
    source = clip(source, 100);
    detail = clip(detail, 512);
  }

  /** A decision the server took by itself (no request, no client). */
  public static AuditEntry system(String action, String target, String outcome, String detail) {
    return new AuditEntry("system", action, target, outcome, null, null, detail);
  }

  // records are read by people and kept for years: a runaway detail must not bloat the chain
  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
