/**
 * The Linux IMA runtime measurement list: parsing of the kernel's ASCII and binary exports, the
 * template-hash check of every entry, replay of the IMA register (PCR 10 by default) per bank,
 * matching a quoted register against a prefix of the list, and IMA file signature verification.
 *
 * <p>Entry points: {@link dev.vouch.evidence.tpm.ima.ImaLog} (decoded entries) and {@link
 * dev.vouch.evidence.tpm.ima.ImaReplay} (a streaming replay of the binary list that decodes no
 * entry objects, for very long lists).
 */
package dev.vouch.evidence.tpm.ima;
