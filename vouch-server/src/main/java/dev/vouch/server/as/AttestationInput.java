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
 * @param runtimeData data the evidence's report data must be bound to, if any
 * @param runtimeDataHash hash for structured runtime data: {@code sha256}, {@code sha384} or {@code
 *     sha512} (Trustee's default is sha384)
 * @param initData init data (e.g. a policy document) bound through the TEE's config/host-data
 *     field, if any
 * @param policyIds policies to appraise with; empty means the default policy of the evidence kind
 */
public record AttestationInput(
    Tee tee,
    byte[] evidence,
    Optional<RuntimeData> runtimeData,
    String runtimeDataHash,
    Optional<byte[]> initData,
    List<String> policyIds) {

  public AttestationInput {
    Objects.requireNonNull(tee, "tee");
    evidence = evidence.clone();
    Objects.requireNonNull(runtimeData, "runtimeData");
    Objects.requireNonNull(runtimeDataHash, "runtimeDataHash");
    initData = initData.map(byte[]::clone);
    policyIds = List.copyOf(policyIds);
  }

  @Override
  public byte[] evidence() {
    return evidence.clone();
  }
}
