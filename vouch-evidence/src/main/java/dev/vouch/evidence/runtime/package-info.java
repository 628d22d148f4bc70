/**
 * Runtime appraisal of an IMA list against a runtime policy, the way Keylime's verifier does it:
 * allowed digests per path, exclude patterns, keyring and {@code ima-buf} digests, IMA signature
 * keys. Entry points: {@link dev.vouch.evidence.runtime.RuntimePolicy} (Keylime's runtime policy
 * JSON, version 1, imported and exported) and {@link dev.vouch.evidence.runtime.RuntimeAppraiser}.
 */
package dev.vouch.evidence.runtime;
