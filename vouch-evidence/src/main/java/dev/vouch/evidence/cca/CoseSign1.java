package dev.vouch.evidence.cca;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.Signatures;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A COSE_Sign1 message (RFC 9052 §4.2) with an ECDSA signature, as Arm PSA and CCA tokens carry.
 *
 * <p>Parsing is strict: exactly four elements, a protected header that is a byte string holding a
 * map with the algorithm (label 1), an unprotected header map that repeats no protected label, an
 * attached payload, and a raw {@code r||s} signature of the algorithm's length. Critical headers
 * (label 2) are refused as {@link Failure#UNSUPPORTED}: nothing here would understand them.
 *
 * @param protectedHeader the protected header exactly as received (it is signed as such)
 * @param algorithm the signature algorithm named in the protected header
 * @param payload the signed payload bytes
 * @param signature the raw {@code r||s} signature
 */
public record CoseSign1(
    byte[] protectedHeader, CoseAlgorithm algorithm, byte[] payload, byte[] signature) {

  /** The COSE_Sign1_Tagged tag. */
  public static final long TAG = 18;

  private static final byte[] CONTEXT = "Signature1".getBytes(StandardCharsets.US_ASCII);

  public CoseSign1 {
    protectedHeader = protectedHeader.clone();
    payload = payload.clone();
    signature = signature.clone();
  }

  @Override
  public byte[] protectedHeader() {
    return protectedHeader.clone();
  }

  @Override
  public byte[] payload() {
    return payload.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  /** Whether the tag 18 must, may or must not be present. */
  public enum Tagging {
    REQUIRED,
    OPTIONAL
  }

  /**
   * Decodes a COSE_Sign1 from its own bytes (which must hold nothing else).
   *
   * @param what names the message in failure messages
   */
  public static CoseSign1 decode(byte[] bytes, Tagging tagging, String what)
      throws VerificationException {
    return fromItem(Cbor.decode(bytes, what), tagging, what);
  }

  /** Reads a COSE_Sign1 from an already decoded item. */
  public static CoseSign1 fromItem(CborValue item, Tagging tagging, String what)
      throws VerificationException {
    CborValue body = item;
    if (tagging == Tagging.REQUIRED || item instanceof CborValue.Tagged) {
      body = item.untag(TAG, what);
    }
    List<CborValue> parts = body.asArray(what);
    if (parts.size() != 4) {
      throw new VerificationException(
          Failure.MALFORMED, what + ": COSE_Sign1 has " + parts.size() + " elements, not 4");
    }
    byte[] protectedBytes = parts.get(0).asBytes(what + " protected header");
    CborValue.Map prot =
        protectedBytes.length == 0
            ? new CborValue.Map(java.util.Map.of())
            : Cbor.decode(protectedBytes, what + " protected header")
                .asMap(what + " protected header");
    CborValue.Map unprot = parts.get(1).asMap(what + " unprotected header");
    for (CborValue label : unprot.entries().keySet()) {
      if (prot.entries().containsKey(label)) {
        throw new VerificationException(
            Failure.MALFORMED, what + ": header label " + label + " is both protected and not");
      }
    }
    if (prot.get(2).isPresent() || unprot.get(2).isPresent()) {
      throw new VerificationException(
          Failure.UNSUPPORTED, what + " names critical headers, which are not supported");
    }
    if (unprot.get(1).isPresent()) {
      throw new VerificationException(
          Failure.MALFORMED, what + ": the algorithm must be in the protected header");
    }
    CoseAlgorithm alg =
        CoseAlgorithm.fromId(prot.require(1, what + " algorithm").asLong(what + " algorithm"));
    if (!(parts.get(2) instanceof CborValue.Bytes)) {
      throw new VerificationException(
          Failure.UNSUPPORTED, what + ": only attached byte-string payloads are supported");
    }
    byte[] payload = parts.get(2).asBytes(what + " payload");
    byte[] signature = parts.get(3).asBytes(what + " signature");
    if (signature.length != alg.signatureLength()) {
      throw new VerificationException(
          Failure.MALFORMED,
          what
              + ": an "
              + alg
              + " signature is "
              + alg.signatureLength()
              + " bytes, not "
              + signature.length);
    }
    return new CoseSign1(protectedBytes, alg, payload, signature);
  }

  /** The bytes signed: {@code ["Signature1", protected, h'', payload]} in CBOR. */
  public byte[] toBeSigned() {
    ByteArrayOutputStream out =
        new ByteArrayOutputStream(32 + protectedHeader.length + payload.length);
    out.write(0x84);
    writeHead(out, 3, CONTEXT.length);
    out.writeBytes(CONTEXT);
    writeHead(out, 2, protectedHeader.length);
    out.writeBytes(protectedHeader);
    writeHead(out, 2, 0);
    writeHead(out, 2, payload.length);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /**
   * Checks the signature with {@code key}.
   *
   * @throws VerificationException {@link Failure#KEY_MISMATCH} when the key is not on the
   *     algorithm's curve, {@link Failure#SIGNATURE_INVALID} when the signature does not verify
   */
  public void verify(EcKey key, String what) throws VerificationException {
    if (!verifies(key)) {
      throw new VerificationException(
          Failure.SIGNATURE_INVALID, what + ": " + algorithm + " signature does not verify");
    }
  }

  /**
   * Whether the signature verifies with {@code key}.
   *
   * @throws VerificationException {@link Failure#KEY_MISMATCH} when the key is not on the
   *     algorithm's curve
   */
  public boolean verifies(EcKey key) throws VerificationException {
    if (key.curve() != algorithm.curve()) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          algorithm + " needs a " + algorithm.curve().jwkName() + " key, not " + key.curve());
    }
    // a boolean on purpose: callers try each of several candidate keys
    return Signatures.isValid(
        algorithm.scheme(),
        key.publicKey(),
        toBeSigned(),
        Signatures.ecdsaDerFromConcatenated(signature));
  }

  private static void writeHead(ByteArrayOutputStream out, int major, int length) {
    int m = major << 5;
    if (length < 24) {
      out.write(m | length);
    } else if (length < 0x100) {
      out.write(m | 24);
      out.write(length);
    } else if (length < 0x10000) {
      out.write(m | 25);
      out.write(length >>> 8);
      out.write(length);
    } else {
      out.write(m | 26);
      out.write(length >>> 24);
      out.write(length >>> 16);
      out.write(length >>> 8);
      out.write(length);
    }
  }
}
