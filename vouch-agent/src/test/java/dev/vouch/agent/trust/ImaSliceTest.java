package dev.vouch.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The agent's offset-based slices of a binary IMA list, framed by lengths only. */
class ImaSliceTest {

  private static byte[] list(HashAlg templateHash) {
    ImaListWriter w = new ImaListWriter(templateHash, false);
    w.ng(10, "sha256", HashAlg.SHA256.digest(new byte[] {0}), "boot_aggregate");
    w.legacy(10, HashAlg.SHA1.digest(new byte[] {1}), "/init");
    w.sig(10, "sha256", HashAlg.SHA256.digest(new byte[] {2}), "/usr/bin/a", new byte[] {3, 4});
    w.violation(10, "sha256", "/var/log/x");
    w.buf(10, HashAlg.SHA256, ".ima", new byte[] {5, 6, 7});
    return w.binary();
  }

  @Test
  void everyCutEqualsTheEntriesAfterThatManyParsedOnes() throws Exception {
    for (HashAlg alg : new HashAlg[] {HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384}) {
      byte[] l = list(alg);
      ImaLog parsed = ImaLog.parse(l);
      for (int from = 0; from <= parsed.size(); from++) {
        ImaSlice s = ImaSlice.of(l, from);
        assertThat(s.offset()).isEqualTo(from);
        int skip = parsed.prefix(from).toBinary().length;
        assertThat(s.bytes()).isEqualTo(Arrays.copyOfRange(l, skip, l.length));
      }
    }
  }

  @Test
  void aCheckpointBeyondTheListGivesTheWholeListFromEntryZero() throws Exception {
    byte[] l = list(HashAlg.SHA1);
    ImaSlice s = ImaSlice.of(l, 6);
    assertThat(s.offset()).isZero();
    assertThat(s.bytes()).isEqualTo(l);
    assertThat(ImaSlice.of(new byte[0], 3).offset()).isZero();
  }

  @Test
  void aListCutInsideAnEntryBeforeTheCheckpointIsRefused() {
    byte[] l = list(HashAlg.SHA1);
    byte[] cut = Arrays.copyOf(l, l.length - 40);
    assertThatThrownBy(() -> ImaSlice.of(cut, 5))
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.TRUNCATED);
  }
}
