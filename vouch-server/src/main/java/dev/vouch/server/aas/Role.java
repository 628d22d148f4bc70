package dev.vouch.server.aas;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A named set of permissions. The built-in roles are fixed in code (they cannot be replaced or
 * deleted, so an upgrade that adds a permission reaches them); custom roles live in the database.
 *
 * @param name lower-case letters, digits and dashes, 1 to 64 characters
 * @param permissions what holders of the role may do
 * @param builtIn whether it is one of {@link #BUILT_IN}
 */
public record Role(String name, Set<Permission> permissions, boolean builtIn) {
  /** Names of accounts and roles: what a URL path segment and a log line carry safely. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  /** The built-in roles by name, in the order the issue lists them. */
  public static final Map<String, Role> BUILT_IN = builtIns();

  public Role {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "role name '" + name + "' must be 1-64 of a-z 0-9 . _ - starting with a letter or digit");
    }
    permissions = permissions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(permissions));
  }

  /** Whether holders may do {@code p}. */
  public boolean allows(Permission p) {
    return permissions.contains(p);
  }

  private static Map<String, Role> builtIns() {
    Map<String, Role> m = new LinkedHashMap<>();
    put(m, "admin", EnumSet.allOf(Permission.class));
    put(
        m,
        "operator",
        EnumSet.of(
            Permission.HOSTS_READ,
            Permission.HOSTS_WRITE,
            Permission.HOSTS_ATTEST,
            Permission.FLAVORS_READ,
            Permission.FLAVORS_WRITE,
            Permission.REPORTS_READ,
            Permission.REGISTRAR_READ,
            Permission.REGISTRAR_WRITE));
    put(
        m,
        "policy-author",
        EnumSet.of(
            Permission.POLICIES_READ,
            Permission.POLICIES_WRITE,
            Permission.REFERENCE_VALUES_READ,
            Permission.REFERENCE_VALUES_WRITE));
    put(m, "secret-admin", EnumSet.of(Permission.RESOURCES_READ, Permission.RESOURCES_WRITE));
    // every read but secrets and the audit log (the auditor's)
    put(
        m,
        "reader",
        Arrays.stream(Permission.values())
            .filter(p -> p.value().endsWith(":read"))
            .filter(p -> p != Permission.RESOURCES_READ && p != Permission.AUDIT_READ)
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(Permission.class))));
    put(m, "auditor", EnumSet.of(Permission.AUDIT_READ));
    put(m, "agent", EnumSet.of(Permission.AGENTS_ENROLL));
    return java.util.Collections.unmodifiableMap(m);
  }

  private static void put(Map<String, Role> m, String name, Set<Permission> ps) {
    m.put(name, new Role(name, ps, true));
  }
}
