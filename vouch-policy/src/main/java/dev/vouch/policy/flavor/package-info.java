/**
 * Host verification with flavors, as Intel ISecL / Open Edge Trusted Compute define them.
 *
 * <ul>
 *   <li>{@link dev.vouch.policy.flavor.Flavor}: a golden baseline for one {@link
 *       dev.vouch.policy.flavor.FlavorPart} (PCR rules per bank, event-log equals/includes, IMA
 *       files); {@link dev.vouch.policy.flavor.FlavorJson} reads and writes ISecL's JSON, {@link
 *       dev.vouch.policy.flavor.FlavorSigner} signs it (detached JWS, ES256/ES384).
 *   <li>{@link dev.vouch.policy.flavor.FlavorTemplate} and {@link
 *       dev.vouch.policy.flavor.FlavorFactory}: flavors from a connected host's verified evidence
 *       ({@link dev.vouch.policy.flavor.HostEvidence}), templates chosen by CEL conditions.
 *   <li>{@link dev.vouch.policy.flavor.FlavorGroup}, {@link dev.vouch.policy.flavor.MatchPolicy}
 *       and {@link dev.vouch.policy.flavor.FlavorMatcher}: rule results with ISecL's fault names,
 *       trust per part and the {@link dev.vouch.policy.flavor.HostStatus}.
 *   <li>{@link dev.vouch.policy.flavor.GoldenFlavors}: trust on first use per boot, or strict mode,
 *       with an audit record per decision.
 * </ul>
 *
 * <p>Storage, scheduling, host registry and node actions belong to the server.
 */
package dev.vouch.policy.flavor;
