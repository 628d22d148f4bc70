package dev.vouch.server.aas;

import dev.vouch.policy.ear.EarAlgorithm;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.JdbcSigningKeys;
import dev.vouch.server.store.Sealer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authentication and authorization service: password logins that yield short-lived admin JWTs,
 * API keys for service accounts, revocation, and the accounts and roles behind them. Every request
 * is checked against the database (revocations, disabled accounts, role changes), so replicas agree
 * at once. Bad input (names, unknown roles or permissions, short passwords) is an {@link
 * IllegalArgumentException} whose message may be shown to the caller. Thread-safe.
 */
public final class Aas {
  /** The bootstrap administrator's name. */
  public static final String BOOTSTRAP_ADMIN = "admin";

  /** Where a generated bootstrap password is written, in the data dir. */
  public static final String PASSWORD_FILE = "admin-password";

  static final String API_KEY_PREFIX = "vk_";
  private static final Logger LOG = LoggerFactory.getLogger(Aas.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final AasStore store;
  private final JdbcSigningKeys keys;
  private final AdminTokens tokens;
  private final LoginLimiter limiter;
  private final Clock clock;

  /** An API key as created: the secret is here and nowhere else. */
  public record CreatedKey(ApiKey key, String secret) {
    @Override
    public String toString() {
      return "CreatedKey[" + key.id() + "]";
    }
  }

  /** A user as created, with the generated password when none was given. */
  public record CreatedAccount(Account account, Optional<String> generatedPassword) {
    @Override
    public String toString() {
      return "CreatedAccount[" + account.name() + "]";
    }
  }

  public Aas(AasStore store, JdbcSigningKeys keys, AdminTokens tokens, Clock clock) {
    this.store = store;
    this.keys = keys;
    this.tokens = tokens;
    this.limiter = new LoginLimiter(store.database(), clock);
    this.clock = clock;
  }

  /**
   * Over {@code db}: admin tokens live {@code lifetime} and are signed with ES384 keys that rotate
   * every {@code rotation}.
   */
  public static Aas open(
      Database db, Sealer sealer, Duration lifetime, Duration rotation, Clock clock) {
    JdbcSigningKeys keys =
        new JdbcSigningKeys(
            db, sealer, JdbcSigningKeys.AUTH_TABLE, EarAlgorithm.ES384, lifetime, rotation, clock);
    return new Aas(new AasStore(db), keys, new AdminTokens(keys, lifetime, clock), clock);
  }

  public AasStore store() {
    return store;
  }

  public Duration tokenLifetime() {
    return tokens.lifetime();
  }

  /**
   * Rotates the token key when due, forgets revocations of expired tokens and stale login counts.
   */
  public void maintain() {
    keys.rotateIfDue();
    store.sweepRevocations(clock.instant().minus(Duration.ofMinutes(1)));
    limiter.sweep();
  }

  /**
   * First start: creates {@value #BOOTSTRAP_ADMIN} (role admin) when there is no account at all,
   * with {@code password} or a generated one written once to {@code dataDir/admin-password} (0600);
   * then makes {@code legacyToken} (the old single admin token) an API key of that administrator
   * unless it is known already (a revoked one stays revoked).
   */
  public void bootstrap(Optional<String> password, Path dataDir, String legacyToken) {
    if (store.accounts().isEmpty()) {
      String pw = password.orElseGet(() -> randomText(18));
      Account admin =
          new Account(
              BOOTSTRAP_ADMIN,
              Account.Kind.USER,
              Optional.of(PasswordHash.hash(pw.toCharArray())),
              List.of("admin"),
              false,
              clock.instant());
      boolean created;
      try {
        created = store.insert(admin);
      } catch (RuntimeException e) {
        // a replica starting at the same moment inserted it first
        if (store.account(BOOTSTRAP_ADMIN).isEmpty()) {
          throw e;
        }
        created = false;
      }
      if (created) {
        if (password.isEmpty()) {
          writePasswordFile(dataDir.resolve(PASSWORD_FILE), pw);
        }
        LOG.info(
            "aas bootstrap account={} password_from={}",
            BOOTSTRAP_ADMIN,
            password.isPresent() ? "configuration" : dataDir.resolve(PASSWORD_FILE));
      }
    }
    String hash = sha256(legacyToken);
    if (store.account(BOOTSTRAP_ADMIN).isPresent() && store.apiKeyByHash(hash).isEmpty()) {
      try {
        store.insert(
            new ApiKey(
                "bootstrap-" + hash.substring(0, 12),
                BOOTSTRAP_ADMIN,
                "admin token (admin.token or DATA_DIR/admin-token)",
                clock.instant(),
                Optional.empty()),
            hash);
      } catch (RuntimeException e) {
        // another replica inserted it first
        if (store.apiKeyByHash(hash).isEmpty()) {
          throw e;
        }
      }
    }
  }

  /** Password login: a fresh admin JWT, or a refusal (every failure logged, never the password). */
  public AdminTokens.Issued login(String name, char[] password, String address)
      throws AuthException {
    String who = Role.NAME.matcher(name).matches() ? name : "(malformed)";
    Optional<Duration> wait = limiter.check(who, address);
    if (wait.isPresent()) {
      LOG.warn("login refused account={} address={} reason=rate-limited", who, address);
      throw new AuthException(
          AuthException.Reason.RATE_LIMITED, "too many failed logins; try again later", wait);
    }
    Optional<Account> a = who.equals(name) ? store.account(name) : Optional.empty();
    boolean ok;
    if (a.isPresent() && a.get().passwordHash().isPresent()) {
      ok = PasswordHash.matches(password, a.get().passwordHash().get());
    } else {
      PasswordHash.burn(password);
      ok = false;
    }
    if (!ok || a.get().disabled()) {
      limiter.failed(who, address);
      String reason = ok ? "disabled" : "bad-credentials";
      LOG.warn("login failed account={} address={} reason={}", who, address, reason);
      throw new AuthException(
          AuthException.Reason.BAD_CREDENTIALS, "wrong name or password, or account disabled");
    }
    limiter.succeeded(who, address);
    AdminTokens.Issued t = tokens.issue(name, a.get().roles());
    LOG.info("login account={} address={} jti={}", name, address, t.jti());
    return t;
  }

  /**
   * Who sends {@code credential} (an admin JWT or an API key).
   *
   * @throws AuthException with a 401 reason
   */
  public Principal authenticate(String credential) throws AuthException {
    if (credential == null || credential.isBlank()) {
      throw new AuthException(AuthException.Reason.MISSING, "no credential");
    }
    String accountName;
    String via;
    if (credential.chars().filter(c -> c == '.').count() == 2) {
      AdminTokens.Claims c = tokens.verify(credential);
      if (store.tokenRevoked(c.jti())) {
        throw new AuthException(AuthException.Reason.REVOKED, "the token was revoked");
      }
      accountName = c.subject();
      via = "jwt:" + c.jti();
    } else {
      ApiKey k =
          store
              .apiKeyByHash(sha256(credential))
              .orElseThrow(
                  () -> new AuthException(AuthException.Reason.INVALID, "unknown API key"));
      if (k.revoked().isPresent()) {
        throw new AuthException(AuthException.Reason.REVOKED, "the API key was revoked");
      }
      accountName = k.account();
      via = "apikey:" + k.id();
    }
    Account a =
        store
            .account(accountName)
            .filter(x -> !x.disabled())
            .orElseThrow(
                () ->
                    new AuthException(
                        AuthException.Reason.DISABLED, "the account is disabled or gone"));
    Set<Permission> ps = EnumSet.noneOf(Permission.class);
    store.roles(a.roles()).forEach(r -> ps.addAll(r.permissions()));
    return new Principal(a.name(), new LinkedHashSet<>(a.roles()), ps, via);
  }

  /**
   * Revokes an admin JWT on every replica. Holding a valid token is the authority to revoke it (as
   * in RFC 7009); a token that already expired needs nothing.
   */
  public void revoke(String token) throws AuthException {
    AdminTokens.Claims c;
    try {
      c = tokens.verify(token);
    } catch (AuthException e) {
      if (e.reason() == AuthException.Reason.EXPIRED) {
        return;
      }
      throw e;
    }
    store.revokeToken(c.jti(), c.expires().plus(Duration.ofMinutes(1)));
    LOG.info("token revoked account={} jti={}", c.subject(), c.jti());
  }

  /** Adds a user (password given or generated) or a service account (no password). */
  public CreatedAccount addAccount(
      String name, Account.Kind kind, List<String> roles, Optional<String> password) {
    checkName(name, "account");
    checkRoles(roles);
    Optional<String> generated = Optional.empty();
    Optional<String> hash = Optional.empty();
    if (kind == Account.Kind.USER) {
      String pw = password.orElse(null);
      if (pw == null) {
        pw = randomText(18);
        generated = Optional.of(pw);
      }
      checkPassword(pw);
      hash = Optional.of(PasswordHash.hash(pw.toCharArray()));
    } else if (password.isPresent()) {
      throw new IllegalArgumentException("a service account has API keys, not a password");
    }
    Account a = new Account(name, kind, hash, roles, false, clock.instant());
    if (!store.insert(a)) {
      throw new IllegalStateException("an account named '" + name + "' exists");
    }
    LOG.info("account added account={} kind={} roles={}", name, kind, roles);
    return new CreatedAccount(a, generated);
  }

  /** Creates or replaces a custom role; built-in roles cannot be changed. */
  public Role putRole(String name, List<String> permissions) {
    checkName(name, "role");
    if (Role.BUILT_IN.containsKey(name)) {
      throw new IllegalStateException("'" + name + "' is a built-in role and cannot be changed");
    }
    Set<Permission> ps = EnumSet.noneOf(Permission.class);
    for (String p : permissions) {
      ps.add(
          Permission.of(p)
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "unknown permission '"
                              + p
                              + "' (known: "
                              + Arrays.stream(Permission.values()).map(Permission::value).toList()
                              + ")")));
    }
    Role r = new Role(name, ps, false);
    store.put(r, clock.instant());
    LOG.info("role stored role={} permissions={}", name, ps);
    return r;
  }

  /** Every role, built-in first. */
  public List<Role> roles() {
    List<Role> all = new java.util.ArrayList<>(Role.BUILT_IN.values());
    all.addAll(store.customRoles());
    return all;
  }

  /** Creates an API key for an existing account. */
  public CreatedKey createApiKey(String account, String label) {
    if (store.account(account).isEmpty()) {
      throw new IllegalArgumentException("no account named '" + account + "'");
    }
    if (label.length() > 200) {
      throw new IllegalArgumentException("the label is longer than 200 characters");
    }
    String secret = API_KEY_PREFIX + randomText(32);
    byte[] idBytes = new byte[8];
    RANDOM.nextBytes(idBytes);
    ApiKey k =
        new ApiKey(
            HexFormat.of().formatHex(idBytes), account, label, clock.instant(), Optional.empty());
    store.insert(k, sha256(secret));
    LOG.info("api key created id={} account={}", k.id(), account);
    return new CreatedKey(k, secret);
  }

  public boolean revokeApiKey(String id) {
    boolean done = store.revokeApiKey(id, clock.instant());
    if (done) {
      LOG.info("api key revoked id={}", id);
    }
    return done;
  }

  static void checkName(String name, String what) {
    if (name == null || !Role.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what + " name must be 1-64 of a-z 0-9 . _ - starting with a letter or digit");
    }
  }

  private void checkRoles(List<String> roles) {
    Set<String> known = new LinkedHashSet<>(Role.BUILT_IN.keySet());
    store.customRoles().forEach(r -> known.add(r.name()));
    for (String r : roles) {
      if (!known.contains(r)) {
        throw new IllegalArgumentException("unknown role '" + r + "' (known: " + known + ")");
      }
    }
  }

  static void checkPassword(String pw) {
    if (pw.length() < PasswordHash.MIN_PASSWORD_CHARS
        || pw.length() > PasswordHash.MAX_PASSWORD_CHARS) {
      throw new IllegalArgumentException(
          "a password must have "
              + PasswordHash.MIN_PASSWORD_CHARS
              + " to "
              + PasswordHash.MAX_PASSWORD_CHARS
              + " characters");
    }
  }

  private static void writePasswordFile(Path f, String pw) {
    try {
      Files.createFile(
          f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(f, pw + "\n");
    } catch (FileAlreadyExistsException e) {
      throw new IllegalStateException(
          f + " exists from an earlier bootstrap but the database has no accounts: remove it", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + f, e);
    }
  }

  static String randomText(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  Instant now() {
    return clock.instant();
  }
}
