package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.measure.ContainerNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.cima.ContainerAttribution;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmQuoteVerifier;
import dev.vouch.evidence.tpm.VerifiedQuote;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The container measurement acceptance test on a real (software) TPM: an {@code ima-cgpath} list of
 * three containers in two pods plus host entries is extended into PCR 10 the way the kernel does
 * for a SHA-256 template hash list, PCR 10 is quoted, and the list verifies against the quoted
 * value and attributes as written; per-container registers equal a fold written here.
 */
class ContainerListQuoteTest extends SwtpmTest {
  private static final List<PcrSelection> PCR10 = List.of(PcrSelection.of(HashAlg.SHA256, 10));
  private static final String POD_A = ContainerNode.POD_A;
  private static final String POD_B = ContainerNode.POD_B;
  private static final String C1 = ContainerNode.C1;
  private static final String C2 = ContainerNode.C2;
  private static final String C3 = ContainerNode.C3;

  /** Three containers in two pods, host entries, the boot aggregate and a pod path without uid. */
  private static byte[] list() {
    return ContainerNode.writeList();
  }

  /** R = H(R || template hash) over the entries whose cgroup path {@code owns} accepts. */
  private static String fold(ImaLog log, Predicate<String> owns) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] r = new byte[32];
    for (ImaEntry e : log.entries()) {
      String data = new String(e.templateData(), StandardCharsets.ISO_8859_1);
      if (!e.templateName().equals("ima-cgpath") || !owns.test(data)) {
        continue;
      }
      md.update(r);
      md.update(e.templateHash());
      r = md.digest();
    }
    return Hex.encode(r);
  }

  @Test
  void aQuotedPcr10VerifiesTheContainerListAndItsAttribution() throws Exception {
    assertThat(tpm.pcrRead(PCR10).get(HashAlg.SHA256, 10).orElseThrow())
        .as("a fresh swtpm")
        .isEqualTo(new byte[32]);
    byte[] bytes = list();
    ImaLog written = ImaLog.parse(bytes);
    // the kernel extends a SHA-256 bank with the SHA-256 template hash, as it shows in this list
    for (ImaEntry e : written.entries()) {
      tpm.pcrExtend(e.pcr(), Map.of(HashAlg.SHA256, e.templateHash()));
    }

    try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256());
        TransientKey ak = tpm.createAndLoad(srk, KeyTemplate.akEccP256())) {
      byte[] nonce = tpm.getRandom(32);
      Attestation q = tpm.quote(ak, nonce, PCR10);
      PcrValues read = tpm.pcrRead(PCR10);
      var akKey = AkKeys.of(ak.parsedPublic());

      VerifiedQuote v =
          TpmQuoteVerifier.verify(
              q.attest(), q.signature(), akKey, read, Expectations.withNonce(nonce));
      byte[] quoted = v.pcrs().get(HashAlg.SHA256, 10).orElseThrow();

      // the verifier's side: the list as received, checked against the quoted register
      ImaLog received = ImaLog.parse(bytes);
      assertThat(received.requireQuotedPrefix(HashAlg.SHA256, 10, quoted, ImaReplayMode.PER_BANK))
          .isEqualTo(received.size());

      ContainerAttribution.Result r = ContainerAttribution.measure(received, Optional.empty());
      assertThat(r.pods()).containsOnlyKeys(POD_A, POD_B);
      assertThat(r.containers()).containsOnlyKeys(C1, C2, C3);
      assertThat(r.pods().get(POD_A).containers()).containsExactly(C1, C2);
      assertThat(r.pods().get(POD_B).containers()).containsExactly(C3);
      assertThat(r.hostEntries()).isEqualTo(2);
      assertThat(r.unattributed()).isEqualTo(2);
      for (String c : List.of(C1, C2, C3)) {
        assertThat(Hex.encode(r.containers().get(c).register()))
            .as(c)
            .isEqualTo(fold(received, d -> d.contains(c)));
      }
      assertThat(Hex.encode(r.pods().get(POD_A).register()))
          .isEqualTo(fold(received, d -> d.contains(POD_A.replace('-', '_'))));

      // a list with a container entry removed no longer reproduces the quoted register
      ImaLog dropped = ImaLog.parse(withoutEntry(bytes, received, 3));
      assertThatThrownBy(
              () -> dropped.requireQuotedPrefix(HashAlg.SHA256, 10, quoted, ImaReplayMode.PER_BANK))
          .isInstanceOf(VerificationException.class)
          .extracting(t -> ((VerificationException) t).failure())
          .isEqualTo(Failure.EVENT_LOG_MISMATCH);

      // and the quote itself is bound to its nonce
      byte[] other = nonce.clone();
      other[0] ^= 1;
      assertThatThrownBy(
              () ->
                  TpmQuoteVerifier.verify(
                      q.attest(), q.signature(), akKey, read, Expectations.withNonce(other)))
          .isInstanceOf(VerificationException.class)
          .extracting(t -> ((VerificationException) t).failure())
          .isEqualTo(Failure.NONCE_MISMATCH);
    }
  }

  /** The binary list without its entry {@code index} (0-based), re-encoded by the parser. */
  private static byte[] withoutEntry(byte[] bytes, ImaLog log, int index) throws Exception {
    byte[] whole = log.toBinary();
    assertThat(whole).isEqualTo(bytes);
    int start = 0;
    for (int i = 0; i < index; i++) {
      start += encodedLength(log.entries().get(i));
    }
    int end = start + encodedLength(log.entries().get(index));
    byte[] out = new byte[whole.length - (end - start)];
    System.arraycopy(whole, 0, out, 0, start);
    System.arraycopy(whole, end, out, start, whole.length - end);
    assertThat(Arrays.equals(out, whole)).isFalse();
    return out;
  }

  private static int encodedLength(ImaEntry e) {
    return 4 + e.templateHash().length + 4 + e.templateName().length() + 4 + e.templateDataLength();
  }
}
