package dev.vouch.server.nats;

import dev.vouch.evidence.tpm.protocol.HostIds;
import dev.vouch.evidence.tpm.protocol.NatsSubjects;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.store.Sealer;
import io.nats.client.AuthHandler;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.support.JsonSerializable;
import io.nats.client.support.JwtUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The NATS operator and account that the server signs agents' credentials with (NATS decentralized
 * JWT authentication). Every enrolled agent gets a user JWT, signed by the account key, for the
 * user NKey it generated itself: it may subscribe to {@code vouch.agent.<hostId>.quote} only,
 * publish to {@code vouch.agent.<hostId>.announce} only, and answer the requests it received (one
 * reply each). The server connects as a user of the same account without limits.
 *
 * <p>Why JWTs and not an auth callout: the nats-server we run (Debian 2.9) has no auth callout (it
 * came with 2.10), and with JWTs the nats-server checks each connection by itself from the operator
 * and account it was configured with, so agents keep reconnecting while every Vouch replica is
 * down, and no per-connection round trip to Vouch is needed. The agent's private key never leaves
 * the agent: the registrar only signs the public key the agent sends with its activation.
 *
 * <p>The operator and account seeds are kept sealed under the server's KEK in {@code
 * hosts.nats_auth_dir}, beside {@code operator.jwt} and {@code nats-auth.conf}, which a nats-server
 * configuration {@code include}s (operator, memory resolver, preloaded account).
 */
public final class NatsAuthority {
  private static final String SEAL_TABLE = "nats_auth";
  private static final String OPERATOR_FILE = "operator.nk.sealed";
  private static final String ACCOUNT_FILE = "account.nk.sealed";

  /** The file a nats-server configuration includes. */
  public static final String SERVER_CONFIG_FILE = "nats-auth.conf";

  /**
   * How long an agent's user JWT is valid; an agent enrolls again (and gets a new one) at start.
   */
  public static final Duration AGENT_VALIDITY = Duration.ofDays(365);

  private final NKey operator;
  private final NKey account;
  private final String operatorJwt;
  private final String accountJwt;

  private NatsAuthority(NKey operator, NKey account) throws GeneralSecurityException, IOException {
    this.operator = operator;
    this.account = account;
    String op = new String(operator.getPublicKey());
    this.operatorJwt =
        JwtUtils.issueJWT(
            operator, op, "vouch", null, JwtUtils.currentTimeSeconds(), op, new Typed("operator"));
    this.accountJwt =
        JwtUtils.issueJWT(
            operator,
            accountPublicKey(),
            "vouch-agents",
            null,
            JwtUtils.currentTimeSeconds(),
            op,
            new Typed("account"));
  }

  /** An authority with fresh keys, kept nowhere (tests). */
  public static NatsAuthority generate() throws GeneralSecurityException, IOException {
    SecureRandom r = new SecureRandom();
    return new NatsAuthority(NKey.createOperator(r), NKey.createAccount(r));
  }

  /**
   * The authority kept in {@code dir}: its sealed seeds are read, or generated on first start; the
   * operator JWT and the nats-server include file are (re)written every time.
   *
   * @throws IOException when the folder cannot be read or written
   * @throws Sealer.SealedDataException when a seed was sealed under another KEK or changed
   */
  public static NatsAuthority loadOrCreate(Path dir, Sealer sealer)
      throws IOException, GeneralSecurityException {
    Files.createDirectories(dir);
    SecureRandom r = new SecureRandom();
    NKey operator = seed(dir.resolve(OPERATOR_FILE), sealer, NKey.Type.OPERATOR, r);
    NKey account = seed(dir.resolve(ACCOUNT_FILE), sealer, NKey.Type.ACCOUNT, r);
    NatsAuthority a = new NatsAuthority(operator, account);
    Files.writeString(dir.resolve("operator.jwt"), a.operatorJwt);
    Files.writeString(dir.resolve(SERVER_CONFIG_FILE), a.serverConfig(dir.resolve("operator.jwt")));
    return a;
  }

  private static NKey seed(Path file, Sealer sealer, NKey.Type type, SecureRandom r)
      throws IOException, GeneralSecurityException {
    String id = type.name().toLowerCase(java.util.Locale.ROOT);
    if (Files.exists(file)) {
      char[] seed =
          new String(
                  sealer.unseal(Files.readAllBytes(file), SEAL_TABLE, id), StandardCharsets.UTF_8)
              .toCharArray();
      NKey k = NKey.fromSeed(seed);
      if (k.getType() != type) {
        throw new IOException(file + " holds a " + k.getType() + " key, not " + type);
      }
      return k;
    }
    NKey k = type == NKey.Type.OPERATOR ? NKey.createOperator(r) : NKey.createAccount(r);
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(
        tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.write(
        tmp, sealer.seal(new String(k.getSeed()).getBytes(StandardCharsets.UTF_8), SEAL_TABLE, id));
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    return k;
  }

  /**
   * The authority {@code hosts.nats_auth_dir} names, if any.
   *
   * @throws ConfigException when its keys cannot be read, unsealed or written
   */
  public static Optional<NatsAuthority> of(ServerConfig.Hosts hosts, Sealer sealer)
      throws ConfigException {
    if (hosts.natsAuthDir().isEmpty()) {
      return Optional.empty();
    }
    Path dir = hosts.natsAuthDir().get();
    try {
      return Optional.of(loadOrCreate(dir, sealer));
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new ConfigException("hosts.nats_auth_dir " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The operator's self-signed JWT, for the nats-server's {@code operator} setting. */
  public String operatorJwt() {
    return operatorJwt;
  }

  /** The account JWT signed by the operator, for the nats-server's resolver. */
  public String accountJwt() {
    return accountJwt;
  }

  public String accountPublicKey() {
    try {
      return new String(account.getPublicKey());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("an account NKey always has a public key", e);
    }
  }

  /**
   * The nats-server settings that trust this operator and know its account (memory resolver).
   *
   * @param operatorJwtFile where {@link #operatorJwt()} was written
   */
  public String serverConfig(Path operatorJwtFile) {
    return "operator: \""
        + operatorJwtFile.toAbsolutePath()
        + "\"\nresolver: MEMORY\nresolver_preload: {\n  "
        + accountPublicKey()
        + ": \""
        + accountJwt
        + "\"\n}\n";
  }

  /**
   * Signs a user JWT for an agent's own public NKey, limited to {@code hostId}'s subjects.
   *
   * @param userPublicKey the agent's user NKey ({@code U...})
   * @throws IllegalArgumentException for a host id outside {@link HostIds} or a key that is not a
   *     valid public user NKey
   */
  public String agentJwt(String hostId, String userPublicKey) {
    if (!HostIds.isValid(hostId)) {
      throw new IllegalArgumentException("host id must be 1-128 characters of A-Z a-z 0-9 _ -");
    }
    requireUserKey(userPublicKey);
    JwtUtils.UserClaim claim =
        new JwtUtils.UserClaim(accountPublicKey())
            .sub(new JwtUtils.Permission().allow(NatsSubjects.quote(hostId)))
            .pub(new JwtUtils.Permission().allow(NatsSubjects.announce(hostId)))
            // replies go to the requester's inbox: one answer per request received, promptly
            .resp(new JwtUtils.ResponsePermission().maxMsgs(1).expires(Duration.ofMinutes(2)));
    return sign(userPublicKey, "agent " + hostId, AGENT_VALIDITY, claim);
  }

  /** Whether {@code key} is a public user NKey ({@code U...} with a valid checksum). */
  public static boolean isUserKey(String key) {
    try {
      return key != null
          && key.length() == 56
          && key.startsWith("U")
          && NKey.isValidPublicUserKey(key.toCharArray());
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static void requireUserKey(String key) {
    if (!isUserKey(key)) {
      throw new IllegalArgumentException("not a public NATS user NKey (U..., 56 characters)");
    }
  }

  /**
   * Credentials for the server's own connection: a fresh user NKey with a JWT that allows every
   * subject of the account.
   */
  public AuthHandler serverCredentials() {
    try {
      NKey user = NKey.createUser(new SecureRandom());
      String jwt =
          sign(
              new String(user.getPublicKey()),
              "vouch-server",
              null,
              new JwtUtils.UserClaim(accountPublicKey()));
      return Nats.staticCredentials(jwt.toCharArray(), user.getSeed());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot make the server's NATS user key", e);
    }
  }

  private String sign(
      String userPublicKey, String name, Duration validity, JwtUtils.UserClaim claim) {
    try {
      return JwtUtils.issueUserJWT(
          account, userPublicKey, name, validity, JwtUtils.currentTimeSeconds(), claim);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("the account key cannot sign", e);
    }
  }

  /** The {@code nats} claim of operator and account JWTs: the type, and no limits. */
  private record Typed(String type) implements JsonSerializable {
    Typed {
      Objects.requireNonNull(type, "type");
    }

    @Override
    public String toJson() {
      String limits =
          type.equals("account")
              ? "\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,"
                  + "\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1},"
              : "";
      return "{" + limits + "\"type\":\"" + type + "\",\"version\":2}";
    }
  }
}
