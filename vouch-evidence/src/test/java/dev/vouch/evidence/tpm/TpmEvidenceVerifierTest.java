package dev.vouch.evidence.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The whole TPM evidence path: quotes, firmware event log against the quoted PCRs, IMA list against
 * the quoted PCR 10, and the claims that result.
 */
class TpmEvidenceVerifierTest {
  private final TpmEvidenceVerifier verifier = TpmEvidenceVerifier.trustingSuppliedAk();

  private static TpmEvidenceBundle bundle(
      QuoteSample s, Optional<byte[]> eventLog, Optional<byte[]> ima) throws Exception {
    return new TpmEvidenceBundle(
        s.ak(),
        Optional.empty(),
        List.of(),
        s.quotes().stream()
            .map(q -> new TpmEvidenceBundle.Quote(q.attest(), q.signature()))
            .toList(),
        s.pcrs(),
        eventLog,
        ima,
        Optional.empty());
  }

  private static byte[] gceLog() {
    return Vectors.bytes("tpm-eventlog/quote-logs/gce-cos-85-no-nonce/event_log.bin");
  }

  private Failure failure(TpmEvidenceBundle b, Expectations e) {
    VerificationException ex =
        catchThrowableOfType(VerificationException.class, () -> verifier.verify(b, e));
    assertThat(ex).as("expected rejection").isNotNull();
    return ex.failure();
  }

  @Test
  void acceptsGoogleVtpmQuotesWithTheirEventLogAndReportsSecureBoot() throws Exception {
    QuoteSample s = QuoteSample.gceCos85NoNonce();
    Claims c =
        verifier
            .verify(bundle(s, Optional.of(gceLog()), Optional.empty()), s.expectations())
            .claims();
    assertThat(c.get(TpmClaims.EVENTLOG_VERIFIED)).isEqualTo(true);
    assertThat(c.get(TpmClaims.EVENTLOG_PCRS))
        .isEqualTo(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L));
    boolean expected = TcgEventLog.parse(gceLog()).secureBoot().secureBootEnabled().orElseThrow();
    assertThat(c.get(TpmClaims.SECURE_BOOT)).isEqualTo(expected);
    assertThat(c.get("tpm.pcr.sha256.0"))
        .isEqualTo(Hex.encode(s.pcrs().get(HashAlg.SHA256, 0).orElseThrow()));
    assertThat(c.get("tpm.pcr.sha1.9")).isNotNull();
    assertThat(c.get("tpm.pcr.sha384.23")).isNotNull();
    assertThat(c.get(TpmClaims.AK_NAME))
        .isEqualTo("000bf175bdb57297b2b289973f819863d6c9d09c236725676914f4248c9a2404c2a4");
    assertThat(c.get(TpmClaims.IMA_VERIFIED)).isEqualTo(false);
  }

  @Test
  void acceptsTheWindowsLegacyLogWhoseReplayMatchesTheQuote() throws Exception {
    QuoteSample s = QuoteSample.goAttestationWindows();
    JsonNode d = Vectors.json("tpm-quote/go-attestation/windows_gcp_shielded_vm.json");
    byte[] log = Base64.getDecoder().decode(d.at("/Log/Raw").asText());
    Claims c =
        verifier.verify(bundle(s, Optional.of(log), Optional.empty()), s.expectations()).claims();
    assertThat(c.get(TpmClaims.EVENTLOG_PCRS))
        .asList()
        .contains(0L, 4L, 5L, 7L, 11L, 12L, 13L, 14L);
  }

  @Test
  void rejectsAnEventLogWithOneDigestChanged() throws Exception {
    QuoteSample s = QuoteSample.gceCos85NoNonce();
    byte[] log = gceLog();
    // the last event's last byte is part of its data; flip a byte inside the last sha256 digest
    TcgEventLog parsed = TcgEventLog.parse(log);
    var last = parsed.events().get(parsed.events().size() - 1);
    byte[] digest = last.digests().get(HashAlg.SHA256);
    int at = indexOf(log, digest);
    log[at] ^= 1;
    assertThat(failure(bundle(s, Optional.of(log), Optional.empty()), s.expectations()))
        .isEqualTo(Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void rejectsAnEventLogThatSharesNoRegisterWithTheQuote() throws Exception {
    QuoteSample s = QuoteSample.keylimeCheckquote(); // quotes only sha256 PCR 16
    assertThat(failure(bundle(s, Optional.of(gceLog()), Optional.empty()), s.expectations()))
        .isEqualTo(Failure.EVENT_LOG_MISMATCH);
  }

  @Test
  void readsTrusteeTpmEvidenceAndRejectsItWithAFlippedSignatureBit() throws Exception {
    byte[] json = Vectors.bytes("tpm-quote/trustee/tpm_evidence.json");
    byte[] nonce =
        Hex.decode(
            "a04182b506878d4f29b91ee606a71a0d3361ccf1b22db20c98adcaa537bea393ef0e41a18b3569ab678f1497fbc5c12000000000000000000000000000000000");
    Claims c = verifier.verify(json, Expectations.withNonce(nonce)).claims();
    assertThat(c.asMap().keySet().stream().filter(k -> k.startsWith("tpm.pcr.sha256.")))
        .hasSize(24);
    TpmEvidenceBundle b = TpmEvidenceVerifier.parseEvidence(json);
    byte[] sig = b.quotes().get(0).signature();
    sig[sig.length - 1] ^= 0x01;
    TpmEvidenceBundle tampered =
        new TpmEvidenceBundle(
            b.ak(),
            Optional.empty(),
            List.of(),
            List.of(new TpmEvidenceBundle.Quote(b.quotes().get(0).attest(), sig)),
            b.pcrs(),
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
    assertThat(failure(tampered, Expectations.withNonce(nonce)))
        .isEqualTo(Failure.SIGNATURE_INVALID);
    assertThat(failure(b, Expectations.withNonce(new byte[32]))).isEqualTo(Failure.NONCE_MISMATCH);
  }

  @Test
  void rejectsTrusteeEvidenceThatIsNotWellFormed() {
    VerificationException e =
        catchThrowableOfType(
            VerificationException.class,
            () -> verifier.verify("{\"tpm_quote\":{}}".getBytes(), Expectations.none()));
    assertThat(e.failure()).isEqualTo(Failure.MALFORMED);
  }

  /**
   * A live swtpm measures a real IMA list into PCR 10 as a kernel >= 5.x would (per bank), quotes
   * it, and the verifier matches the list; an entry logged after the quote is tolerated as not yet
   * quoted, while a changed entry is not.
   */
  @Test
  void matchesALiveImaListAgainstTheQuotedPcr10() throws Exception {
    byte[] list = Vectors.bytes("ima/rust-keylime/ascii_runtime_measurements");
    ImaLog ima = ImaLog.parse(list);
    List<ImaEntry> entries = ima.entries().subList(0, 40);
    try (Swtpm tpm = Swtpm.start()) {
      tpm.tpm2(
          "tpm2_createak",
          "-C",
          "0x81010001",
          "-c",
          "ak.ctx",
          "-G",
          "ecc",
          "-g",
          "sha256",
          "-s",
          "ecdsa",
          "-u",
          "ak.pub",
          "-n",
          "ak.name");
      tpm.flush();
      tpm.tpm2("tpm2_evictcontrol", "-C", "o", "-c", "ak.ctx", "0x81010002");
      tpm.flush();
      tpm.tpm2("tpm2_readpublic", "-c", "0x81010002", "-o", "ak.tpm2b_public");
      for (ImaEntry e : entries) {
        byte[] d = HashAlg.SHA256.digest(e.hashedBytes());
        tpm.tpm2("tpm2_pcrextend", "10:sha256=" + Hex.encode(d));
      }
      byte[] nonce = new byte[32];
      new SecureRandom().nextBytes(nonce);
      tpm.tpm2(
          "tpm2_quote",
          "-c",
          "0x81010002",
          "-l",
          "sha256:0,1,2,3,4,5,6,7,10",
          "-q",
          Hex.encode(nonce),
          "-m",
          "q.msg",
          "-s",
          "q.sig",
          "-o",
          "q.values",
          "-F",
          "values",
          "-g",
          "sha256");
      tpm.flush();
      byte[] attest = Files.readAllBytes(tpm.dir().resolve("q.msg"));
      PcrSelection sel = TpmAttest.parse(attest).quote().orElseThrow().selection();
      PcrValues pcrs =
          PcrFiles.fromConcatenated(sel, Files.readAllBytes(tpm.dir().resolve("q.values")));
      AkKey ak = AkKeys.parse(Files.readAllBytes(tpm.dir().resolve("ak.tpm2b_public")));
      // the agent's list already holds a 41st entry the TPM has not seen in the quote
      byte[] logged = ima.prefix(41).toBinary();
      TpmEvidenceBundle b =
          new TpmEvidenceBundle(
              ak,
              Optional.empty(),
              List.of(),
              List.of(
                  new TpmEvidenceBundle.Quote(
                      attest, Files.readAllBytes(tpm.dir().resolve("q.sig")))),
              pcrs,
              Optional.empty(),
              Optional.of(logged),
              Optional.empty());
      Claims c = verifier.verify(b, Expectations.withNonce(nonce)).claims();
      assertThat(c.get(TpmClaims.IMA_ENTRIES)).isEqualTo(41L);
      assertThat(c.get(TpmClaims.IMA_QUOTED_ENTRIES)).isEqualTo(40L);
      assertThat(c.get(TpmClaims.IMA_MODE)).isEqualTo("per_bank");

      byte[] forged = ima.prefix(40).toBinary();
      // change the file name of entry 20 and fix up its template hash, as an attacker could
      forged = replaceEntryName(forged, entries.get(19));
      TpmEvidenceBundle tampered =
          new TpmEvidenceBundle(
              ak,
              Optional.empty(),
              List.of(),
              b.quotes(),
              pcrs,
              Optional.empty(),
              Optional.of(forged),
              Optional.empty());
      assertThat(failure(tampered, Expectations.withNonce(nonce)))
          .isEqualTo(Failure.EVENT_LOG_MISMATCH);
    }
  }

  /** Rewrites one byte of the entry's file name and recomputes its SHA-1 template hash. */
  private static byte[] replaceEntryName(byte[] binary, ImaEntry entry) {
    byte[] data = entry.templateData();
    int at = indexOf(binary, data);
    byte[] name = entry.fileName().getBytes();
    int nameAt = indexOf(Arrays.copyOfRange(binary, at, at + data.length), name) + at;
    binary[nameAt] ^= 0x20;
    byte[] newHash = HashAlg.SHA1.digest(Arrays.copyOfRange(binary, at, at + data.length));
    // the template hash sits 4 + 20 + 4 + name length + 4 bytes before the data
    int hashAt = at - 4 - entry.templateName().length() - 4 - 20;
    System.arraycopy(newHash, 0, binary, hashAt, 20);
    return binary;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("not found");
  }
}
