/**
 * Container integrity measurement (the CIMA role): attribution of IMA entries of the cgroup-aware
 * templates ({@code ima-cgpath}, {@code ima-dep-cgn}) to Kubernetes pods and containers, the
 * measurement policy YAML, and the per-pod and per-container virtual registers a verifier replays.
 *
 * <p>Entry points: {@link dev.vouch.evidence.cima.ContainerAttribution#measure} (a parsed IMA list
 * to per-pod and per-container registers), {@link dev.vouch.evidence.cima.MeasurementPolicy#parse}
 * (the YAML, validated with errors naming line and key), {@link
 * dev.vouch.evidence.cima.CgroupOwner#of} (one cgroup path to its owner).
 */
package dev.vouch.evidence.cima;
