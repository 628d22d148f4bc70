/**
 * A TPM 2.0 client in plain Java (no JNI, no tpm2-tools at run time): {@link
 * dev.vouch.agent.tpm.TpmClient} over a {@link dev.vouch.agent.tpm.TpmTransport} ({@code
 * /dev/tpmrm0} or swtpm's TCP port). The verifier's half of credential activation lives in
 * vouch-evidence ({@link dev.vouch.evidence.tpm.CredentialProtection}).
 *
 * <p>Results are raw TPM structures (TPM2B_PUBLIC, TPMS_ATTEST, TPMT_SIGNATURE) in the byte forms
 * tpm2-tools writes, for the verifiers in vouch-evidence to parse.
 */
package dev.vouch.agent.tpm;
