package dev.vouch.cli;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * Runs the CLI's hot paths once so that {@code bin/vouch} can record a JDK 25 AOT cache (classes
 * loaded and linked, method profiles) with {@code -XX:AOTCacheOutput}; later runs start warm. Not
 * for users, hence hidden.
 */
@Command(name = "startup-training", hidden = true)
final class StartupTrainingCommand implements Callable<Integer> {

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("vouch-training");
    try {
      ImaListWriter w = new ImaListWriter(HashAlg.SHA1, false);
      Random r = new Random(3);
      for (int i = 0; i < 50_000; i++) {
        byte[] d = new byte[32];
        r.nextBytes(d);
        w.ng(10, "sha256", d, "/usr/lib/x86_64-linux-gnu/training-" + i + ".so");
      }
      Path ima = Files.write(dir.resolve("ima"), w.binary());
      Path bundle;
      try (InputStream in =
          getClass().getResourceAsStream("/dev/vouch/cli/demo/gce-cos-85-bundle.json")) {
        bundle = Files.write(dir.resolve("bundle.json"), in.readAllBytes());
      }
      PrintWriter sink = new PrintWriter(OutputStream.nullOutputStream());
      for (int round = 0; round < 3; round++) {
        Main.run(sink, sink, "eventlog", "replay", ima.toString(), "--format", "ima", "--json");
        Main.run(sink, sink, "verify", "--tee", "tpm", "--evidence", bundle.toString(), "--json");
      }
      return ExitCodes.OK;
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }
}
