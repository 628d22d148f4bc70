package dev.vouch.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's data dir (the H2 database) lies on a small tmpfs that fills up under it: writes that
 * cannot be stored answer 503 problem+json with a stable code and no stack trace, every write that
 * was answered 200 is kept (read back at once and after a restart), and once space returns writes
 * succeed again without a restart. Needs root to mount the tmpfs (as on the CI machine); skips
 * where {@code mount} is not allowed.
 */
class DiskFullTest {
  @TempDir Path dir;

  private static String policy(String name) {
    // a long description makes each version take real space in the database file
    return "description: \""
        + "x".repeat(64 * 1024)
        + "\"\nrules:\n  - name: "
        + name
        + "\n    category: executables\n    expr: claims[\"x\"] == \"y\"\n";
  }

  @Test
  void writesAnswer503WhileTheDiskIsFullLoseNothingAcceptedAndResumeWhenSpaceReturns()
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    try (Tmpfs fs = Tmpfs.mount(data, 48)) {
      ServerConfig cfg = TestServers.config(data, ServerConfig.TlsMode.OFF, Optional.empty());
      List<String> accepted = new ArrayList<>();
      Map<String, Integer> outcomes = new TreeMap<>();
      Path filler = data.resolve("filler");
      try (VouchServer server = VouchServer.start(cfg)) {
        Client c = new Client(server.baseUri());
        for (int i = 0; i < 3; i++) {
          assertThat(c.put("/api/v1/policies/before-" + i, policy("r"), true).status())
              .isEqualTo(200);
          accepted.add("before-" + i);
        }

        long filled = fill(filler);
        int refused = 0;
        for (int i = 0; i < 60 && refused < 5; i++) {
          Reply r = c.put("/api/v1/policies/full-" + i, policy("r"), true);
          outcomes.merge(Integer.toString(r.status()), 1, Integer::sum);
          if (r.status() == 200) {
            accepted.add("full-" + i);
            continue;
          }
          refused++;
          assertThat(r.status()).isEqualTo(503);
          assertThat(r.contentType()).startsWith("application/problem+json");
          assertThat(r.json().path("type").asText()).endsWith("/storage-full");
          assertThat(r.body()).doesNotContain("Exception").doesNotContain("at dev.vouch");
        }
        assertThat(refused)
            .as("writes refused on a full disk (filler %d bytes)", filled)
            .isPositive();
        assertThat(c.get("/readyz", false).status()).isIn(200, 503);

        Files.delete(filler);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        int status = 0;
        while (Instant.now().isBefore(deadline)) {
          status = c.put("/api/v1/policies/after", policy("r"), true).status();
          if (status == 200) {
            accepted.add("after");
            break;
          }
          Thread.sleep(250);
        }
        assertThat(status).as("writes work again once space returns").isEqualTo(200);
        for (String id : accepted) {
          assertThat(c.get("/api/v1/policies/" + id, true).status()).as(id).isEqualTo(200);
        }
      }
      // what was accepted is on disk, not only in the server's memory
      try (VouchServer again = VouchServer.start(cfg)) {
        Client c = new Client(again.baseUri());
        for (String id : accepted) {
          assertThat(c.get("/api/v1/policies/" + id, true).status()).as(id).isEqualTo(200);
        }
      }
      System.out.printf(
          "DiskFullTest: %d writes accepted (all read back after a restart), outcomes on the full"
              + " disk by status %s%n",
          accepted.size(), outcomes);
    }
  }

  /** Writes {@code filler} until the filesystem is full; returns how many bytes it took. */
  private static long fill(Path filler) {
    byte[] chunk = new byte[256 * 1024];
    long written = 0;
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
        written += chunk.length;
      }
    } catch (IOException full) {
      return written;
    }
  }

  /** A size-limited tmpfs mounted over a folder, unmounted on close. */
  private record Tmpfs(Path at) implements AutoCloseable {
    static Tmpfs mount(Path at, int megabytes) throws IOException, InterruptedException {
      Process p =
          new ProcessBuilder(
                  "mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m", "tmpfs", at.toString())
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes());
      boolean done = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
      assumeTrue(done, "cannot mount a tmpfs here (needs root): " + out);
      return new Tmpfs(at);
    }

    @Override
    public void close() throws IOException, InterruptedException {
      new ProcessBuilder("umount", "-l", at.toString())
          .inheritIO()
          .start()
          .waitFor(30, TimeUnit.SECONDS);
    }
  }
}
