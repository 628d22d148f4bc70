package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.core.crypto.SignatureScheme;
import dev.vouch.core.crypto.Signatures;
import dev.vouch.evidence.Expectations;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Verifies TPM 2.0 quotes (TPM2_Quote output) against an attestation key, the verifier's nonce and
 * the PCR values supplied with the quote.
 *
 * <p>Checks run in a fixed order and each has its own failure code, so the first failing check is
 * what the caller sees:
 *
 * <ol>
 *   <li>the TPMS_ATTEST parses: {@link Failure#TRUNCATED} / {@link Failure#MALFORMED};
 *   <li>its magic is TPM_GENERATED_VALUE and its type is a quote: {@link Failure#MALFORMED};
 *   <li>the signature parses and its scheme is RSASSA, RSAPSS or ECDSA with a known hash: {@link
 *       Failure#UNSUPPORTED} otherwise;
 *   <li>the scheme fits the AK (key type; for a TPM public area also a restricted signing key and
 *       the scheme fixed in it): {@link Failure#KEY_MISMATCH};
 *   <li>the signature verifies over the exact TPMS_ATTEST bytes: {@link Failure#SIGNATURE_INVALID};
 *   <li>{@code extraData} equals the expected nonce (constant time), when one is expected: {@link
 *       Failure#NONCE_MISMATCH};
 *   <li>a value is supplied for every selected PCR: {@link Failure#PCR_VALUES_MISSING};
 *   <li>the signature hash over those values in selection order equals {@code pcrDigest}: {@link
 *       Failure#PCR_DIGEST_MISMATCH}. The digest uses the signature's hash, not the bank's (a SHA-1
 *       bank quoted with RSASSA-SHA256 has a SHA-256 pcrDigest).
 * </ol>
 *
 * <p>Stateless and thread-safe.
 */
public final class TpmQuoteVerifier {
  private TpmQuoteVerifier() {}

  /**
   * Verifies a quote given as tpm2-tools files: {@code quote.msg} (TPMS_ATTEST) and {@code
   * quote.sig} (TPMT_SIGNATURE, or the {@code -f plain} form, recognised by {@link
   * TpmSignature#decode} with SHA-256 for a plain signature when the AK fixes no scheme).
   */
  public static VerifiedQuote verify(
      byte[] attest, byte[] signature, AkKey ak, PcrValues pcrs, Expectations expected)
      throws VerificationException {
    TpmAttest parsed = parseQuote(attest);
    return verify(parsed, TpmSignature.decode(signature, ak, HashAlg.SHA256), ak, pcrs, expected);
  }

  /**
   * Verifies a quote given exactly as tpm2-tools writes it: {@code quote.msg}, {@code quote.sig}
   * (either form), the AK in any form {@link AkKeys#parse} reads, and the {@code -o} PCR file in
   * either form ({@link PcrFiles#read}). This is what {@code vouch verify --tee tpm --quote ...}
   * runs.
   */
  public static VerifiedQuote verifyTpm2ToolsFiles(
      byte[] attest, byte[] signature, byte[] ak, byte[] pcrFile, Expectations expected)
      throws VerificationException {
    TpmAttest parsed = parseQuote(attest);
    AkKey key = AkKeys.parse(ak);
    TpmSignature sig = TpmSignature.decode(signature, key, HashAlg.SHA256);
    PcrSelection selection = parsed.quote().orElseThrow().selection();
    return verify(parsed, sig, key, PcrFiles.read(selection, pcrFile), expected);
  }

  /**
   * Parses a TPMS_ATTEST and requires a quote.
   *
   * @throws VerificationException {@link Failure#MALFORMED} for another attestation type
   */
  public static TpmAttest parseQuote(byte[] attest) throws VerificationException {
    TpmAttest parsed = TpmAttest.parse(attest);
    if (parsed.type() != TpmAttest.Type.QUOTE) {
      throw new VerificationException(
          Failure.MALFORMED, "TPMS_ATTEST is a " + parsed.type() + ", not a QUOTE");
    }
    return parsed;
  }

  /** Verifies a parsed quote; see the class comment for the checks and their order. */
  public static VerifiedQuote verify(
      TpmAttest attest, TpmSignature signature, AkKey ak, PcrValues pcrs, Expectations expected)
      throws VerificationException {
    if (!(attest.attested() instanceof TpmAttest.QuoteInfo quote)) {
      throw new VerificationException(
          Failure.MALFORMED, "TPMS_ATTEST is a " + attest.type() + ", not a QUOTE");
    }
    SignatureScheme scheme = schemeFor(signature, ak);
    Signatures.requireValid(
        scheme, ak.publicKey(), attest.signedBytesUnsafe(), signature.valueUnsafe(), "quote");
    Optional<byte[]> nonce = expected.nonce();
    if (nonce.isPresent() && !attest.extraDataEquals(nonce.get())) {
      throw new VerificationException(
          Failure.NONCE_MISMATCH, "quote extraData differs from the expected nonce");
    }
    PcrSelection selection = quote.selection();
    byte[] digest = selection.digest(scheme.hash(), pcrs);
    if (!Crypto.constantTimeEquals(digest, quote.pcrDigestUnsafe())) {
      throw new VerificationException(
          Failure.PCR_DIGEST_MISMATCH,
          "supplied values of "
              + selection
              + " do not reproduce the quoted "
              + scheme.hash()
              + " pcrDigest");
    }
    return new VerifiedQuote(
        attest,
        signature,
        selection,
        selection.restrict(pcrs),
        attest.clockInfo(),
        attest.firmwareVersion());
  }

  /**
   * Verifies every quote of a bundle with the bundle's AK and PCR values.
   *
   * @return one verified quote per bundle quote, in bundle order
   */
  public static List<VerifiedQuote> verify(TpmEvidenceBundle bundle, Expectations expected)
      throws VerificationException {
    List<VerifiedQuote> out = new ArrayList<>(bundle.quotes().size());
    for (TpmEvidenceBundle.Quote q : bundle.quotes()) {
      out.add(verify(q.attest(), q.signature(), bundle.ak(), bundle.pcrs(), expected));
    }
    return out;
  }

  private static SignatureScheme schemeFor(TpmSignature signature, AkKey ak)
      throws VerificationException {
    SignatureScheme scheme =
        signature
            .scheme()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.UNSUPPORTED, "quote signature scheme " + signature));
    boolean keyFits = scheme.family() == SignatureScheme.Family.ECDSA ? ak.isEc() : ak.isRsa();
    if (!keyFits) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "a "
              + signature
              + " signature cannot come from a "
              + ak.publicKey().getAlgorithm()
              + " AK");
    }
    if (ak.tpmPublic().isPresent()) {
      TpmPublic pub = ak.tpmPublic().get();
      if (!pub.isRestrictedSigningKey()) {
        throw new VerificationException(
            Failure.KEY_MISMATCH,
            String.format(
                "AK is not a restricted signing key (objectAttributes 0x%x): its signatures do"
                    + " not prove the TPM made the quote",
                pub.objectAttributes()));
      }
      Optional<TpmPublic.Scheme> fixed = pub.signingScheme();
      if (fixed.isPresent()
          && (fixed.get().scheme() != signature.algorithm().tpmId()
              || fixed.get().hashAlg() != scheme.hash().tpmId())) {
        throw new VerificationException(
            Failure.KEY_MISMATCH,
            "AK is fixed to " + fixed.get() + " but the quote is signed with " + signature);
      }
    }
    return scheme;
  }
}
