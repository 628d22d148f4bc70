package dev.vouch.agent.sim;

import dev.vouch.agent.tpm.Attestation;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKey;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrSelection;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.TpmPublic;
import dev.vouch.evidence.tpm.TpmSignature;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;

/**
 * A software stand-in for one TPM 2.0, for tests and load generation that need hundreds of hosts:
 * an ECC NIST P-256 attestation key held in software, a SHA-256 PCR bank of 24 registers, a reset
 * counter and TPM2_Quote. Its structures are the real ones: the AK's public area is the TCG AK
 * template with the key's point as the unique field (so its TPM name is computed as a TPM would),
 * quotes are TPMS_ATTEST signed with ECDSA/SHA-256 into a TPMT_SIGNATURE, and both pass the
 * verifier's parsers and checks unchanged. It proves nothing about a platform: the key never lived
 * in a TPM.
 *
 * <p>Thread-safe; every operation runs under the instance lock, like commands on one TPM.
 */
public final class SimulatedTpm {
  /** Registers in the bank (PC Client). */
  public static final int PCR_COUNT = 24;

  /** The bank this TPM has; asking for any other fails as a TPM without it would. */
  public static final HashAlg BANK = HashAlg.SHA256;

  /** TPM_PT_FIRMWARE_VERSION_1 and _2 as the quote reports them. */
  static final long FIRMWARE_VERSION = 0x0001_0002_0003_0004L;

  private final KeyPair ak;
  private final TpmPublic akPublic;
  private final byte[] akName;
  private final AkKey akKey;
  private final byte[][] pcrs = new byte[PCR_COUNT][];
  private final long bornNanos = System.nanoTime();
  private long resetCount;

  /**
   * Makes a TPM with a fresh AK.
   *
   * @param random the randomness for the AK
   */
  public SimulatedTpm(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), random);
      this.ak = g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK always has P-256", e);
    }
    try {
      this.akPublic = TpmPublic.fromTpmt(akTpmtPublic((ECPublicKey) ak.getPublic()));
    } catch (VerificationException e) {
      throw new IllegalStateException("the AK public area does not parse back", e);
    }
    this.akName = akPublic.name();
    try {
      this.akKey = AkKeys.of(akPublic);
    } catch (VerificationException e) {
      throw new IllegalStateException("the AK was made from a valid P-256 point", e);
    }
    clearPcrs();
  }

  /**
   * The TCG AK template (restricted ECDSA/SHA-256 signing key on P-256) with the unique field
   * filled with the key's point, as TPM2_Create returns it.
   */
  private static byte[] akTpmtPublic(ECPublicKey key) {
    return eccPublicArea(KeyTemplate.akEccP256().tpmtPublic(), key);
  }

  /**
   * A P-256 key template's TPMT_PUBLIC with its unique field (which ends it: empty or zero-filled
   * coordinates) replaced by {@code key}'s point, as a TPM fills it when it creates the key.
   *
   * @throws IllegalArgumentException for a template that is not an ECC public area
   */
  public static byte[] eccPublicArea(byte[] template, ECPublicKey key) {
    int uniqueSize;
    try {
      if (!(TpmPublic.fromTpmt(template).unique() instanceof TpmPublic.EccPoint p)) {
        throw new IllegalArgumentException("not an ECC template");
      }
      uniqueSize = 2 + p.x().length + 2 + p.y().length;
    } catch (VerificationException e) {
      throw new IllegalArgumentException("the template does not parse", e);
    }
    int head = template.length - uniqueSize;
    byte[] x = fixed(key.getW().getAffineX());
    byte[] y = fixed(key.getW().getAffineY());
    return ByteBuffer.allocate(head + 4 + x.length + y.length)
        .put(template, 0, head)
        .putShort((short) x.length)
        .put(x)
        .putShort((short) y.length)
        .put(y)
        .array();
  }

  private static byte[] fixed(BigInteger v) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(32, b.length);
    System.arraycopy(b, b.length - n, out, 32 - n, n);
    return out;
  }

  /** The AK's public area. */
  public TpmPublic akPublic() {
    return akPublic;
  }

  /** The AK's TPM2B_PUBLIC, what enrollment records. */
  public byte[] akTpm2bPublic() {
    return akPublic.toTpm2b();
  }

  /** The AK's TPM name (SHA-256 name algorithm). */
  public byte[] akName() {
    return akName.clone();
  }

  /** The AK as a verifier takes it. */
  public AkKey akKey() {
    return akKey;
  }

  /** TPM2_PCR_Extend of one register. */
  public synchronized void extend(int pcr, byte[] digest) {
    if (digest.length != BANK.size()) {
      throw new IllegalArgumentException("a SHA-256 digest has 32 bytes, not " + digest.length);
    }
    pcrs[pcr] = PcrValues.extend(BANK, pcrs[pcr], digest);
  }

  /** A platform reset: the reset count grows and every register is zero again. */
  public synchronized void reboot() {
    resetCount++;
    clearPcrs();
  }

  public synchronized long resetCount() {
    return resetCount;
  }

  /** The current values of the selected registers (TPM2_PCR_Read). */
  public synchronized PcrValues read(PcrSelection selection) {
    requireBank(selection);
    PcrValues.Builder b = PcrValues.builder();
    for (PcrSelection.Bank bank : selection.banks()) {
      for (int i : bank.pcrs()) {
        b.put(BANK, i, pcrs[i]);
      }
    }
    return b.build();
  }

  /**
   * TPM2_Quote with the AK: a TPMS_ATTEST over {@code selection} carrying {@code nonce} as extra
   * data and this AK's name as the signer, with its ECDSA/SHA-256 signature, and the register
   * values it covers (read under the same lock, so they are exactly the quoted ones).
   *
   * @throws IllegalArgumentException for a bank other than SHA-256 or a nonce over 64 bytes
   */
  public synchronized Quote quote(byte[] nonce, PcrSelection selection) {
    PcrValues values = read(selection);
    byte[] pcrDigest;
    try {
      pcrDigest = selection.digest(HashAlg.SHA256, values);
    } catch (VerificationException e) {
      throw new IllegalStateException("every selected register was just read", e);
    }
    long clock = (System.nanoTime() - bornNanos) / 1_000_000;
    byte[] attest =
        TpmAttest.encodeQuote(
            akName,
            nonce,
            new TpmAttest.ClockInfo(clock, resetCount, 0, true),
            FIRMWARE_VERSION,
            new TpmAttest.QuoteInfo(selection, pcrDigest));
    return new Quote(new Attestation(attest, sign(attest)), values);
  }

  private byte[] sign(byte[] attest) {
    byte[] rs;
    try {
      Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
      s.initSign(ak.getPrivate());
      s.update(attest);
      rs = s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing with a software P-256 key failed", e);
    }
    return TpmSignature.encodeEcdsa(
        HashAlg.SHA256, Arrays.copyOfRange(rs, 0, 32), Arrays.copyOfRange(rs, 32, 64));
  }

  private static void requireBank(PcrSelection selection) {
    for (PcrSelection.Bank b : selection.banks()) {
      if (b.hash() != BANK) {
        throw new IllegalArgumentException("this TPM has no " + b.hash().shortName() + " bank");
      }
    }
  }

  private void clearPcrs() {
    for (int i = 0; i < PCR_COUNT; i++) {
      pcrs[i] = new byte[BANK.size()];
    }
  }

  /**
   * One quote.
   *
   * @param signed the TPMS_ATTEST and its TPMT_SIGNATURE, as the agent's TPM client returns them
   * @param values the quoted register values
   */
  public record Quote(Attestation signed, PcrValues values) {
    /** The TPMS_ATTEST. */
    public byte[] attest() {
      return signed.attest();
    }

    /** Its TPMT_SIGNATURE. */
    public byte[] signature() {
      return signed.signature();
    }
  }
}
