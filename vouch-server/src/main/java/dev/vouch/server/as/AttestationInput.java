package dev.vouch.server.as;

import dev.vouch.core.Tee;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One attestation request to the attestation service, in the shape of Trustee's AS API.
 *
 * @param tee the evidence kind
 * @param evidence the evidence bytes as the attester produced them
 * @param runtimeData data the evidence's report data must be bound to; required unless {@code
 *     freshness} is {@link Freshness#NONE}
 * @param runtimeDataHash hash for structured runtime data: {@code sha256}, {@code sha384} or {@code
 *     sha512} (Trustee's default is sha384)
 * @param initData init data (e.g. a policy document) bound through the TEE's config/host-data
 *     field, if any
 * @param policyIds policies to appraise with; empty means the default policy of the evidence kind
 * @param freshness whether the caller asks for no freshness check ({@link Freshness#NONE}, said
 *     explicitly and then carried in the token) or binds runtime data (the default)
 * @param runtimePolicy the name of a stored runtime policy the evidence's IMA entries are appraised
 *     against (container evidence only); its newest version is used
 */
public record AttestationInput(
    Tee tee,
    byte[] evidence,
    Optional<RuntimeData> runtimeData,
    String runtimeDataHash,
    Optional<byte[]> initData,
    List<String> policyIds,
    Freshness freshness,
    Optional<String> runtimePolicy) {

  /** How the request proves the evidence is fresh. */
  public enum Freshness {
    /** The evidence's report data must carry the runtime data (which must be given). */
    RUNTIME_DATA,
    /**
     * No freshness check, asked for explicitly ({@code "freshness": "none"}): for recorded evidence
     * and offline appraisal. The token says {@code freshness: none} so that policies and relying
     * parties can refuse it.
     */
    NONE;

    /** The wire and claim name: {@code runtime_data} or {@code none}. */
    public String wireName() {
      return this == NONE ? "none" : "runtime_data";
    }
  }

  public AttestationInput {
    Objects.requireNonNull(tee, "tee");
    evidence = evidence.clone();
    Objects.requireNonNull(runtimeData, "runtimeData");
    Objects.requireNonNull(runtimeDataHash, "runtimeDataHash");
    initData = initData.map(byte[]::clone);
    policyIds = List.copyOf(policyIds);
    Objects.requireNonNull(freshness, "freshness");
    Objects.requireNonNull(runtimePolicy, "runtimePolicy");
  }

  /** A request without a runtime policy. */
  public AttestationInput(
      Tee tee,
      byte[] evidence,
      Optional<RuntimeData> runtimeData,
      String runtimeDataHash,
      Optional<byte[]> initData,
      List<String> policyIds,
      Freshness freshness) {
    this(
        tee,
        evidence,
        runtimeData,
        runtimeDataHash,
        initData,
        policyIds,
        freshness,
        Optional.empty());
  }

  /** A request that binds runtime data (freshness required). */
  public AttestationInput(
      Tee tee,
      byte[] evidence,
      Optional<RuntimeData> runtimeData,
      String runtimeDataHash,
      Optional<byte[]> initData,
      List<String> policyIds) {
    this(tee, evidence, runtimeData, runtimeDataHash, initData, policyIds, Freshness.RUNTIME_DATA);
  }

  @Override
  public byte[] evidence() {
    return evidence.clone();
  }
}
