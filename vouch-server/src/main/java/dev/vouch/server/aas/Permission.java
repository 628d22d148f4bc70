package dev.vouch.server.aas;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What an admin route needs, named {@code resource:action}. A closed set: custom roles may combine
 * these but not invent new ones, so a typo in a role is refused rather than granting nothing.
 */
public enum Permission {
  HOSTS_READ("hosts:read"),
  HOSTS_WRITE("hosts:write"),
  /** Attest now and onboard afresh. */
  HOSTS_ATTEST("hosts:attest"),
  FLAVORS_READ("flavors:read"),
  FLAVORS_WRITE("flavors:write"),
  REPORTS_READ("reports:read"),
  REGISTRAR_READ("registrar:read"),
  REGISTRAR_WRITE("registrar:write"),
  POLICIES_READ("policies:read"),
  POLICIES_WRITE("policies:write"),
  REFERENCE_VALUES_READ("reference-values:read"),
  REFERENCE_VALUES_WRITE("reference-values:write"),
  /** KBS resources and the resource policy (secrets). */
  RESOURCES_READ("resources:read"),
  RESOURCES_WRITE("resources:write"),
  USERS_READ("users:read"),
  USERS_WRITE("users:write"),
  ROLES_READ("roles:read"),
  ROLES_WRITE("roles:write"),
  APIKEYS_READ("apikeys:read"),
  APIKEYS_WRITE("apikeys:write"),
  AUDIT_READ("audit:read"),
  AGENTS_ENROLL("agents:enroll");

  private final String value;

  Permission(String value) {
    this.value = value;
  }

  /** The wire name, e.g. {@code hosts:read}. */
  public String value() {
    return value;
  }

  /** The permission named {@code value}, if there is one. */
  public static Optional<Permission> of(String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(p -> p.value.equals(v)).findFirst();
  }

  @Override
  public String toString() {
    return value;
  }
}
