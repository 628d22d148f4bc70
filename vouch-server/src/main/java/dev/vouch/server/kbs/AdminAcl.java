package dev.vouch.server.kbs;

import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Trustee v0.21's {@code regex_acl} admin authorization: each rule lets the admin tokens whose
 * {@code role} claim equals its role reach the endpoints its regular expression matches. A request
 * passes when some rule of the token's role matches its path; the rules are checked in order and
 * the first match wins, as in Trustee's {@code RegexAclAuthorizer}. An empty ACL means "no role
 * checks" (any valid admin token may do everything), Vouch's behaviour before roles existed.
 * Immutable.
 */
public record AdminAcl(List<Rule> rules) {

  /**
   * One rule.
   *
   * @param role the {@code role} claim value it applies to
   * @param allowedEndpoints the paths it allows; anchored, {@code ^/kbs...$}, as Trustee requires
   */
  public record Rule(String role, Pattern allowedEndpoints) {
    public Rule {
      if (role == null || role.isBlank()) {
        throw new IllegalArgumentException("an admin ACL rule needs a role");
      }
      String re = allowedEndpoints.pattern();
      // an unanchored expression would match any path that contains it, which is never meant
      if (!re.startsWith("^/kbs") || !re.endsWith("$")) {
        throw new IllegalArgumentException("Admin Role regex must be anchored (^/kbs...$): " + re);
      }
    }

    /**
     * Reads Vouch's config form {@code role=regex} ({@code kbs.admin_acls}); the role ends at the
     * first {@code =}.
     *
     * @throws IllegalArgumentException for a missing {@code =}, an empty role, an unanchored or
     *     invalid regular expression
     */
    public static Rule parse(String spec) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "an admin ACL rule is role=regex, e.g. kbs-admin=^/kbs/v0/resource/.+$, not '"
                + spec
                + "'");
      }
      try {
        return new Rule(spec.substring(0, eq).strip(), Pattern.compile(spec.substring(eq + 1)));
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException("Failed to parse regex: " + e.getDescription());
      }
    }
  }

  public AdminAcl {
    rules = List.copyOf(rules);
  }

  /** No rules: every authenticated admin token is allowed everywhere. */
  public static AdminAcl none() {
    return new AdminAcl(List.of());
  }

  /** Whether role checks apply. */
  public boolean enforced() {
    return !rules.isEmpty();
  }

  /**
   * Why a token of this role may not reach this path, or empty when it may.
   *
   * @param role the token's {@code role} claim, empty when the token has none
   * @param path the request path, e.g. {@code /kbs/v0/resource/repo/type/tag}
   */
  public Optional<String> refusal(Optional<String> role, String path) {
    if (!enforced()) {
      return Optional.empty();
    }
    if (role.isEmpty()) {
      return Optional.of("admin token lacks the role claim that the admin ACL requires");
    }
    for (Rule r : rules) {
      // find(), as Rust's Regex::is_match; the anchors make it a whole-path match
      if (r.role().equals(role.get()) && r.allowedEndpoints().matcher(path).find()) {
        return Optional.empty();
      }
    }
    return Optional.of("Role " + role.get() + " not allowed for path " + path);
  }
}
