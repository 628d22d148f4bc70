package dev.vouch.cli;

import dev.vouch.agent.cdh.DataHub;
import dev.vouch.agent.cdh.ResourceSource;
import dev.vouch.agent.tpm.TpmException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vouch data-hub --url KBS}: the guest's confidential data hub in Confidential Containers'
 * shape, {@code GET /cdh/resource/REPO/TYPE/TAG} and {@code POST /cdh/unseal} on 127.0.0.1:8006 and
 * on a unix socket, answering with what the KBS releases after attestation. Runs until stopped;
 * exit 2 bad input, 3 when the port, socket or TPM cannot be opened.
 */
@Command(
    name = "data-hub",
    mixinStandardHelpOptions = true,
    description =
        "Serve KBS resources and unseal sealed secrets for workloads (CoCo data hub REST shape).")
final class DataHubCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--url", required = true, description = "KBS base URL.")
  URI url;

  @Mixin GuestOptions guest;

  @Option(
      names = "--port",
      defaultValue = "" + DataHub.COCO_PORT,
      description = "Loopback port (default: ${DEFAULT-VALUE}; 0 for any free one).")
  int port;

  @Option(
      names = "--socket",
      paramLabel = "PATH",
      description = "Unix socket, made 0600 (default: /run/confidential-containers/cdh.sock).")
  Path socket = DataHub.COCO_SOCKET;

  @Option(names = "--no-socket", description = "Serve the loopback port only.")
  boolean noSocket;

  @Option(
      names = "--max-age",
      paramLabel = "SECONDS",
      defaultValue = "300",
      description = "Longest a resource is served from the cache (default: ${DEFAULT-VALUE}).")
  long maxAge;

  /** Counted down to stop a hub started in this JVM (tests); a signal stops it otherwise. */
  final CountDownLatch stop = new CountDownLatch(1);

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (port < 0 || port > 65535 || maxAge < 1) {
      err.println("error: --port is 0-65535 and --max-age at least 1");
      return ExitCodes.BAD_INPUT;
    }
    Optional<Path> sock = noSocket ? Optional.empty() : Optional.of(socket);
    try (GuestOptions.Guest g = guest.open(url);
        DataHub hub =
            DataHub.start(
                ResourceSource.of(g.kbs()),
                port,
                sock,
                Duration.ofSeconds(maxAge),
                Clock.systemUTC())) {
      Thread hook = new Thread(stop::countDown);
      Runtime.getRuntime().addShutdownHook(hook);
      out.println(
          "data hub on 127.0.0.1:"
              + hub.port()
              + sock.map(s -> " and unix:" + s).orElse("")
              + " for "
              + url);
      out.flush();
      try {
        stop.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook is what stopped us
      }
      return ExitCodes.OK;
    } catch (CliIo.BadInput e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    } catch (IOException | TpmException e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.INTERNAL;
    }
  }
}
