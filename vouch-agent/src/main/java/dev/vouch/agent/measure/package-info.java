/**
 * The container measurement service of {@code vouch agent} (the CIMA role): JSON over HTTP/1.1 on a
 * unix socket ({@code /run/vouch/measure.sock} by default). It attributes the node's IMA list to
 * pods and containers ({@link dev.vouch.evidence.cima.ContainerAttribution}) and serves a
 * container's measurement, its event log (TCG-style JSON or {@code application/cel+json}) and
 * evidence: a TPM quote whose qualifying data binds {@code SHA-256(register || nonce)}.
 *
 * <p>With {@code measure.container.isolated: true} a caller is identified by the kernel: the peer
 * process of the connection ({@link dev.vouch.agent.measure.PeerProcesses}), then its cgroup from
 * {@code /proc/<pid>/cgroup} ({@link dev.vouch.agent.measure.ProcCgroups}); what the request says
 * about its identity is never believed.
 */
package dev.vouch.agent.measure;
