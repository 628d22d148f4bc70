package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.cdh.DataHubTest;
import dev.vouch.cli.kbs.TestKbs;
import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch data-hub} against a real KBS (sample evidence, which that KBS accepts): the loopback
 * port and the unix socket release the same resource after attestation, and stopping the hub
 * removes the socket.
 */
class DataHubCommandTest {
  @Test
  void servesKbsResourcesOnThePortAndTheSocketAlike(@TempDir Path tmp) throws Exception {
    RealAttestation backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
    InMemoryResourceStore resources = new InMemoryResourceStore();
    resources.put(
        new ResourcePath("default", "key", "app"), "released-after-attestation".getBytes());
    Javalin kbs =
        TestKbs.serve(
            Set.of(Tee.SAMPLE),
            Optional.<AttestationBackend>of(backend),
            resources,
            AdminAuth.denyAll(),
            ResourcePolicy.defaultPolicy());
    Path socket = tmp.resolve("cdh.sock");
    DataHubCommand cmd = new DataHubCommand();
    Background hub =
        Background.start(
            cmd,
            cmd.stop,
            "--url",
            "http://127.0.0.1:" + kbs.port(),
            "--tee",
            "sample",
            "--port",
            "0",
            "--socket",
            socket.toString());
    try (hub) {
      int port =
          Integer.parseInt(
              hub.await(Pattern.compile("data hub on 127\\.0\\.0\\.1:(\\d+)")).group(1));
      HttpResponse<String> tcp =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + port + "/cdh/resource/default/key/app"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(tcp.statusCode()).isEqualTo(200);
      assertThat(tcp.body()).isEqualTo("released-after-attestation");
      assertThat(DataHubTest.overSocket(socket, "GET", "/cdh/resource/default/key/app", ""))
          .isEqualTo(List.of(200, "application/octet-stream", "released-after-attestation"));
      assertThat(DataHubTest.overSocket(socket, "GET", "/cdh/resource/default/key/none", "").get(0))
          .isEqualTo(404);
    } finally {
      kbs.stop();
      backend.close();
    }
    assertThat(hub.exit().get()).as(hub.out().toString()).isZero();
    assertThat(socket).doesNotExist();
  }

  @Test
  void badInputExitsTwo() {
    assertThat(CliRun.of("data-hub", "--url", "http://127.0.0.1:1", "--port", "70000").exit())
        .isEqualTo(2);
    assertThat(
            CliRun.of("data-hub", "--url", "http://127.0.0.1:1", "--tee", "nope", "--no-socket")
                .exit())
        .isEqualTo(2);
  }
}
