package dev.vouch.server.aas;

import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The AAS tables ({@code aas_accounts}, {@code aas_roles}, {@code aas_api_keys}, {@code
 * aas_revoked_tokens}) over JDBC, H2 or PostgreSQL. Nothing is cached: every replica sees a
 * disabled account, a changed role or a revocation on its next request. Thread-safe.
 */
public final class AasStore {
  private final Database db;

  /** The database the store (and the login limiter) keep their rows in. */
  Database database() {
    return db;
  }

  public AasStore(Database db) {
    this.db = db;
  }

  public Optional<Account> account(String name) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT * FROM aas_accounts WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(account(rs)) : Optional.<Account>empty();
            }
          }
        });
  }

  public List<Account> accounts() {
    return db.read(
        c -> {
          List<Account> out = new ArrayList<>();
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT * FROM aas_accounts ORDER BY name");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(account(rs));
            }
          }
          return out;
        });
  }

  /** Adds {@code a}; false when an account of that name exists. */
  public boolean insert(Account a) {
    return db.transaction(
        c -> {
          if (exists(c, "aas_accounts", "name", a.name())) {
            return false;
          }
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO aas_accounts (name, kind, password_hash, roles, disabled,"
                      + " created_at) VALUES (?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, a.name());
            ps.setString(2, a.kind().name());
            ps.setString(3, a.passwordHash().orElse(null));
            ps.setString(4, String.join(",", a.roles()));
            ps.setBoolean(5, a.disabled());
            Sql.setInstant(ps, 6, a.created());
            ps.executeUpdate();
          }
          return true;
        });
  }

  /** Sets the disabled flag; false when there is no such account. */
  public boolean setDisabled(String name, boolean disabled) {
    return update("UPDATE aas_accounts SET disabled = ? WHERE name = ?", disabled, name) == 1;
  }

  /** Deletes an account and its API keys; false when there is no such account. */
  public boolean delete(String name) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM aas_api_keys WHERE account = ?")) {
            ps.setString(1, name);
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM aas_accounts WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /** Custom roles (built-in ones are not stored). */
  public List<Role> customRoles() {
    return db.read(
        c -> {
          List<Role> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement("SELECT * FROM aas_roles ORDER BY name");
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(role(rs));
            }
          }
          return out;
        });
  }

  /** The roles named, custom ones read in one query; unknown names are left out. */
  public List<Role> roles(List<String> names) {
    List<Role> out = new ArrayList<>();
    List<String> custom = new ArrayList<>();
    for (String n : names) {
      Role r = Role.BUILT_IN.get(n);
      if (r != null) {
        out.add(r);
      } else {
        custom.add(n);
      }
    }
    if (!custom.isEmpty()) {
      out.addAll(customRoles().stream().filter(r -> custom.contains(r.name())).toList());
    }
    return out;
  }

  /** Creates or replaces a custom role. */
  public void put(Role r, Instant now) {
    Sql.retryOnceOnDuplicateKey(
        () ->
            db.transaction(
                c -> {
                  String perms =
                      String.join(
                          ",", r.permissions().stream().map(Permission::value).sorted().toList());
                  boolean had = exists(c, "aas_roles", "name", r.name());
                  try (PreparedStatement ps =
                      c.prepareStatement(
                          had
                              ? "UPDATE aas_roles SET permissions = ?, updated_at = ? WHERE name = ?"
                              : "INSERT INTO aas_roles (permissions, updated_at, name)"
                                  + " VALUES (?, ?, ?)")) {
                    ps.setString(1, perms);
                    Sql.setInstant(ps, 2, now);
                    ps.setString(3, r.name());
                    ps.executeUpdate();
                  }
                  return null;
                }));
  }

  /** Deletes a custom role; false when there is none of that name. */
  public boolean deleteRole(String name) {
    return update("DELETE FROM aas_roles WHERE name = ?", null, name) == 1;
  }

  public void insert(ApiKey k, String keyHash) {
    db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO aas_api_keys (id, account, key_hash, label, created_at)"
                      + " VALUES (?, ?, ?, ?, ?)")) {
            ps.setString(1, k.id());
            ps.setString(2, k.account());
            ps.setString(3, keyHash);
            ps.setString(4, k.label());
            Sql.setInstant(ps, 5, k.created());
            ps.executeUpdate();
          }
          return null;
        });
  }

  /** The key whose hash is {@code keyHash}, revoked or not. */
  public Optional<ApiKey> apiKeyByHash(String keyHash) {
    List<ApiKey> ks = apiKeys("WHERE key_hash = ?", keyHash);
    return ks.isEmpty() ? Optional.empty() : Optional.of(ks.get(0));
  }

  /** Every key, or one account's. */
  public List<ApiKey> apiKeys(Optional<String> account) {
    return account.isPresent()
        ? apiKeys("WHERE account = ? ORDER BY created_at", account.get())
        : apiKeys("ORDER BY created_at", null);
  }

  /** Revokes a key; false when there is no unrevoked key of that id. */
  public boolean revokeApiKey(String id, Instant now) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE aas_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
            Sql.setInstant(ps, 1, now);
            ps.setString(2, id);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /** Records a revoked token until it would have expired anyway. */
  public void revokeToken(String jti, Instant expires) {
    Sql.retryOnceOnDuplicateKey(
        () ->
            db.transaction(
                c -> {
                  if (!exists(c, "aas_revoked_tokens", "jti", jti)) {
                    try (PreparedStatement ps =
                        c.prepareStatement(
                            "INSERT INTO aas_revoked_tokens (jti, expires_at) VALUES (?, ?)")) {
                      ps.setString(1, jti);
                      Sql.setInstant(ps, 2, expires);
                      ps.executeUpdate();
                    }
                  }
                  return null;
                }));
  }

  public boolean tokenRevoked(String jti) {
    return db.read(c -> exists(c, "aas_revoked_tokens", "jti", jti));
  }

  /** Forgets revocations of tokens that have expired; returns how many. */
  public int sweepRevocations(Instant now) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM aas_revoked_tokens WHERE expires_at < ?")) {
            Sql.setInstant(ps, 1, now);
            return ps.executeUpdate();
          }
        });
  }

  private List<ApiKey> apiKeys(String where, String arg) {
    return db.read(
        c -> {
          List<ApiKey> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement("SELECT * FROM aas_api_keys " + where)) {
            if (arg != null) {
              ps.setString(1, arg);
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new ApiKey(
                        rs.getString("id"),
                        rs.getString("account"),
                        rs.getString("label"),
                        Sql.instant(rs, "created_at"),
                        Optional.ofNullable(Sql.instant(rs, "revoked_at"))));
              }
            }
          }
          return out;
        });
  }

  private int update(String sql, Boolean flag, String name) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (flag != null) {
              ps.setBoolean(i++, flag);
            }
            ps.setString(i, name);
            return ps.executeUpdate();
          }
        });
  }

  private static boolean exists(Connection c, String table, String column, String value)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT 1 FROM " + table + " WHERE " + column + " = ?")) {
      ps.setString(1, value);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private static Account account(ResultSet rs) throws SQLException {
    String roles = rs.getString("roles");
    return new Account(
        rs.getString("name"),
        Account.Kind.valueOf(rs.getString("kind")),
        Optional.ofNullable(rs.getString("password_hash")),
        roles.isEmpty() ? List.of() : Arrays.asList(roles.split(",")),
        rs.getBoolean("disabled"),
        Sql.instant(rs, "created_at"));
  }

  private static Role role(ResultSet rs) throws SQLException {
    Set<Permission> ps = EnumSet.noneOf(Permission.class);
    String text = rs.getString("permissions");
    for (String p : text.isEmpty() ? new String[0] : text.split(",")) {
      // a permission a later version dropped grants nothing rather than failing the role
      Permission.of(p).ifPresent(ps::add);
    }
    return new Role(rs.getString("name"), ps, false);
  }
}
