package dev.vouch.server.monitor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.GoldenFlavors;
import dev.vouch.policy.flavor.MatchPolicy;
import dev.vouch.policy.flavor.SignedFlavor;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Flavors, flavor groups and the golden-flavor audit in the server's database (tables {@code
 * flavors}, {@code flavor_groups}, {@code golden_audit}). Every flavor stored here is signed by the
 * server key. Thread-safe; each method is one transaction.
 */
public final class FlavorStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COLUMNS =
      "id, part, host_id, origin, approved, reset_count, created_at, retired_at, signed_json";

  /** How a flavor came into the store. */
  public enum Origin {
    /**
     * An administrator uploaded it with a signature that verified against a flavor-signing key
     * (re-signed with the server key).
     */
    IMPORT,
    /** An administrator made it from a connected host's verified measurements. */
    HOST,
    /** Adopted automatically from the first measurements of a boot (TOFU). */
    GOLDEN,
    /**
     * An administrator uploaded it explicitly without a verifying signature ({@code --unsigned}):
     * re-signed so that the matcher reads it, but never approved (it does not count in strict mode
     * and does not constrain TOFU adoption), and recorded as such.
     */
    IMPORT_UNSIGNED
  }

  /**
   * A stored flavor.
   *
   * @param flavor the flavor and its server signature
   * @param hostId the host it is bound to, empty for flavors any host may match
   * @param origin how it came
   * @param approved whether it counts in strict mode (administrator-made flavors are)
   * @param resetCount for golden flavors: the TPM reset count of the boot they were taken from
   * @param created when it was stored
   * @param retired when a later boot's golden flavors replaced it
   */
  public record StoredFlavor(
      SignedFlavor flavor,
      Optional<String> hostId,
      Origin origin,
      boolean approved,
      OptionalLong resetCount,
      Instant created,
      Optional<Instant> retired) {
    public UUID id() {
      return flavor.flavor().meta().id();
    }

    /** Whether it belongs to one machine: bound to a host id or to a hardware UUID. */
    public boolean bound() {
      return hostId.isPresent() || hardwareBinding(flavor).isPresent();
    }
  }

  /**
   * The machine a HOST_UNIQUE or ASSET_TAG flavor is bound to: the {@code hardware_uuid} of its
   * signed description (an SMBIOS UUID, or {@code ek-sha256:...} for a host that reports none), as
   * ISecL links such flavors to hosts. Empty for other parts and for flavors made before hosts
   * reported one: those stay bound to their host id.
   */
  public static Optional<String> hardwareBinding(SignedFlavor f) {
    if (!hostUnique(f.flavor().part())) {
      return Optional.empty();
    }
    return f.flavor().meta().describe("hardware_uuid").filter(u -> !u.isBlank());
  }

  /**
   * Which stored flavors a host may be judged by: those bound to no host or machine, those bound to
   * its id without a hardware binding (made before hosts reported one), and those bound to the
   * machine it is now ({@code hardwareId}), whatever host id they were made under. A HOST_UNIQUE
   * flavor of this machine follows it to a new host id; another machine claiming the id does not
   * get it. Three branches, each answered by an index ({@code flavors_host}, {@code
   * flavors_hardware}): one OR of them made the database read every flavor of the fleet for each
   * attestation. "No hardware binding" is written {@code COALESCE(hardware_uuid, '') = ''} (never
   * stored empty) so that no planner can answer it from the hardware index: PostgreSQL without
   * statistics did, reading every host's golden PLATFORM flavor. Two parameters: the host id, then
   * the hardware id (NULL matches no row).
   */
  private static String applies(String columns, GoldenFlavors.Mode mode) {
    String live =
        " AND retired_at IS NULL"
            + (mode == GoldenFlavors.Mode.STRICT ? " AND approved = TRUE" : "");
    return "SELECT "
        + columns
        + " FROM flavors WHERE host_id IS NULL AND COALESCE(hardware_uuid, '') = ''"
        + live
        + " UNION ALL SELECT "
        + columns
        + " FROM flavors WHERE host_id = ? AND COALESCE(hardware_uuid, '') = ''"
        + live
        + " UNION ALL SELECT "
        + columns
        + " FROM flavors WHERE hardware_uuid = ?"
        + live;
  }

  /** The built-in group of flavors any host may match; hosts assigned to no group use it. */
  public static final String AUTOMATIC = "automatic";

  /**
   * The built-in group of HOST_UNIQUE and ASSET_TAG flavors: each is bound to one host and counts
   * in every group that host is judged by (ISecL links them to hosts by hardware UUID).
   */
  public static final String HOST_UNIQUE = "host_unique";

  /** Who put a host into a flavor group. */
  public enum AssignedBy {
    /** An administrator, over the API or the CLI. */
    ADMIN,
    /** The host's agent, in its enrollment request. */
    AGENT
  }

  /**
   * A host's membership of a flavor group.
   *
   * @param hostId the host
   * @param group the group
   * @param by who assigned it
   * @param at when
   */
  public record Assignment(String hostId, String group, AssignedBy by, Instant at) {}

  private final Database db;

  public FlavorStore(Database db) {
    this.db = db;
  }

  /** Stores administrator flavors (approved), bound to {@code hostId} when given. */
  public void add(List<SignedFlavor> flavors, Optional<String> hostId, Origin origin, Instant now) {
    add(flavors, hostId, origin, origin != Origin.IMPORT_UNSIGNED, now);
  }

  /**
   * Stores administrator flavors, approved or not, bound to {@code hostId} when given, in the
   * default groups of their part ({@link #groupsFor}).
   */
  public void add(
      List<SignedFlavor> flavors,
      Optional<String> hostId,
      Origin origin,
      boolean approved,
      Instant now) {
    add(flavors, hostId, origin, approved, now, List.of());
  }

  /**
   * Stores flavors as members of {@code groups} ({@link #groupsFor} says where each part lands).
   */
  public void add(
      List<SignedFlavor> flavors,
      Optional<String> hostId,
      Origin origin,
      boolean approved,
      Instant now,
      List<String> groups) {
    db.transaction(
        c -> {
          for (SignedFlavor f : flavors) {
            insert(c, f, hostId, origin, approved, OptionalLong.empty(), now);
            link(c, f, groups);
          }
          return null;
        });
  }

  /**
   * The groups a new flavor of {@code part} joins: HOST_UNIQUE and ASSET_TAG flavors always {@link
   * #HOST_UNIQUE} (they count for their host in every group), other parts {@code requested}, or
   * {@link #AUTOMATIC} when none is named (as ISecL's {@code flavorgroup_names} defaults).
   */
  public static List<String> groupsFor(FlavorPart part, List<String> requested) {
    if (hostUnique(part)) {
      return List.of(HOST_UNIQUE);
    }
    return requested.isEmpty() ? List.of(AUTOMATIC) : List.copyOf(requested);
  }

  /** Whether flavors of {@code part} are bound to one host and live in {@link #HOST_UNIQUE}. */
  public static boolean hostUnique(FlavorPart part) {
    return part == FlavorPart.HOST_UNIQUE || part == FlavorPart.ASSET_TAG;
  }

  private static void link(Connection c, SignedFlavor f, List<String> requested)
      throws SQLException {
    for (String g : new java.util.LinkedHashSet<>(groupsFor(f.flavor().part(), requested))) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO flavor_group_members (group_name, flavor_id) VALUES (?, ?)")) {
        ps.setString(1, g);
        ps.setString(2, f.flavor().meta().id().toString());
        ps.executeUpdate();
      }
    }
  }

  /** The ids of the flavors in {@code group} (retired ones included). */
  public java.util.Set<UUID> members(String group) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT flavor_id FROM flavor_group_members WHERE group_name = ?")) {
            ps.setString(1, group);
            try (ResultSet rs = ps.executeQuery()) {
              java.util.Set<UUID> out = new java.util.LinkedHashSet<>();
              while (rs.next()) {
                out.add(UUID.fromString(rs.getString(1)));
              }
              return out;
            }
          }
        });
  }

  /**
   * Which of the flavors a host may be judged by (not retired; bound to no host or to {@code
   * hostId}) belong to each of {@code groups}: one query, whatever the number of flavors stored.
   */
  public Map<String, java.util.Set<UUID>> memberships(String hostId, List<String> groups) {
    return memberships(hostId, "", groups);
  }

  /**
   * The same for a host that is the machine {@code hardwareId} now (see {@link #hardwareBinding}).
   */
  public Map<String, java.util.Set<UUID>> memberships(
      String hostId, String hardwareId, List<String> groups) {
    if (groups.isEmpty()) {
      return Map.of();
    }
    // approved or not: membership does not depend on the mode
    Applicable a = applicable(hostId, hardwareId, GoldenFlavors.Mode.TOFU);
    Map<String, java.util.Set<UUID>> out = new java.util.HashMap<>();
    groups.forEach(g -> out.put(g, a.members(g)));
    return out;
  }

  /**
   * The flavors a host may be judged by in {@code mode} (see {@link #candidateRecords}) and the
   * groups each belongs to.
   *
   * @param flavors oldest first
   * @param groups by flavor id, the names of the groups it is a member of
   */
  public record Applicable(List<StoredFlavor> flavors, Map<UUID, java.util.Set<String>> groups) {
    public Applicable {
      flavors = List.copyOf(flavors);
      groups = Map.copyOf(groups);
    }

    /** The ids of the flavors here that are members of {@code group}. */
    public java.util.Set<UUID> members(String group) {
      java.util.Set<UUID> out = new java.util.HashSet<>();
      groups.forEach(
          (id, names) -> {
            if (names.contains(group)) {
              out.add(id);
            }
          });
      return out;
    }
  }

  /**
   * What a host that is the machine {@code hardwareId} now (empty when not known yet) may be judged
   * by in {@code mode}, with each flavor's groups: two indexed statements on one connection.
   */
  public Applicable applicable(String hostId, String hardwareId, GoldenFlavors.Mode mode) {
    String sql = "SELECT " + COLUMNS + " FROM (" + applies(COLUMNS, mode) + ") f";
    return db.read(
        c -> {
          List<StoredFlavor> rows;
          try (PreparedStatement ps = c.prepareStatement(sql + " ORDER BY created_at, id")) {
            ps.setString(1, hostId);
            ps.setString(2, hardwareId.isEmpty() ? null : hardwareId);
            rows = rows(ps);
          }
          Map<UUID, java.util.Set<String>> groups = new java.util.HashMap<>();
          if (rows.isEmpty()) {
            return new Applicable(rows, groups);
          }
          rows.forEach(f -> groups.put(f.id(), new java.util.HashSet<>()));
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT group_name, flavor_id FROM flavor_group_members WHERE flavor_id IN ("
                      + String.join(", ", java.util.Collections.nCopies(rows.size(), "?"))
                      + ")")) {
            for (int i = 0; i < rows.size(); i++) {
              ps.setString(i + 1, rows.get(i).id().toString());
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                groups.get(UUID.fromString(rs.getString(2))).add(rs.getString(1));
              }
            }
          }
          groups.replaceAll((id, names) -> java.util.Set.copyOf(names));
          return new Applicable(rows, groups);
        });
  }

  /** The groups flavor {@code id} belongs to, by name. */
  public List<String> groupsOf(UUID id) {
    return strings(
        "SELECT group_name FROM flavor_group_members WHERE flavor_id = ? ORDER BY group_name",
        id.toString());
  }

  /**
   * Makes flavor {@code id} a member of {@code group}.
   *
   * @return false when it already was
   */
  public boolean addMember(String group, UUID id) {
    return db.transaction(
        c -> {
          try (PreparedStatement q =
              c.prepareStatement(
                  "SELECT 1 FROM flavor_group_members WHERE group_name = ? AND flavor_id = ?")) {
            q.setString(1, group);
            q.setString(2, id.toString());
            try (ResultSet rs = q.executeQuery()) {
              if (rs.next()) {
                return false;
              }
            }
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO flavor_group_members (group_name, flavor_id) VALUES (?, ?)")) {
            ps.setString(1, group);
            ps.setString(2, id.toString());
            ps.executeUpdate();
          }
          return true;
        });
  }

  /** Takes flavor {@code id} out of {@code group}; false when it was not a member. */
  public boolean removeMember(String group, UUID id) {
    return update(
            "DELETE FROM flavor_group_members WHERE group_name = ? AND flavor_id = ?",
            group,
            id.toString())
        == 1;
  }

  /** The flavor groups an administrator or the agent assigned {@code hostId} to, by name. */
  public List<Assignment> assignments(String hostId) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT host_id, group_name, assigned_by, assigned_at FROM host_flavor_groups"
                      + " WHERE host_id = ? ORDER BY group_name")) {
            ps.setString(1, hostId);
            try (ResultSet rs = ps.executeQuery()) {
              List<Assignment> out = new ArrayList<>();
              while (rs.next()) {
                out.add(
                    new Assignment(
                        rs.getString(1),
                        rs.getString(2),
                        AssignedBy.valueOf(rs.getString(3)),
                        Sql.instant(rs, "assigned_at")));
              }
              return out;
            }
          }
        });
  }

  /** The hosts assigned to {@code group}. */
  public List<String> hostsIn(String group) {
    return strings(
        "SELECT host_id FROM host_flavor_groups WHERE group_name = ? ORDER BY host_id", group);
  }

  /**
   * Assigns a registered host to a flavor group.
   *
   * @return false when it already was
   */
  public boolean assign(String hostId, String group, AssignedBy by, Instant now) {
    return db.transaction(
        c -> {
          try (PreparedStatement q =
              c.prepareStatement(
                  "SELECT 1 FROM host_flavor_groups WHERE host_id = ? AND group_name = ?")) {
            q.setString(1, hostId);
            q.setString(2, group);
            try (ResultSet rs = q.executeQuery()) {
              if (rs.next()) {
                return false;
              }
            }
          }
          dev.vouch.server.manager.HostRegistry.insertFlavorGroup(c, hostId, group, by.name(), now);
          return true;
        });
  }

  /** Takes a host out of a flavor group; false when it was not in it. */
  public boolean unassign(String hostId, String group) {
    return update(
            "DELETE FROM host_flavor_groups WHERE host_id = ? AND group_name = ?", hostId, group)
        == 1;
  }

  private List<String> strings(String sql, String arg) {
    return db.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
              List<String> out = new ArrayList<>();
              while (rs.next()) {
                out.add(rs.getString(1));
              }
              return out;
            }
          }
        });
  }

  private int update(String sql, String a, String b) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, a);
            ps.setString(2, b);
            return ps.executeUpdate();
          }
        });
  }

  /** The flavor with this id (retired ones included). */
  public Optional<StoredFlavor> get(UUID id) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + COLUMNS + " FROM flavors WHERE id = ?")) {
            ps.setString(1, id.toString());
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
          }
        });
  }

  /**
   * Stored flavors, oldest first.
   *
   * @param hostId only those bound to this host, when given
   * @param includeRetired whether replaced golden flavors are listed too
   */
  public List<StoredFlavor> list(Optional<String> hostId, boolean includeRetired) {
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM flavors WHERE 1 = 1"
            + (hostId.isPresent() ? " AND host_id = ?" : "")
            + (includeRetired ? "" : " AND retired_at IS NULL")
            + " ORDER BY created_at, id";
    return db.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            if (hostId.isPresent()) {
              ps.setString(1, hostId.get());
            }
            return rows(ps);
          }
        });
  }

  /** Deletes a flavor; false when there was none. */
  public boolean delete(UUID id) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM flavors WHERE id = ?")) {
            ps.setString(1, id.toString());
            return ps.executeUpdate() == 1;
          }
        });
  }

  /**
   * The flavors a host is judged by, oldest first (LATEST takes the last): flavors bound to no host
   * and those bound to this one that are not retired; in strict mode only approved ones, in TOFU
   * also the host's golden flavors.
   */
  public List<SignedFlavor> candidates(String hostId, GoldenFlavors.Mode mode) {
    return candidateRecords(hostId, mode).stream().map(StoredFlavor::flavor).toList();
  }

  /** The same as {@link #candidates}, with each flavor's origin and approval. */
  public List<StoredFlavor> candidateRecords(String hostId, GoldenFlavors.Mode mode) {
    return candidateRecords(hostId, "", mode);
  }

  /**
   * The same for a host that is the machine {@code hardwareId} now (see {@link #hardwareBinding}).
   */
  public List<StoredFlavor> candidateRecords(
      String hostId, String hardwareId, GoldenFlavors.Mode mode) {
    String sql =
        "SELECT " + COLUMNS + " FROM (" + applies(COLUMNS, mode) + ") f ORDER BY created_at, id";
    return db.read(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, hostId);
            ps.setString(2, hardwareId.isEmpty() ? null : hardwareId);
            return rows(ps);
          }
        });
  }

  /** The reset count at which the host's current golden flavors were taken; empty when none. */
  public OptionalLong goldenResetCount(String hostId) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT MAX(reset_count) FROM flavors WHERE host_id = ? AND origin = ?"
                      + " AND retired_at IS NULL")) {
            ps.setString(1, hostId);
            ps.setString(2, Origin.GOLDEN.name());
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              long v = rs.getLong(1);
              return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
            }
          }
        });
  }

  /**
   * Records a golden-flavor decision in one transaction: for ADOPTED the host's current golden
   * flavors are retired and {@code adopted} (signed) stored in their place; ADOPTED and REFUSED are
   * audited (a REFUSED decision repeating the host's last audit entry is not stored again, so a
   * strict-mode host refused every poll does not flood the audit). KEPT writes nothing.
   *
   * @param hostGroups the flavor groups the host is judged by: adopted flavors of parts other than
   *     HOST_UNIQUE and ASSET_TAG join them (those two join {@link #HOST_UNIQUE})
   * @return whether an audit entry was written (false for KEPT and for a repeated refusal)
   */
  public boolean decide(
      GoldenFlavors.AuditRecord audit, List<SignedFlavor> adopted, List<String> hostGroups) {
    return decideIn(audit, adopted, hostGroups);
  }

  /** {@link #decide(GoldenFlavors.AuditRecord, List, List)} for a host in no group. */
  public boolean decide(GoldenFlavors.AuditRecord audit, List<SignedFlavor> adopted) {
    return decideIn(audit, adopted, List.of());
  }

  private boolean decideIn(
      GoldenFlavors.AuditRecord audit, List<SignedFlavor> adopted, List<String> hostGroups) {
    if (audit.action() == GoldenFlavors.Action.KEPT) {
      return false;
    }
    return db.transaction(
        c -> {
          if (audit.action() == GoldenFlavors.Action.ADOPTED) {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "UPDATE flavors SET retired_at = ? WHERE host_id = ? AND origin = ?"
                        + " AND retired_at IS NULL")) {
              Sql.setInstant(ps, 1, audit.at());
              ps.setString(2, audit.hostId());
              ps.setString(3, Origin.GOLDEN.name());
              ps.executeUpdate();
            }
            for (SignedFlavor f : adopted) {
              insert(
                  c,
                  f,
                  Optional.of(audit.hostId()),
                  Origin.GOLDEN,
                  false,
                  OptionalLong.of(audit.resetCount()),
                  audit.at());
              link(c, f, hostGroups);
            }
          } else if (repeatsLastAudit(c, audit)) {
            return false;
          }
          insertAudit(c, audit);
          return true;
        });
  }

  /**
   * Retires the host's current golden flavors (an administrator's fresh onboarding), so that in
   * TOFU mode the next attestation's measurements become golden, and audits it.
   *
   * @return how many flavors were retired
   */
  public int retireGolden(String hostId, GoldenFlavors.Mode mode, Instant now) {
    return db.transaction(
        c -> {
          int n;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE flavors SET retired_at = ? WHERE host_id = ? AND origin = ?"
                      + " AND retired_at IS NULL")) {
            Sql.setInstant(ps, 1, now);
            ps.setString(2, hostId);
            ps.setString(3, Origin.GOLDEN.name());
            n = ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO golden_audit (host_id, decided_at, mode, action, reset_count,"
                      + " previous_reset_count, flavor_ids, reason)"
                      + " VALUES (?, ?, ?, 'RETIRED', NULL, NULL, '', ?)")) {
            ps.setString(1, hostId);
            Sql.setInstant(ps, 2, now);
            ps.setString(3, mode.name());
            ps.setString(
                4, "administrator onboarded the host afresh: " + n + " golden flavors retired");
            ps.executeUpdate();
          }
          return n;
        });
  }

  /**
   * One golden-flavor audit entry.
   *
   * @param hostId the host
   * @param at when
   * @param mode the mode in force
   * @param action {@code ADOPTED}, {@code REFUSED} (see {@link GoldenFlavors.Action}) or {@code
   *     RETIRED} (an administrator onboarded the host afresh)
   * @param resetCount the TPM reset count of the boot decided on (empty for RETIRED)
   * @param previousResetCount the reset count of the golden flavors before, if any
   * @param flavorIds the flavors adopted
   * @param reason a sentence for people
   */
  public record AuditEntry(
      String hostId,
      Instant at,
      GoldenFlavors.Mode mode,
      String action,
      OptionalLong resetCount,
      OptionalLong previousResetCount,
      List<UUID> flavorIds,
      String reason) {}

  /** A host's golden-flavor audit, oldest first. */
  public List<AuditEntry> audit(String hostId) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT host_id, decided_at, mode, action, reset_count, previous_reset_count,"
                      + " flavor_ids, reason FROM golden_audit WHERE host_id = ?"
                      + " ORDER BY decided_at, id")) {
            ps.setString(1, hostId);
            try (ResultSet rs = ps.executeQuery()) {
              List<AuditEntry> out = new ArrayList<>();
              while (rs.next()) {
                String ids = rs.getString("flavor_ids");
                out.add(
                    new AuditEntry(
                        rs.getString("host_id"),
                        Sql.instant(rs, "decided_at"),
                        GoldenFlavors.Mode.valueOf(rs.getString("mode")),
                        rs.getString("action"),
                        optionalLong(rs, "reset_count"),
                        optionalLong(rs, "previous_reset_count"),
                        ids.isEmpty()
                            ? List.of()
                            : Arrays.stream(ids.split(",")).map(UUID::fromString).toList(),
                        rs.getString("reason")));
              }
              return out;
            }
          }
        });
  }

  private static OptionalLong optionalLong(ResultSet rs, String col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
  }

  /** The group named {@code name}, if stored. */
  public Optional<FlavorGroup> group(String name) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT policies_json FROM flavor_groups WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              try {
                return Optional.of(readGroup(name, JSON.readTree(rs.getString(1))));
              } catch (IOException | VerificationException e) {
                throw new SQLException("stored flavor group " + name + " does not parse", e);
              }
            }
          }
        });
  }

  /** Every stored group, by name. */
  public List<FlavorGroup> groups() {
    List<String> names =
        db.read(
            c -> {
              try (PreparedStatement ps =
                      c.prepareStatement("SELECT name FROM flavor_groups ORDER BY name");
                  ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                  out.add(rs.getString(1));
                }
                return out;
              }
            });
    return names.stream().map(n -> group(n).orElseThrow()).toList();
  }

  /** Creates or replaces a group. */
  public void putGroup(FlavorGroup group, Instant now) {
    String json = writeGroup(group).toString();
    db.transaction(
        c -> {
          try (PreparedStatement del =
              c.prepareStatement("DELETE FROM flavor_groups WHERE name = ?")) {
            del.setString(1, group.name());
            del.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO flavor_groups (name, policies_json, updated_at) VALUES (?, ?, ?)")) {
            ps.setString(1, group.name());
            ps.setString(2, json);
            Sql.setInstant(ps, 3, now);
            ps.executeUpdate();
          }
          return null;
        });
  }

  /**
   * Deletes a stored group and its memberships (the flavors stay); false when there was none. The
   * caller refuses a group hosts are assigned to.
   */
  public boolean deleteGroup(String name) {
    return db.transaction(
        c -> {
          try (PreparedStatement m =
              c.prepareStatement("DELETE FROM flavor_group_members WHERE group_name = ?")) {
            m.setString(1, name);
            m.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM flavor_groups WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /**
   * A group from its JSON, {@code {"PLATFORM": {"match_type": "ANY_OF", "required": "REQUIRED"},
   * ...}}; parts left out are not judged.
   *
   * @throws VerificationException MALFORMED for an unknown part, match type or requirement
   */
  public static FlavorGroup readGroup(String name, JsonNode policies) throws VerificationException {
    if (policies == null || !policies.isObject() || policies.isEmpty()) {
      throw new VerificationException(
          dev.vouch.core.Failure.MALFORMED,
          "a flavor group needs an object of match policies per flavor part");
    }
    Map<FlavorPart, MatchPolicy> out = new EnumMap<>(FlavorPart.class);
    for (var e : policies.properties()) {
      JsonNode p = e.getValue();
      try {
        out.put(
            FlavorPart.valueOf(e.getKey()),
            new MatchPolicy(
                MatchPolicy.MatchType.valueOf(p.path("match_type").asText()),
                MatchPolicy.Required.valueOf(p.path("required").asText())));
      } catch (IllegalArgumentException ex) {
        throw new VerificationException(
            dev.vouch.core.Failure.MALFORMED,
            "flavor group policy "
                + e.getKey()
                + ": part must be one of "
                + Arrays.toString(FlavorPart.values())
                + ", match_type ANY_OF|ALL_OF|LATEST, required REQUIRED|REQUIRED_IF_DEFINED");
      }
    }
    return new FlavorGroup(name, out);
  }

  /** The JSON of a group's policies (as {@link #readGroup} reads it). */
  public static ObjectNode writeGroup(FlavorGroup group) {
    ObjectNode o = JSON.createObjectNode();
    for (FlavorPart part : FlavorPart.values()) {
      MatchPolicy p = group.policies().get(part);
      if (p != null) {
        o.putObject(part.name())
            .put("match_type", p.matchType().name())
            .put("required", p.required().name());
      }
    }
    return o;
  }

  private static boolean repeatsLastAudit(Connection c, GoldenFlavors.AuditRecord audit)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT action, reset_count, mode FROM golden_audit WHERE host_id = ?"
                + " ORDER BY decided_at DESC, id DESC LIMIT 1")) {
      ps.setString(1, audit.hostId());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            && audit.action().name().equals(rs.getString("action"))
            && audit.resetCount() == rs.getLong("reset_count")
            && audit.mode().name().equals(rs.getString("mode"));
      }
    }
  }

  private static void insertAudit(Connection c, GoldenFlavors.AuditRecord a) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO golden_audit (host_id, decided_at, mode, action, reset_count,"
                + " previous_reset_count, flavor_ids, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, a.hostId());
      Sql.setInstant(ps, 2, a.at());
      ps.setString(3, a.mode().name());
      ps.setString(4, a.action().name());
      ps.setLong(5, a.resetCount());
      if (a.previousResetCount().isPresent()) {
        ps.setLong(6, a.previousResetCount().getAsLong());
      } else {
        ps.setNull(6, Types.BIGINT);
      }
      ps.setString(7, String.join(",", a.flavorIds().stream().map(UUID::toString).toList()));
      // the column holds 4096 characters; a baseline change naming many events may say more
      ps.setString(
          8, a.reason().length() <= 4096 ? a.reason() : a.reason().substring(0, 4093) + "...");
      ps.executeUpdate();
    }
  }

  private static void insert(
      Connection c,
      SignedFlavor f,
      Optional<String> hostId,
      Origin origin,
      boolean approved,
      OptionalLong resetCount,
      Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO flavors (id, part, host_id, origin, approved, reset_count, created_at,"
                + " signed_json, hardware_uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, f.flavor().meta().id().toString());
      ps.setString(2, f.flavor().part().name());
      ps.setString(3, hostId.orElse(null));
      ps.setString(4, origin.name());
      ps.setBoolean(5, approved);
      if (resetCount.isPresent()) {
        ps.setLong(6, resetCount.getAsLong());
      } else {
        ps.setNull(6, Types.BIGINT);
      }
      Sql.setInstant(ps, 7, now);
      ps.setString(8, FlavorJson.writeSigned(f).toString());
      ps.setString(9, hardwareBinding(f).orElse(null));
      ps.executeUpdate();
    }
  }

  /** Parsed flavors by their stored text: the same text always parses to the same flavor. */
  private record Parsed(String text, SignedFlavor flavor) {}

  // flavors are read for every attestation and their text never changes once stored: parse each
  // once (bounded; a full cache starts over rather than growing with the fleet's history)
  private static final int PARSED_MAX = 100_000;
  private final java.util.concurrent.ConcurrentHashMap<String, Parsed> parsed =
      new java.util.concurrent.ConcurrentHashMap<>();

  private List<StoredFlavor> rows(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      List<StoredFlavor> out = new ArrayList<>();
      while (rs.next()) {
        out.add(row(rs));
      }
      return out;
    }
  }

  private StoredFlavor row(ResultSet rs) throws SQLException {
    String id = rs.getString("id");
    String text = rs.getString("signed_json");
    Parsed known = parsed.get(id);
    SignedFlavor f;
    if (known != null && known.text().equals(text)) {
      f = known.flavor();
    } else {
      try {
        f = FlavorJson.readSigned(JSON.readTree(text));
      } catch (IOException | VerificationException e) {
        throw new SQLException("stored flavor " + id + " does not parse", e);
      }
      if (parsed.size() >= PARSED_MAX) {
        parsed.clear();
      }
      parsed.put(id, new Parsed(text, f));
    }
    return new StoredFlavor(
        f,
        Optional.ofNullable(rs.getString("host_id")),
        Origin.valueOf(rs.getString("origin")),
        rs.getBoolean("approved"),
        optionalLong(rs, "reset_count"),
        Sql.instant(rs, "created_at"),
        Optional.ofNullable(Sql.instant(rs, "retired_at")));
  }
}
