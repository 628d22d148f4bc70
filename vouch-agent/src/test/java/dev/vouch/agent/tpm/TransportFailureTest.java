package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.crypto.HashAlg;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TransportFailureTest {
  private FakeTpm fake;

  @BeforeEach
  void start() throws Exception {
    fake = new FakeTpm(cmd -> FakeTpm.success(new byte[0]));
  }

  @AfterEach
  void stop() throws Exception {
    fake.close();
  }

  private TpmException failureOf(TpmCallable call) {
    try {
      call.call();
    } catch (TpmException e) {
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a TpmException, got " + e, e);
    }
    throw new AssertionError("expected a TpmException");
  }

  private interface TpmCallable {
    void call() throws Exception;
  }

  @Test
  void responseCutOffInsideTheHeaderIsATransportError() {
    fake.respondWith(cmd -> new byte[] {(byte) 0x80, 0x01, 0, 0, 0});
    TpmException e = failureOf(() -> fake.client().getRandom(8));
    assertThat(e.responseCode()).isEmpty();
    assertThat(e).hasMessageContaining("connection closed after 5 bytes");
  }

  @Test
  void responseShorterThanItsHeaderSaysIsATransportError() {
    fake.respondWith(cmd -> Arrays.copyOf(FakeTpm.success(new byte[] {0, 8, 1, 2, 3, 4}), 12));
    TpmException e = failureOf(() -> fake.client().getRandom(8));
    assertThat(e).hasMessageContaining("12 of 16 response bytes");
  }

  @Test
  void responseClaimingAnImpossibleSizeIsRefusedBeforeReadingIt() {
    fake.respondWith(cmd -> new TpmWriter().u16(0x8001).u32(0x7fffffff).u32(0).toByteArray());
    TpmException e = failureOf(() -> fake.client().getRandom(8));
    assertThat(e).hasMessageContaining("impossible size");
  }

  @Test
  void parameterAreaThatDoesNotParseIsAProtocolErrorNamingTheCommand() {
    // TPM2B_DIGEST claims 50 bytes, 3 follow
    fake.respondWith(cmd -> FakeTpm.success(new byte[] {0, 50, 1, 2, 3}));
    TpmException e = failureOf(() -> fake.client().getRandom(8));
    assertThat(e).hasMessageContaining("TPM2_GetRandom").hasMessageContaining("bad response");
    assertThat(e.command()).contains(CommandCode.GET_RANDOM);
  }

  @Test
  void trailingBytesAfterTheParametersAreRefused() {
    fake.respondWith(cmd -> FakeTpm.success(new byte[] {0, 2, 1, 2, 9}));
    TpmException e = failureOf(() -> fake.client().getRandom(2));
    assertThat(e).hasMessageContaining("trailing");
  }

  @Test
  void responseWithSessionsTagToACommandWithoutSessionsIsRefused() {
    fake.respondWith(cmd -> new TpmWriter().u16(0x8002).u32(14).u32(0).u16(1).u16(0).toByteArray());
    TpmException e = failureOf(() -> fake.client().getRandom(1));
    assertThat(e).hasMessageContaining("response tag");
  }

  @Test
  void errorCodeFromTheTpmIsDecodedWithItsHandleNumber() {
    fake.respondWith(cmd -> FakeTpm.error(0x18B));
    TpmException e = failureOf(() -> fake.client().nvReadPublic(0x01C00002));
    assertThat(e.is(ResponseCode.TPM_RC_HANDLE)).isTrue();
    assertThat(e.responseCode().orElseThrow().handle()).hasValue(1);
    assertThat(e)
        .hasMessage(
            "TPM2_NV_ReadPublic failed: TPM_RC_HANDLE (the handle is not correct for the use),"
                + " handle 1 [0x18b]");
  }

  @Test
  void retryWarningsAreRetriedThenSucceed() throws Exception {
    int[] calls = {0};
    fake.keepConnectionsOpen();
    fake.respondWith(
        cmd -> calls[0]++ < 2 ? FakeTpm.error(0x922) : FakeTpm.success(new byte[] {0, 1, 42}));
    try (TpmClient client = fake.client()) {
      assertThat(client.getRandom(1)).containsExactly(42);
    }
    assertThat(calls[0]).isEqualTo(3);
  }

  @Test
  void retryWarningsThatPersistEndInTheWarning() throws Exception {
    fake.keepConnectionsOpen();
    fake.respondWith(cmd -> FakeTpm.error(0x922));
    try (TpmClient client = fake.client()) {
      TpmException e = failureOf(() -> client.getRandom(1));
      assertThat(e.is(ResponseCode.TPM_RC_RETRY)).isTrue();
      assertThat(e.responseCode().orElseThrow().isWarning()).isTrue();
    }
  }

  @Test
  void pcrReadThatReturnsUnrequestedRegistersIsRefused() {
    // update counter, selection of sha256 PCR 5 (not asked), one digest
    byte[] body =
        new TpmWriter()
            .u32(1)
            .u32(1)
            .u16(0x000B)
            .u8(3)
            .bytes(new byte[] {0x20, 0, 0})
            .u32(1)
            .tpm2b(new byte[32])
            .toByteArray();
    fake.respondWith(cmd -> FakeTpm.success(body));
    TpmException e =
        failureOf(() -> fake.client().pcrRead(List.of(PcrSelection.of(HashAlg.SHA256, 0))));
    assertThat(e).hasMessageContaining("not asked for");
  }

  @Test
  void unreachableSwtpmAndUnknownAddressesFailClearly() throws Exception {
    // A port bound but not listening refuses connections, and nothing else can take it meanwhile
    // (a port merely closed was once taken by another process's listener during a full run).
    try (Socket bound = new Socket()) {
      bound.bind(new InetSocketAddress("127.0.0.1", 0));
      int port = bound.getLocalPort();
      TpmException refused = failureOf(() -> new SwtpmTcpTransport("127.0.0.1", port));
      assertThat(refused).hasMessageContaining("cannot connect to swtpm at 127.0.0.1:" + port);
    }
    assertThat(failureOf(() -> TpmTransport.open("tcp:localhost")))
        .hasMessageContaining("unrecognized TPM address");
    assertThat(failureOf(() -> TpmTransport.open("swtpm:localhost:notaport")))
        .hasMessageContaining("unrecognized TPM address");
    assertThat(failureOf(() -> TpmTransport.open("device:" + Path.of("/nonexistent/tpmrm0"))))
        .hasMessageContaining("cannot open TPM device /nonexistent/tpmrm0");
    fake = new FakeTpm(cmd -> FakeTpm.success(new byte[0]));
  }

  @Test
  void deviceTransportTalksToACharacterDeviceLikeFile() throws Exception {
    // /dev/zero accepts any write and reads back zeros: a header declaring size 0 is refused
    TpmException e = failureOf(() -> TpmClient.open("device:/dev/zero").getRandom(4));
    assertThat(e).hasMessageContaining("impossible size");
  }
}
