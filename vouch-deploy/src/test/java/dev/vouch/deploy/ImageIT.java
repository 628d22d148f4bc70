package dev.vouch.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCI images Jib wrote in the package phase ({@code target/images/vouch-server.tar} and {@code
 * vouch-agent.tar}), checked after packaging by failsafe (they do not exist in the test phase).
 *
 * <p>What it does: reads the OCI layout in each tarball (index, manifest, config); checks the
 * config names a non-root user and an entrypoint that runs the image's own {@code java}; unpacks
 * the layers in order into a folder (host {@code tar}); then runs the entrypoint unchanged inside
 * that folder as its root, so that the image's Java runtime and C library are the only ones used:
 * {@code unshare -m} (a private mount namespace) bind-mounts the host's {@code /dev} and {@code
 * /proc} into the folder as a container runtime would, and {@code chroot --userspec} switches to
 * the image's user (as root; a non-root build user gets {@code unshare -r}, where the process is
 * root of its own user namespace instead). Both images must answer {@code --help}; the server image
 * then starts with {@code --port 0}, plain HTTP on 127.0.0.1 and a data dir under the image's
 * {@code /tmp}, and must answer {@code GET /healthz} with 200.
 */
class ImageIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path IMAGES =
      Path.of(System.getProperty("vouch.images", "target/images")).toAbsolutePath();

  @TempDir Path tmp;

  /** An image's config and its unpacked root file system. */
  record Image(JsonNode config, Path root) {
    List<String> entrypoint() {
      List<String> out = new ArrayList<>();
      config.path("config").path("Entrypoint").forEach(n -> out.add(n.asText()));
      return out;
    }

    String user() {
      return config.path("config").path("User").asText();
    }
  }

  @Test
  void serverImageRunsAsNonRootAndAnswersHealthz() throws Exception {
    Image image = unpackAndAskForHelp("vouch-server", "server");
    assertThat(image.config().path("config").path("ExposedPorts").has("8443/tcp")).isTrue();

    Process p = start(image, List.of("--port", "0", "--data-dir", "/tmp/vouch-data"));
    try {
      URI base = listening(p);
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(base.resolve("/healthz"))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(r.body()).path("status").asText()).isEqualTo("ok");
      if (runAsRoot()) {
        // the server made its data dir as the image's user, not as root
        assertThat(Files.getAttribute(image.root().resolve("tmp/vouch-data"), "unix:uid"))
            .isEqualTo(65532);
      }
    } finally {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
    }
  }

  private static boolean runAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  @Test
  void agentImageRunsAsNonRootAndAnswersHelp() throws Exception {
    unpackAndAskForHelp("vouch-agent", "agent", "--host-id", "--measure-socket");
  }

  /**
   * Unpacks the image, checks its user, entrypoint and contents, and runs its entrypoint with
   * {@code --help}, which must print the verb's usage (and {@code shown}) and exit 0.
   */
  private Image unpackAndAskForHelp(String name, String verb, String... shown) throws Exception {
    Image image = unpack(name, tmp.resolve(name));
    assertThat(image.user()).isEqualTo("65532:65532");
    assertThat(image.entrypoint())
        .startsWith("/opt/java/bin/java")
        .endsWith("dev.vouch.cli.Main", verb);
    assertThat(image.root().resolve("opt/java/bin/java")).isExecutable();
    assertThat(image.root().resolve("lib/x86_64-linux-gnu/libc.so.6")).exists();
    // nothing but the runtime, the C library and the application: no shell in the image
    assertThat(image.root().resolve("bin/sh")).doesNotExist();
    Run help = run(image, List.of("--help"));
    assertThat(help.exit()).as(help.output()).isZero();
    List<CharSequence> expected = new ArrayList<>(List.of(shown));
    expected.add("Usage: vouch " + verb);
    assertThat(help.output()).contains(expected);
    return image;
  }

  /** Reads the OCI layout in the tarball and unpacks the image's layers into {@code root}. */
  private Image unpack(String name, Path dir) throws Exception {
    Path tar = IMAGES.resolve(name + ".tar");
    assertThat(tar).as("built by jib:buildTar in the package phase").exists();
    Path layout = dir.resolve("layout");
    Files.createDirectories(layout);
    exec(List.of("tar", "-xf", tar.toString(), "-C", layout.toString()));
    JsonNode index = JSON.readTree(layout.resolve("index.json").toFile());
    JsonNode manifest = JSON.readTree(blob(layout, index.path("manifests").get(0)).toFile());
    assertThat(manifest.path("mediaType").asText())
        .isEqualTo("application/vnd.oci.image.manifest.v1+json");
    JsonNode config = JSON.readTree(blob(layout, manifest.path("config")).toFile());
    Path root = dir.resolve("root");
    Files.createDirectories(root);
    for (JsonNode layer : manifest.path("layers")) {
      exec(
          List.of(
              "tar",
              "--no-same-owner",
              "-xpzf",
              blob(layout, layer).toString(),
              "-C",
              root.toString()));
    }
    // mount points a container runtime provides
    Files.createDirectories(root.resolve("dev"));
    Files.createDirectories(root.resolve("proc"));
    return new Image(config, root);
  }

  private static Path blob(Path layout, JsonNode descriptor) {
    String[] digest = descriptor.path("digest").asText().split(":", 2);
    return layout.resolve("blobs").resolve(digest[0]).resolve(digest[1]);
  }

  record Run(int exit, String output) {}

  private Run run(Image image, List<String> args) throws Exception {
    Process p = start(image, args);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), out);
  }

  /** The image's entrypoint plus {@code args}, with the image's environment, inside its root. */
  private Process start(Image image, List<String> args) throws IOException {
    boolean root = runAsRoot();
    List<String> cmd = new ArrayList<>(List.of("unshare", root ? "-m" : "-rm"));
    String chroot = root ? "chroot --userspec=" + image.user() : "chroot";
    cmd.addAll(List.of("sh", "-c", mountsThen(chroot), "sh", image.root().toString()));
    cmd.addAll(image.entrypoint());
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().clear();
    // for unshare's shell only; an image that sets PATH overrides it below
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    image
        .config()
        .path("config")
        .path("Env")
        .forEach(
            e -> {
              String[] kv = e.asText().split("=", 2);
              pb.environment().put(kv[0], kv[1]);
            });
    pb.environment().put("VOUCH_TLS_MODE", "off");
    pb.environment().put("VOUCH_HTTP_HOST", "127.0.0.1");
    return pb.start();
  }

  /** Runs in the new mount namespace: $1 is the image root, the rest the command in it. */
  private static String mountsThen(String chroot) {
    return "set -e; r=$1; shift; mount --rbind /dev \"$r/dev\"; mount --rbind /proc \"$r/proc\";"
        + " exec "
        + chroot
        + " \"$r\" \"$@\"";
  }

  private static URI listening(Process p) throws IOException {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null) {
      seen.append(line).append('\n');
      int at = line.indexOf("vouch server listening on ");
      if (at >= 0) {
        return URI.create(line.substring(at + "vouch server listening on ".length()).strip());
      }
    }
    throw new AssertionError("the server in the image exited without listening:\n" + seen);
  }

  private static void exec(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as("%s: %s", cmd, out).isZero();
  }
}
