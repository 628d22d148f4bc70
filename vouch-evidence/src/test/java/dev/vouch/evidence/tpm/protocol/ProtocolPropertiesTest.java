package dev.vouch.evidence.tpm.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Whatever arrives on the wire, the readers only ever fail with a verification failure. */
class ProtocolPropertiesTest {
  private static final EnumSet<Failure> READ_FAILURES =
      EnumSet.of(Failure.MALFORMED, Failure.UNSUPPORTED, Failure.TRUNCATED);

  private static final byte[] VALID =
      "{\"nonce\":\"0011\",\"pcrs\":{\"sha256\":[0,7]},\"event_log\":true,\"ima_offset\":3}"
          .getBytes(StandardCharsets.UTF_8);

  @Provide
  Arbitrary<byte[]> anyBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
  }

  private interface Reader {
    void read(byte[] b) throws VerificationException;
  }

  private static void readsOrFailsCleanly(Reader r, byte[] input) {
    try {
      r.read(input);
    } catch (VerificationException e) {
      assertThat(e.failure()).isIn(READ_FAILURES);
    }
  }

  @Property(tries = 300)
  void randomBytesOnlyFailAsVerificationFailures(@ForAll("anyBytes") byte[] input) {
    readsOrFailsCleanly(QuoteRequest::parse, input);
    readsOrFailsCleanly(QuoteResponse::parse, input);
    readsOrFailsCleanly(AgentAnnouncement::parse, input);
    readsOrFailsCleanly(AgentProblem::parse, input);
    AgentProblem.isProblem(input);
  }

  @Property(tries = 300)
  void mutatedRequestsOnlyFailAsVerificationFailures(
      @ForAll @IntRange(min = 0, max = 200) int position,
      @ForAll byte value,
      @ForAll @IntRange(min = 0, max = 200) int cut) {
    byte[] b = VALID.clone();
    b[position % b.length] = value;
    byte[] input = java.util.Arrays.copyOf(b, b.length - cut % b.length);
    readsOrFailsCleanly(QuoteRequest::parse, input);
  }
}
