package dev.vouch.server.kbs;

import dev.vouch.core.Tee;
import dev.vouch.server.http.ClientRateLimiter;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Settings of the key broker.
 *
 * @param sessionTimeout how long a session lives after {@code /auth} (Trustee's default: 5
 *     minutes); never extended
 * @param maxRequestBytes the largest request body accepted (attestation with evidence, or a
 *     resource upload); larger ones get 413 before they are parsed (Trustee's default: 2 MiB)
 * @param tees the evidence kinds this KBS accepts in {@code /auth}; {@code sample} only belongs in
 *     test deployments
 * @param runtimeDataHash the hash of the runtime-data binding: {@code sha384} as Trustee's guests
 *     default to
 * @param policyIds the attestation policies the backend appraises with; empty for its defaults
 * @param authLimit each client's request rate on {@code /auth} (see {@link ClientRateLimiter} for
 *     what a client is)
 * @param attestLimit each client's request rate on {@code /attest}
 * @param maxUnattestedSessions the most live sessions not (yet) attested, across all clients: the
 *     bound on the session table under a flood from many addresses. {@code /auth} beyond it is
 *     refused with 429 until sessions expire or attest
 */
public record KbsConfig(
    Duration sessionTimeout,
    int maxRequestBytes,
    Set<Tee> tees,
    String runtimeDataHash,
    List<String> policyIds,
    ClientRateLimiter.Limit authLimit,
    ClientRateLimiter.Limit attestLimit,
    int maxUnattestedSessions) {

  /** Default per-client rate on {@code /auth}: 10 per second, bursts of 50. */
  public static final ClientRateLimiter.Limit DEFAULT_AUTH_LIMIT =
      new ClientRateLimiter.Limit(10, 50);

  /** Default per-client rate on {@code /attest}: 10 per second, bursts of 50. */
  public static final ClientRateLimiter.Limit DEFAULT_ATTEST_LIMIT =
      new ClientRateLimiter.Limit(10, 50);

  /** Default bound on live unattested sessions. */
  public static final int DEFAULT_MAX_UNATTESTED_SESSIONS = 10_000;

  /** Settings with the default rate limits and session bound. */
  public KbsConfig(
      Duration sessionTimeout,
      int maxRequestBytes,
      Set<Tee> tees,
      String runtimeDataHash,
      List<String> policyIds) {
    this(
        sessionTimeout,
        maxRequestBytes,
        tees,
        runtimeDataHash,
        policyIds,
        DEFAULT_AUTH_LIMIT,
        DEFAULT_ATTEST_LIMIT,
        DEFAULT_MAX_UNATTESTED_SESSIONS);
  }

  /** The protocol version this KBS speaks; requests must name exactly it. */
  public static final String PROTOCOL_VERSION = "0.4.0";

  /** The session cookie's name. */
  public static final String SESSION_COOKIE = "kbs-session-id";

  public KbsConfig {
    if (sessionTimeout.isNegative() || sessionTimeout.isZero()) {
      throw new IllegalArgumentException("sessionTimeout must be positive");
    }
    if (maxRequestBytes < 1024) {
      throw new IllegalArgumentException("maxRequestBytes must be at least 1024");
    }
    tees = tees.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(tees));
    if (!List.of("sha256", "sha384", "sha512").contains(runtimeDataHash)) {
      throw new IllegalArgumentException("runtimeDataHash must be sha256, sha384 or sha512");
    }
    policyIds = List.copyOf(policyIds);
    java.util.Objects.requireNonNull(authLimit);
    java.util.Objects.requireNonNull(attestLimit);
    if (maxUnattestedSessions < 1) {
      throw new IllegalArgumentException("maxUnattestedSessions must be at least 1");
    }
  }

  /** Trustee's defaults, every real TEE, no sample evidence. */
  public static KbsConfig defaults() {
    return new KbsConfig(
        Duration.ofMinutes(5),
        2 * 1024 * 1024,
        EnumSet.complementOf(EnumSet.of(Tee.SAMPLE)),
        "sha384",
        List.of());
  }

  /** These settings with another session timeout. */
  public KbsConfig withSessionTimeout(Duration d) {
    return new KbsConfig(
        d,
        maxRequestBytes,
        tees,
        runtimeDataHash,
        policyIds,
        authLimit,
        attestLimit,
        maxUnattestedSessions);
  }

  /** These settings with another request size limit. */
  public KbsConfig withMaxRequestBytes(int n) {
    return new KbsConfig(
        sessionTimeout,
        n,
        tees,
        runtimeDataHash,
        policyIds,
        authLimit,
        attestLimit,
        maxUnattestedSessions);
  }

  /** These settings accepting these evidence kinds. */
  public KbsConfig withTees(Set<Tee> accepted) {
    return new KbsConfig(
        sessionTimeout,
        maxRequestBytes,
        accepted,
        runtimeDataHash,
        policyIds,
        authLimit,
        attestLimit,
        maxUnattestedSessions);
  }

  /** These settings with other per-client rates and another bound on unattested sessions. */
  public KbsConfig withLimits(
      ClientRateLimiter.Limit auth, ClientRateLimiter.Limit attest, int maxUnattested) {
    return new KbsConfig(
        sessionTimeout,
        maxRequestBytes,
        tees,
        runtimeDataHash,
        policyIds,
        auth,
        attest,
        maxUnattested);
  }
}
