package dev.vouch.evidence.tpm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.InitData;
import dev.vouch.evidence.tpm.eventlog.SecureBootState;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaCheckpoint;
import dev.vouch.evidence.tpm.ima.ImaIncremental;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Verifies a TPM 2.0 evidence bundle: every quote (signature, nonce, PCR digest), the AK
 * certificate chain when roots are configured, the firmware event log against the quoted PCRs, and
 * the IMA list against the quoted PCR 10. Produces the claims named in {@link TpmClaims}; Secure
 * Boot and IMA claims appear only when their log reproduced the quote.
 *
 * <p>Accepts the Vouch bundle ({@link TpmEvidenceBundle}) and Trustee's {@code tpm} evidence
 * ({@code {"ak_public", "tpm_quote": {"message", "signature", "pcrs"}}}). Immutable and
 * thread-safe.
 */
public final class TpmEvidenceVerifier implements EvidenceVerifier {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Optional<AkCertificateVerifier> akCertificates;
  private final Optional<AkKey> enrolledAk;

  private TpmEvidenceVerifier(
      Optional<AkCertificateVerifier> akCertificates, Optional<AkKey> enrolledAk) {
    this.akCertificates = akCertificates;
    this.enrolledAk = enrolledAk;
  }

  /**
   * A verifier that believes whatever AK the evidence carries: a quote then proves only that some
   * key signed it, so {@code tpm.ak.trust} is {@code supplied} and AK trust is left to policy (an
   * AK registered by its SPKI hash in reference values). For offline inspection and for services
   * whose policy pins AKs.
   */
  public static TpmEvidenceVerifier trustingSuppliedAk() {
    return new TpmEvidenceVerifier(Optional.empty(), Optional.empty());
  }

  /**
   * A verifier that checks a supplied AK certificate against these roots ({@code tpm.ak.trust} is
   * {@code certified}); a bundle without a certificate still verifies, with {@code tpm.ak.trust}
   * {@code supplied} and {@code tpm.ak.certified=false}, so that policy decides.
   */
  public static TpmEvidenceVerifier withAkRoots(AkCertificateVerifier roots) {
    return new TpmEvidenceVerifier(Optional.of(roots), Optional.empty());
  }

  /**
   * A verifier for a host whose AK the registrar enrolled (credential activation against its EK):
   * evidence signed by any other key is refused with {@link Failure#KEY_MISMATCH}, whatever AK the
   * bundle names; {@code tpm.ak.trust} is {@code enrolled}.
   */
  public static TpmEvidenceVerifier forEnrolledAk(AkKey enrolled) {
    return new TpmEvidenceVerifier(Optional.empty(), Optional.of(enrolled));
  }

  @Override
  public Tee tee() {
    return Tee.TPM;
  }

  /** A quote's {@code extraData} holds 32 bytes (the size of a SHA-256 digest). */
  @Override
  public int reportDataLength() {
    return 32;
  }

  /**
   * Init data is measured into PCR 8 from its reset value: PCR 8 (SHA-256 bank) must equal
   * SHA-256(32 zero bytes ‖ digest), so the digest must be 32 bytes.
   */
  @Override
  public void checkInitData(VerifiedEvidence verified, byte[] digest) throws VerificationException {
    requirePcr8InitData(verified, digest);
  }

  /**
   * The TPM init data rule, shared by every kind whose evidence is a TPM quote: PCR 8 (SHA-256
   * bank) must hold the 32-byte digest extended once into zeros.
   *
   * @throws VerificationException {@link Failure#UNSUPPORTED} for a digest of another size, else as
   *     {@link InitData#requireClaim}
   */
  public static void requirePcr8InitData(VerifiedEvidence verified, byte[] digest)
      throws VerificationException {
    if (digest.length != 32) {
      throw new VerificationException(
          Failure.UNSUPPORTED,
          "TPM init data binding needs a 32-byte (sha256) digest, got " + digest.length);
    }
    byte[] extended = new byte[64];
    System.arraycopy(digest, 0, extended, 32, 32);
    InitData.requireClaim(
        verified, TpmClaims.PCR_PREFIX + "sha256.8", HashAlg.SHA256.digest(extended), "PCR 8");
  }

  @Override
  public VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    return verify(parseEvidence(evidence), expected);
  }

  /** Reads either accepted evidence format. */
  public static TpmEvidenceBundle parseEvidence(byte[] evidence) throws VerificationException {
    if (looksLikeTrustee(evidence)) {
      return fromTrustee(evidence);
    }
    return TpmEvidenceBundle.parse(evidence);
  }

  /** Verifies a parsed bundle. */
  public VerifiedEvidence verify(TpmEvidenceBundle bundle, Expectations expected)
      throws VerificationException {
    return verify(bundle, expected, Optional.empty());
  }

  /**
   * Verifies a parsed bundle whose IMA entries continue {@code imaFrom}: they are replayed from the
   * checkpoint's PCR 10 values, and with a checkpoint a bundle without IMA entries means none were
   * added (PCR 10 must still hold the checkpoint's value). The IMA claims count entries from the
   * list's start ({@link TpmClaims#IMA_OFFSET} says where the supplied ones begin). Whether the
   * checkpoint belongs to the quoted boot is the caller's to check against {@link
   * TpmClaims#RESET_COUNT} and {@link TpmClaims#RESTART_COUNT}.
   */
  public VerifiedEvidence verify(
      TpmEvidenceBundle bundle, Expectations expected, Optional<ImaCheckpoint> imaFrom)
      throws VerificationException {
    if (enrolledAk.isPresent()
        && !java.security.MessageDigest.isEqual(
            enrolledAk.get().publicKey().getEncoded(), bundle.ak().publicKey().getEncoded())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "the evidence names an AK other than the one this host enrolled");
    }
    List<VerifiedQuote> quotes = TpmQuoteVerifier.verify(bundle, expected);
    boolean certified = false;
    boolean revocationChecked = false;
    if (akCertificates.isPresent() && bundle.akCert().isPresent()) {
      revocationChecked = akCertificates.get().verify(bundle, expected).revocationChecked();
      certified = true;
    }
    String trust =
        enrolledAk.isPresent()
            ? TpmClaims.AK_TRUST_ENROLLED
            : certified ? TpmClaims.AK_TRUST_CERTIFIED : TpmClaims.AK_TRUST_SUPPLIED;
    PcrValues quoted = merge(quotes);
    VerifiedQuote first = quotes.get(0);
    for (VerifiedQuote q : quotes) {
      if (q.clockInfo().resetCount() != first.clockInfo().resetCount()
          || q.clockInfo().restartCount() != first.clockInfo().restartCount()) {
        throw new VerificationException(
            Failure.MALFORMED, "the bundle's quotes come from different TPM boots");
      }
    }

    Claims.Builder claims = Claims.builder();
    bundle.ak().tpmPublic().ifPresent(p -> claims.put(TpmClaims.AK_NAME, Hex.encode(p.name())));
    claims.put(
        TpmClaims.AK_SPKI_SHA256,
        Hex.encode(HashAlg.SHA256.digest(bundle.ak().publicKey().getEncoded())));
    claims.put(
        TpmClaims.AK_PUBLIC,
        Base64.getEncoder().encodeToString(bundle.ak().publicKey().getEncoded()));
    claims.put(TpmClaims.AK_CERTIFIED, certified);
    claims.put(TpmClaims.AK_TRUST, trust);
    claims.put(TpmClaims.AK_REVOCATION_CHECKED, revocationChecked);
    claims.put(TpmClaims.EXTRA_DATA, Hex.encode(first.attest().extraData()));
    claims.put(TpmClaims.CLOCK, first.clockInfo().clock());
    claims.put(TpmClaims.RESET_COUNT, first.clockInfo().resetCount());
    claims.put(TpmClaims.RESTART_COUNT, first.clockInfo().restartCount());
    claims.put(TpmClaims.CLOCK_SAFE, first.clockInfo().safe());
    claims.put(TpmClaims.FIRMWARE_VERSION, String.format("%016x", first.firmwareVersion()));
    quoted
        .toHexMap()
        .forEach(
            (bank, regs) ->
                regs.forEach((i, v) -> claims.put(TpmClaims.PCR_PREFIX + bank + "." + i, v)));

    claims.put(TpmClaims.EVENTLOG_VERIFIED, bundle.eventLog().isPresent());
    if (bundle.eventLog().isPresent()) {
      verifyEventLog(bundle.eventLog().get(), quoted, claims);
    }
    Optional<byte[]> ima =
        bundle.imaLog().or(() -> bundle.imaLogAscii().map(s -> s.getBytes(StandardCharsets.UTF_8)));
    if (ima.isEmpty() && imaFrom.isPresent()) {
      ima = Optional.of(new byte[0]); // nothing added since the checkpoint
    }
    claims.put(TpmClaims.IMA_VERIFIED, ima.isPresent());
    if (ima.isPresent()) {
      verifyIma(ima.get(), quoted, imaFrom, claims);
    }
    return new VerifiedEvidence(Tee.TPM, claims.build());
  }

  /**
   * Every entry whose type binds its digest to its data must hash to it ({@link
   * TcgEventLog#verifyDigests}); every PCR that the log extends and the quote covers must replay
   * exactly, in every bank both have; at least one bank must be shared, or the log proves nothing.
   * Secure Boot claims come only from digest-checked PCR 7 entries, and only when PCR 7 itself was
   * quoted and replayed equal: otherwise they are absent, never guessed.
   */
  private static void verifyEventLog(byte[] bytes, PcrValues quoted, Claims.Builder claims)
      throws VerificationException {
    TcgEventLog log = TcgEventLog.parse(bytes).verifyDigests();
    PcrValues replayed = log.replay();
    TreeSet<Long> matched = new TreeSet<>();
    boolean sharedBank = false;
    for (HashAlg bank : replayed.banks()) {
      if (!quoted.banks().contains(bank)) {
        continue;
      }
      for (int pcr : replayed.indexes(bank)) {
        Optional<byte[]> q = quoted.get(bank, pcr);
        if (q.isEmpty()) {
          continue;
        }
        sharedBank = true;
        byte[] r = replayed.get(bank, pcr).orElseThrow();
        if (!Arrays.equals(r, q.get())) {
          throw new VerificationException(
              Failure.EVENT_LOG_MISMATCH,
              bank.shortName()
                  + " PCR "
                  + pcr
                  + ": the event log replays to "
                  + Hex.encode(r)
                  + " but the quote holds "
                  + Hex.encode(q.get()));
        }
        matched.add((long) pcr);
      }
    }
    if (!sharedBank) {
      throw new VerificationException(
          Failure.EVENT_LOG_MISMATCH,
          "the event log's banks "
              + log.banks()
              + " and PCRs share no quoted register, so it proves nothing");
    }
    claims.put(TpmClaims.EVENTLOG_EVENTS, log.events().size());
    claims.put(TpmClaims.EVENTLOG_PCRS, List.copyOf(matched));
    if (!matched.contains((long) SecureBootState.PCR)) {
      return; // the log's PCR 7 entries are not bound to anything the TPM signed
    }
    SecureBootState sb = log.secureBoot();
    sb.secureBootEnabled().ifPresent(v -> claims.put(TpmClaims.SECURE_BOOT, v));
    claims.put(TpmClaims.SECURE_BOOT_PK, sb.pkPresent());
    claims.put(TpmClaims.SECURE_BOOT_KEK, sb.kekPresent());
    claims.put(TpmClaims.SECURE_BOOT_DB, sb.dbPresent());
    claims.put(TpmClaims.SECURE_BOOT_DBX, sb.dbxPresent());
  }

  /**
   * The quoted PCR 10 must equal the replay of some prefix of the list (or, after a checkpoint, of
   * the entries after it, from the checkpoint's values) in every quoted bank ({@link
   * ImaIncremental}); the newer per-bank extension is tried before the old SHA-1-padded one.
   */
  private static void verifyIma(
      byte[] bytes, PcrValues quoted, Optional<ImaCheckpoint> from, Claims.Builder claims)
      throws VerificationException {
    ImaIncremental.Result r = ImaIncremental.verify(bytes, quoted, from);
    claims.put(TpmClaims.IMA_OFFSET, r.offset());
    claims.put(TpmClaims.IMA_ENTRIES, r.offset() + r.log().size());
    claims.put(TpmClaims.IMA_QUOTED_ENTRIES, r.next().entries());
    claims.put(TpmClaims.IMA_VIOLATIONS, r.violations());
    claims.put(TpmClaims.IMA_MODE, r.next().mode().name().toLowerCase(Locale.ROOT));
    claims.put(TpmClaims.IMA_BOOT_AGGREGATE, r.bootAggregate().claim());
  }

  private static PcrValues merge(List<VerifiedQuote> quotes) {
    PcrValues.Builder b = PcrValues.builder();
    for (VerifiedQuote q : quotes) {
      for (HashAlg bank : q.pcrs().banks()) {
        for (int i : q.pcrs().indexes(bank)) {
          b.put(bank, i, q.pcrs().get(bank, i).orElseThrow());
        }
      }
    }
    return b.build();
  }

  private static boolean looksLikeTrustee(byte[] evidence) {
    // cheap test before a JSON parse: Trustee's format is the only one with this member
    String head = new String(evidence, 0, Math.min(evidence.length, 4096), StandardCharsets.UTF_8);
    return head.contains("\"tpm_quote\"");
  }

  /** Trustee's {@code tpm} evidence: SHA-256 PCRs 0..23 and a DER SPKI AK. */
  static TpmEvidenceBundle fromTrustee(byte[] evidence) throws VerificationException {
    try {
      JsonNode root = JSON.readTree(evidence);
      JsonNode quote = root.path("tpm_quote");
      JsonNode pcrs = quote.path("pcrs");
      if (!root.path("ak_public").isTextual()
          || !quote.path("message").isTextual()
          || !quote.path("signature").isTextual()
          || !pcrs.isArray()
          || pcrs.size() > 24) {
        throw new VerificationException(
            Failure.MALFORMED,
            "Trustee TPM evidence needs ak_public, tpm_quote.message, .signature and .pcrs");
      }
      Base64.Decoder b64 = Base64.getMimeDecoder();
      AkKey ak = AkKeys.parse(b64.decode(root.path("ak_public").asText()));
      PcrValues.Builder values = PcrValues.builder();
      for (int i = 0; i < pcrs.size(); i++) {
        String hex = pcrs.get(i).asText();
        if (!Hex.isHex(hex) || hex.length() != 64) {
          throw new VerificationException(
              Failure.MALFORMED, "Trustee TPM evidence: pcrs[" + i + "] is not 32 bytes of hex");
        }
        values.put(HashAlg.SHA256, i, Hex.decode(hex));
      }
      return new TpmEvidenceBundle(
          ak,
          Optional.empty(),
          List.of(),
          List.of(
              new TpmEvidenceBundle.Quote(
                  b64.decode(quote.path("message").asText()),
                  b64.decode(quote.path("signature").asText()))),
          values.build(),
          Optional.empty(),
          Optional.empty(),
          Optional.empty());
    } catch (java.io.IOException | IllegalArgumentException e) {
      throw new VerificationException(
          Failure.MALFORMED, "Trustee TPM evidence is not valid JSON/base64: " + e.getMessage());
    }
  }
}
