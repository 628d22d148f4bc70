package dev.vouch.evidence.tpm;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import dev.vouch.core.crypto.HashAlg;

/** Small reading helpers shared by the TPM structure parsers. */
final class Marshal {
  private Marshal() {}

  /** A TPMI_ALG_HASH that Vouch can compute; anything else is {@link Failure#UNSUPPORTED}. */
  static HashAlg hash(ByteReader r, String what) throws VerificationException {
    int id = r.u16();
    return HashAlg.fromTpmId(id)
        .orElseThrow(
            () ->
                new VerificationException(
                    Failure.UNSUPPORTED, what + ": hash algorithm " + TpmAlg.name(id)));
  }

  /** Parses {@code bytes} with {@code parser} and requires that nothing is left over. */
  static <T> T exactly(byte[] bytes, String what, Parser<T> parser) throws VerificationException {
    ByteReader r = ByteReader.bigEndian(bytes);
    T value = parser.read(r);
    r.expectEnd(what);
    return value;
  }

  @FunctionalInterface
  interface Parser<T> {
    T read(ByteReader r) throws VerificationException;
  }
}
