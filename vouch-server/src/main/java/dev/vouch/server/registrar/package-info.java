/**
 * The registrar: enrolls a host's attestation key after checking its TPM's endorsement key
 * certificate and proving, by credential activation, that the key lives in that TPM.
 */
package dev.vouch.server.registrar;
