package dev.vouch.cli;

import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vouch server [--config FILE] [--data-dir DIR] [--port N] [--collateral DIR]...}: runs the
 * attestation service, reference values and policies until stopped. Exit code 2 for an invalid
 * configuration.
 */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = {
      "Run the Vouch server (attestation service, reference values, policies).",
      "Configuration: YAML file, then VOUCH_* environment variables, then these flags."
    })
public final class ServerCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file")
  Path config;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description = "data directory (default ./vouch-data)")
  Path dataDir;

  @Option(names = "--port", paramLabel = "N", description = "listen port (default 8443; 0 = any)")
  Integer port;

  @Option(
      names = "--collateral",
      paramLabel = "DIR",
      description =
          "folder of offline collateral (Intel TCB info, QE identity, CRLs; AMD VCEK store; CCA"
              + " platform keys), recognised by content as by 'vouch verify --collateral';"
              + " repeatable, added to verifiers.collateral_dirs")
  List<Path> collateral = new ArrayList<>();

  @Override
  public Integer call() throws InterruptedException {
    ServerConfig cfg;
    VouchServer server;
    try {
      cfg =
          ConfigLoader.load(
              Optional.ofNullable(config),
              System.getenv(),
              Optional.ofNullable(dataDir),
              Optional.ofNullable(port));
      for (Path d : collateral) {
        if (!Files.isDirectory(d) || !Files.isReadable(d)) {
          throw new ConfigException("--collateral " + d + " is not a readable folder");
        }
      }
      cfg = cfg.withVerifiers(cfg.verifiers().withCollateralDirs(collateral));
      server = VouchServer.start(cfg);
    } catch (ConfigException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    }
    spec.commandLine().getOut().println("vouch server listening on " + server.baseUri());
    spec.commandLine().getOut().flush();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "vouch-shutdown"));
    stopped.await();
    return ExitCodes.OK;
  }
}
