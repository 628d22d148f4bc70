package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.crypto.HashAlg;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever a TPM (or something posing as one) answers, the client either returns a value or throws
 * {@link TpmException}: never an unchecked exception, never a huge allocation.
 */
class HostileResponsePropertiesTest {
  private static FakeTpm fake;

  @BeforeContainer
  static void start() throws Exception {
    fake = new FakeTpm(cmd -> FakeTpm.success(new byte[0]));
  }

  @AfterContainer
  static void stop() throws Exception {
    fake.close();
  }

  private interface Call {
    void run(TpmClient c) throws TpmException;
  }

  private static final List<Call> CALLS =
      List.of(
          c -> c.getRandom(16),
          c -> c.info(),
          c -> c.pcrBanks(),
          c -> c.transientHandles(),
          c -> c.pcrRead(List.of(PcrSelection.range(HashAlg.SHA256, 0, 23))),
          c -> c.readPublic(0x81010001),
          c -> c.nvReadPublic(0x01C00002),
          c -> c.startPolicySession(HashAlg.SHA256));

  @Provide
  Arbitrary<byte[]> bodies() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
  }

  @Property(tries = 200)
  void randomParameterAreasOnlyEverGiveTpmExceptions(
      @ForAll("bodies") byte[] body,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 7) int which) {
    fake.respondWith(cmd -> FakeTpm.success(body));
    try (TpmClient c = fake.client()) {
      CALLS.get(which).run(c);
    } catch (TpmException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property(tries = 200)
  void randomWholeResponsesOnlyEverGiveTpmExceptions(@ForAll("bodies") byte[] response) {
    fake.respondWith(cmd -> response);
    try (TpmClient c = fake.client()) {
      c.getRandom(8);
    } catch (TpmException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
