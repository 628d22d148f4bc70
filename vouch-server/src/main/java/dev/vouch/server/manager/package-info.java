/**
 * The host manager: the registry of enrolled hosts ({@link dev.vouch.server.manager.HostRegistry})
 * and the {@link dev.vouch.server.manager.AttestationScheduler} that re-attests each host every
 * poll interval, sharing the work between replicas through database leases.
 */
package dev.vouch.server.manager;
