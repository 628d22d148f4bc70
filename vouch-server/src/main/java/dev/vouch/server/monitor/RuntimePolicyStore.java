package dev.vouch.server.monitor;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.nio.charset.StandardCharsets;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Runtime policies (Keylime's runtime policy JSON) in the server's database, every version kept,
 * and their assignment to hosts and host groups (tables {@code runtime_policies}, {@code
 * host_runtime_policies}, {@code group_runtime_policies}). A host is appraised by the newest
 * version of the name assigned to it, or else of the name assigned to its group. Thread-safe.
 */
public final class RuntimePolicyStore {
  /** Policy names: what host groups allow. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  /**
   * One stored version.
   *
   * @param name the policy's name
   * @param version 1 for the first upload of the name, then one more per upload
   * @param sha256 SHA-256 of the JSON as uploaded: the measurement of the policy
   * @param created when this version was stored
   * @param json the policy as uploaded
   */
  public record Stored(String name, int version, String sha256, Instant created, String json) {
    /** The policy, parsed again (it parsed when it was stored). */
    public RuntimePolicy policy() throws RuntimePolicy.Invalid {
      return RuntimePolicy.fromKeylimeJson(json.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code name@version}, as reports and state name it. */
    public String ref() {
      return name + "@" + version;
    }
  }

  private final Database db;

  public RuntimePolicyStore(Database db) {
    this.db = db;
  }

  /**
   * Stores {@code json} as the next version of {@code name}.
   *
   * @throws RuntimePolicy.Invalid when it is not a Keylime runtime policy Vouch can apply
   * @throws IllegalArgumentException for a name outside {@link #NAME}
   */
  public Stored put(String name, byte[] json, Instant now) throws RuntimePolicy.Invalid {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("policy name must be 1-128 of A-Z a-z 0-9 _ . -");
    }
    RuntimePolicy.fromKeylimeJson(json);
    String text = new String(json, StandardCharsets.UTF_8);
    String sha = Hex.encode(HashAlg.SHA256.digest(json));
    Stored[] out = new Stored[1];
    // two uploads racing for the same version: the loser's insert fails and it takes the next
    Sql.retryOnceOnDuplicateKey(
        () ->
            out[0] =
                db.transaction(
                    c -> {
                      int version;
                      try (PreparedStatement ps =
                          c.prepareStatement(
                              "SELECT COALESCE(MAX(version), 0) FROM runtime_policies WHERE name = ?")) {
                        ps.setString(1, name);
                        try (ResultSet rs = ps.executeQuery()) {
                          rs.next();
                          version = rs.getInt(1) + 1;
                        }
                      }
                      try (PreparedStatement ps =
                          c.prepareStatement(
                              "INSERT INTO runtime_policies (name, version, sha256, created_at,"
                                  + " policy_json) VALUES (?, ?, ?, ?, ?)")) {
                        ps.setString(1, name);
                        ps.setInt(2, version);
                        ps.setString(3, sha);
                        Sql.setInstant(ps, 4, now);
                        ps.setString(5, text);
                        ps.executeUpdate();
                      }
                      return new Stored(name, version, sha, now, text);
                    }));
    return out[0];
  }

  /** The newest version of {@code name}. */
  public Optional<Stored> latest(String name) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT name, version, sha256, created_at, policy_json FROM runtime_policies"
                      + " WHERE name = ? ORDER BY version DESC LIMIT 1")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
          }
        });
  }

  /** The newest version of every policy, by name (without their JSON). */
  public List<Stored> list() {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT p.name, p.version, p.sha256, p.created_at, '' AS policy_json"
                      + " FROM runtime_policies p WHERE p.version ="
                      + " (SELECT MAX(q.version) FROM runtime_policies q WHERE q.name = p.name)"
                      + " ORDER BY p.name")) {
            try (ResultSet rs = ps.executeQuery()) {
              List<Stored> out = new ArrayList<>();
              while (rs.next()) {
                out.add(row(rs));
              }
              return out;
            }
          }
        });
  }

  /** Who a policy is assigned to: a host, or a host group. */
  private enum Holder {
    HOST("host_runtime_policies", "host_id"),
    GROUP("group_runtime_policies", "group_name");

    final String table;
    final String key;

    Holder(String table, String key) {
      this.table = table;
      this.key = key;
    }
  }

  /** Assigns policy {@code name} to a host; false when no policy has that name. */
  public boolean assign(String hostId, String name, Instant now) {
    return assign(Holder.HOST, hostId, name, now);
  }

  /**
   * Assigns policy {@code name} to host group {@code group}: hosts of the group without their own
   * assignment are appraised by it. False when no policy has that name.
   */
  public boolean assignGroup(String group, String name, Instant now) {
    return assign(Holder.GROUP, group, name, now);
  }

  /** Removes a host's assignment; false when it had none. */
  public boolean unassign(String hostId) {
    return unassign(Holder.HOST, hostId);
  }

  /** Removes a host group's assignment; false when it had none. */
  public boolean unassignGroup(String group) {
    return unassign(Holder.GROUP, group);
  }

  /** The newest version of the policy assigned to a host itself. */
  public Optional<Stored> assigned(String hostId) {
    return assignedName(Holder.HOST, hostId).flatMap(this::latest);
  }

  /** The newest version of the policy assigned to a host group. */
  public Optional<Stored> assignedToGroup(String group) {
    return assignedName(Holder.GROUP, group).flatMap(this::latest);
  }

  /**
   * The newest version of the policy a host is appraised by: its own assignment wins over its
   * group's.
   */
  public Optional<Stored> effective(String hostId, String group) {
    // both assignments in one statement: asked on every attestation, and mostly there is none
    List<String> names =
        db.read(
            c -> {
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT policy_name, 0 AS holder FROM host_runtime_policies WHERE host_id = ?"
                          + " UNION ALL SELECT policy_name, 1 AS holder FROM"
                          + " group_runtime_policies WHERE group_name = ? ORDER BY holder")) {
                ps.setString(1, hostId);
                ps.setString(2, group);
                try (ResultSet rs = ps.executeQuery()) {
                  List<String> out = new java.util.ArrayList<>();
                  while (rs.next()) {
                    out.add(rs.getString(1));
                  }
                  return out;
                }
              }
            });
    for (String n : names) {
      Optional<Stored> s = latest(n);
      if (s.isPresent()) {
        return s;
      }
    }
    return Optional.empty();
  }

  private boolean assign(Holder holder, String key, String name, Instant now) {
    if (latest(name).isEmpty()) {
      return false;
    }
    db.transaction(
        c -> {
          try (PreparedStatement del =
              c.prepareStatement("DELETE FROM " + holder.table + " WHERE " + holder.key + " = ?")) {
            del.setString(1, key);
            del.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO "
                      + holder.table
                      + " ("
                      + holder.key
                      + ", policy_name, assigned_at) VALUES (?, ?, ?)")) {
            ps.setString(1, key);
            ps.setString(2, name);
            Sql.setInstant(ps, 3, now);
            ps.executeUpdate();
          }
          return null;
        });
    return true;
  }

  private boolean unassign(Holder holder, String key) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM " + holder.table + " WHERE " + holder.key + " = ?")) {
            ps.setString(1, key);
            return ps.executeUpdate() > 0;
          }
        });
  }

  private Optional<String> assignedName(Holder holder, String key) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT policy_name FROM " + holder.table + " WHERE " + holder.key + " = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
            }
          }
        });
  }

  private static Stored row(ResultSet rs) throws SQLException {
    return new Stored(
        rs.getString("name"),
        rs.getInt("version"),
        rs.getString("sha256"),
        Sql.instant(rs, "created_at"),
        rs.getString("policy_json"));
  }
}
