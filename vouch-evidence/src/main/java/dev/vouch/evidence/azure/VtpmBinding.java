package dev.vouch.evidence.azure;

import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import dev.vouch.evidence.tpm.PcrSelection;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.TpmClaims;
import java.io.ByteArrayOutputStream;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The checks that tie an Azure vTPM quote to a hardware report that has already been verified, in
 * Trustee's terms ({@code deps/verifier/src/az_snp_vtpm}), each with its own failure:
 *
 * <ol>
 *   <li>SHA-256 of the HCL variable data equals the hardware report's first 32 report-data bytes
 *       ({@link Failure#HCL_DATA_MISMATCH}): the variable data, and the AK in it, come from the
 *       paravisor inside the TEE;
 *   <li>the quote verifies with that AK and no other (RSASSA-PKCS1-v1_5 SHA-256, {@link
 *       Failure#SIGNATURE_INVALID});
 *   <li>the quote's {@code extraData} is the expected runtime data ({@link
 *       Failure#NONCE_MISMATCH}): Trustee compares it with the runtime-data digest exactly; a
 *       service passes that digest zero-padded to 64 bytes, so {@code extraData} must be a prefix
 *       of it with only zeros after;
 *   <li>the PCR values are the quoted ones: one SHA-256 bank covering exactly as many registers as
 *       supplied ({@link Failure#PCR_VALUES_MISSING}), whose digest is the quote's ({@link
 *       Failure#PCR_DIGEST_MISMATCH});
 *   <li>from evidence version 2, the variable data's {@code user-data} starts with the same runtime
 *       data ({@link Failure#REPORT_DATA_MISMATCH}).
 * </ol>
 */
final class VtpmBinding {
  private VtpmBinding() {}

  /** Azure's claim of the evidence format version. */
  static final String EVIDENCE_VERSION = "azure.evidence_version";

  /** The HCL's {@code user-data}, hex, when the variable data carries it. */
  static final String USER_DATA = "azure.hcl.user_data";

  /** Checks the binding; returns the TPM claims (PCRs named by their quoted index). */
  static Claims bind(
      AzureEvidence ev, HclReport hcl, byte[] hardwareReportData, Optional<byte[]> nonce)
      throws VerificationException {
    if (!Crypto.constantTimeEquals(hcl.varDataSha256(), Arrays.copyOf(hardwareReportData, 32))) {
      throw new VerificationException(
          Failure.HCL_DATA_MISMATCH,
          "SHA-256 of the HCL variable data is not the hardware report's report data");
    }
    RSAPublicKey ak = hcl.attestationKey();
    VtpmQuote quote = ev.quote();
    Signatures.requireValid(
        SignatureScheme.RSA_PKCS1_SHA256,
        ak,
        quote.message(),
        quote.signature(),
        "vTPM quote under the HCL attestation key");
    TpmAttest attest = TpmAttest.parse(quote.message());
    TpmAttest.QuoteInfo info =
        attest
            .quote()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.MALFORMED, "the vTPM attestation is a " + attest.type()));
    byte[] extra = attest.extraData();
    if (nonce.isPresent()) {
      requireNonce(extra, nonce.get());
    }
    List<Integer> indexes = requirePcrs(info, quote.pcrs());
    if (ev.version() >= 2) {
      byte[] user =
          hcl.userData()
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.REPORT_DATA_MISMATCH,
                          "version 2 evidence without HCL user-data"));
      if (user.length < extra.length
          || !Crypto.constantTimeEquals(Arrays.copyOf(user, extra.length), extra)) {
        throw new VerificationException(
            Failure.REPORT_DATA_MISMATCH, "HCL user-data does not start with the runtime data");
      }
    }

    Claims.Builder c = Claims.builder();
    c.put(EVIDENCE_VERSION, ev.version());
    hcl.userData().ifPresent(u -> c.put(USER_DATA, Hex.encode(u)));
    c.put(TpmClaims.AK_SPKI_SHA256, Hex.encode(HashAlg.SHA256.digest(ak.getEncoded())));
    c.put(TpmClaims.AK_CERTIFIED, false);
    c.put(TpmClaims.AK_TRUST, TpmClaims.AK_TRUST_HCL);
    c.put(TpmClaims.EXTRA_DATA, Hex.encode(extra));
    c.put(TpmClaims.CLOCK, attest.clockInfo().clock());
    c.put(TpmClaims.RESET_COUNT, attest.clockInfo().resetCount());
    c.put(TpmClaims.RESTART_COUNT, attest.clockInfo().restartCount());
    c.put(TpmClaims.CLOCK_SAFE, attest.clockInfo().safe());
    c.put(TpmClaims.FIRMWARE_VERSION, String.format("%016x", attest.firmwareVersion()));
    List<byte[]> pcrs = quote.pcrs();
    for (int i = 0; i < pcrs.size(); i++) {
      c.put(TpmClaims.PCR_PREFIX + "sha256." + indexes.get(i), Hex.encode(pcrs.get(i)));
    }
    c.put(TpmClaims.EVENTLOG_VERIFIED, false);
    return c.build();
  }

  private static void requireNonce(byte[] extra, byte[] nonce) throws VerificationException {
    boolean ok = extra.length > 0 && extra.length <= nonce.length;
    if (ok) {
      byte[] want = Arrays.copyOf(extra, nonce.length);
      ok = Crypto.constantTimeEquals(want, nonce);
    }
    if (!ok) {
      throw new VerificationException(
          Failure.NONCE_MISMATCH,
          "vTPM quote extraData " + Hex.encode(extra) + " is not the expected runtime data");
    }
  }

  private static List<Integer> requirePcrs(TpmAttest.QuoteInfo info, List<byte[]> pcrs)
      throws VerificationException {
    List<PcrSelection.Bank> banks = info.selection().banks();
    if (banks.size() != 1
        || banks.get(0).hash() != HashAlg.SHA256
        || banks.get(0).pcrs().size() != pcrs.size()) {
      throw new VerificationException(
          Failure.PCR_VALUES_MISSING,
          pcrs.size() + " PCR values do not fit the quoted selection " + info.selection());
    }
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] p : pcrs) {
      if (p.length != 32) {
        throw new VerificationException(
            Failure.MALFORMED, "a SHA-256 PCR value of " + p.length + " bytes");
      }
      all.writeBytes(p);
    }
    if (!Crypto.constantTimeEquals(HashAlg.SHA256.digest(all.toByteArray()), info.pcrDigest())) {
      throw new VerificationException(
          Failure.PCR_DIGEST_MISMATCH, "the PCR values are not the ones the vTPM quoted");
    }
    return banks.get(0).pcrs();
  }
}
