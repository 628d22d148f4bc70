package dev.vouch.evidence.cca;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;

/**
 * A CCA attestation token split into its two signed parts, not yet verified: CBOR tag 399 around a
 * map that holds exactly the platform token (key 44234) and the realm delegated token (key 44241),
 * each a byte string holding a tagged COSE_Sign1.
 *
 * @param platform the platform token, signed by the platform's IAK
 * @param realm the realm token, signed by the realm's RAK
 */
public record CcaToken(CoseSign1 platform, CoseSign1 realm) {
  /** The CCA token collection tag. */
  public static final long TAG = 399;

  static final long PLATFORM = 44234;
  static final long REALM = 44241;

  /** Splits and decodes a token; nothing is verified yet. */
  public static CcaToken parse(byte[] token) throws VerificationException {
    CborValue.Map collection =
        Cbor.decode(token, "CCA token").untag(TAG, "CCA token").asMap("CCA token collection");
    if (collection.entries().size() != 2) {
      throw new VerificationException(
          Failure.MALFORMED,
          "the CCA token collection must hold the platform and realm tokens and nothing else");
    }
    byte[] platform =
        collection.require(PLATFORM, "CCA platform token").asBytes("CCA platform token");
    byte[] realm = collection.require(REALM, "CCA realm token").asBytes("CCA realm token");
    return new CcaToken(
        CoseSign1.decode(platform, CoseSign1.Tagging.REQUIRED, "CCA platform token"),
        CoseSign1.decode(realm, CoseSign1.Tagging.REQUIRED, "CCA realm token"));
  }
}
