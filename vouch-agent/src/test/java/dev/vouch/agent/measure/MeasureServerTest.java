package dev.vouch.agent.measure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.evidence.tpm.ima.ImaLog;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unix-socket HTTP front of a non-isolated measurement service: requests it cannot or will not
 * read get a problem document with a fitting status, never a dropped connection; a stale socket
 * file is replaced and a regular file in its place is refused. No TPM is needed: evidence is not
 * asked for.
 */
class MeasureServerTest {
  @TempDir static Path tmp;
  static MeasureServer server;

  @BeforeAll
  static void start() throws Exception {
    Path list = Files.write(tmp.resolve("list"), ContainerNode.writeList());
    MeasurementService service = new MeasurementService(list, Optional.empty(), null, null);
    Path socket = tmp.resolve("m.sock");
    server = MeasureServer.start(service, socket, new SockDiagPeers(socket), ProcCgroups.system());
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static String send(String request) throws Exception {
    return UnixHttp.send(server.socket(), request);
  }

  @Test
  void aNotIsolatedServiceAnswersTheContainerNamedInTheQuery() throws Exception {
    String r =
        send("GET /v1/measurement?container=" + ContainerNode.C3 + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(r).startsWith("HTTP/1.1 200 OK\r\n").contains("Content-Type: application/json");
    assertThat(r).contains("\"events\":2").contains("\"pod\":\"" + ContainerNode.POD_B + "\"");
    // nothing is redacted when the agent does not isolate
    String log = send("GET /v1/eventlog?container=" + ContainerNode.C3 + " HTTP/1.1\r\n\r\n");
    assertThat(log).contains("\"isolated\":false").doesNotContain("\"redacted\"");
    String cel =
        send(
            "GET /v1/eventlog?container="
                + ContainerNode.C3
                + " HTTP/1.1\r\nAccept: application/cel+json\r\n\r\n");
    assertThat(cel).contains("Content-Type: application/cel+json").contains("\"recnum\":0");
    String system = send("GET /v1/measurement?register=system HTTP/1.1\r\n\r\n");
    assertThat(system)
        .startsWith("HTTP/1.1 200")
        .contains("\"events\":" + ImaLog.parse(ContainerNode.writeList()).size());
  }

  @Test
  void requestsTheServerWillNotReadGetProblems() throws Exception {
    assertThat(send("POST /v1/evidence HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"))
        .startsWith("HTTP/1.1 405")
        .contains("application/problem+json");
    assertThat(send("GET /v1/eventlog HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"))
        .startsWith("HTTP/1.1 400");
    assertThat(send("hello\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(send("GET /v1/eventlog?pod=a&pod=b HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 400");
    assertThat(send("GET /v1/eventlog?pod=not-a-uid HTTP/1.1\r\n\r\n"))
        .startsWith("HTTP/1.1 400")
        .contains("MALFORMED");
    assertThat(send("GET /v1/eventlog HTTP/1.1\r\nX: " + "a".repeat(20_000) + "\r\n\r\n"))
        .startsWith("HTTP/1.1 431");
    assertThat(send("GET /v1/eventlog HTTP/1.1\r\n")).startsWith("HTTP/1.1 400");
  }

  @Test
  void aStaleSocketIsReplacedAndARegularFileIsNot() throws Exception {
    Path stale = tmp.resolve("stale.sock");
    try (var ch = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.bind(UnixDomainSocketAddress.of(stale));
    }
    MeasurementService s =
        new MeasurementService(tmp.resolve("list"), Optional.empty(), null, null);
    try (MeasureServer again =
        MeasureServer.start(s, stale, new SockDiagPeers(stale), ProcCgroups.system())) {
      assertThat(again.socket()).isEqualTo(stale);
    }
    Path file = Files.writeString(tmp.resolve("file.sock"), "x");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> MeasureServer.start(s, file, new SockDiagPeers(file), ProcCgroups.system()))
        .hasMessageContaining("not a socket");
    assertThat(Files.readString(file)).isEqualTo("x");
  }

  @Test
  void socketDiagnosticsRowsAreReadWithTheirPeersAndPids() {
    List<SockDiagPeers.Row> rows =
        SockDiagPeers.parse(
            "u_str ESTAB 0 0 /run/vouch/measure.sock 22450 * 22465 users:((\"java\",pid=14127,fd=4))\n"
                + "u_str ESTAB 0 0 * 22465 * 22450 users:((\"curl\",pid=14185,fd=3),(\"sh\",pid=14180,fd=3))\n"
                + "u_str ESTAB 0 0 * 1368 * 1367\n"
                + "garbage line\n");
    assertThat(rows).hasSize(3);
    assertThat(rows.get(0).local()).isEqualTo("/run/vouch/measure.sock");
    assertThat(rows.get(0).peerInode()).isEqualTo(22465);
    assertThat(rows.get(1).pids()).containsExactly(14180L, 14185L);
    assertThat(rows.get(2).pids()).isEmpty();
  }
}
