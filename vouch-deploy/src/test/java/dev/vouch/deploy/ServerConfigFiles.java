package dev.vouch.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * Loads a rendered chart's server configuration the way the server pod does: the ConfigMap's
 * vouch.yaml through {@link ConfigLoader}, with the Deployment's environment (values from the
 * rendered Secrets; a Secret the chart only names, such as {@code kek.existingSecret}, gets a
 * well-formed stand-in). The pod's mounts are stood for by a folder: every path under {@code
 * /etc/vouch} or {@code /var/lib/vouch} in the file is moved into it and created there, with the
 * rendered TLS Secret's content for the certificate and key.
 */
final class ServerConfigFiles {
  private ServerConfigFiles() {}

  static ServerConfig load(RenderedChart chart, Path root) throws IOException, ConfigException {
    ObjectNode cfg = chart.serverConfig();
    relocate(cfg, root, chart);
    Path file = root.resolve("vouch.yaml");
    Files.writeString(file, RenderedChart.YAML.writeValueAsString(cfg));
    return ConfigLoader.load(Optional.of(file), env(chart), Optional.empty(), Optional.empty());
  }

  static Container serverContainer(RenderedChart chart) {
    Deployment d = chart.get(Deployment.class, RenderedChart.RELEASE);
    return d.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  static Map<String, String> env(RenderedChart chart) {
    Map<String, String> env = new HashMap<>();
    for (EnvVar e : serverContainer(chart).getEnv()) {
      if (e.getValue() != null) {
        env.put(e.getName(), e.getValue());
      } else if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
        var ref = e.getValueFrom().getSecretKeyRef();
        Optional<Secret> s = chart.find(Secret.class, ref.getName());
        if (s.isPresent()) {
          env.put(
              e.getName(),
              new String(
                  Base64.getDecoder().decode(s.get().getData().get(ref.getKey())),
                  java.nio.charset.StandardCharsets.UTF_8));
        } else {
          env.put(e.getName(), standIn(e.getName()));
        }
      }
    }
    return env;
  }

  private static String standIn(String variable) {
    byte[] b = new byte[32];
    new SecureRandom().nextBytes(b);
    // the KEK must be base64 of 32 bytes; passwords and tokens only long enough
    return variable.equals("VOUCH_KEK")
        ? Base64.getEncoder().encodeToString(b)
        : Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static void relocate(JsonNode n, Path root, RenderedChart chart) throws IOException {
    if (n instanceof ObjectNode o) {
      Iterator<Map.Entry<String, JsonNode>> it = o.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isTextual()) {
          o.set(e.getKey(), moved(e.getKey(), e.getValue().asText(), root, chart));
        } else {
          relocate(e.getValue(), root, chart);
        }
      }
    } else if (n instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        if (a.get(i).isTextual()) {
          a.set(i, moved("", a.get(i).asText(), root, chart));
        } else {
          relocate(a.get(i), root, chart);
        }
      }
    }
  }

  private static JsonNode moved(String key, String value, Path root, RenderedChart chart)
      throws IOException {
    if (!value.startsWith("/etc/vouch/") && !value.startsWith("/var/lib/vouch")) {
      return TextNode.valueOf(value);
    }
    Path p = root.resolve(value.substring(1));
    if (key.equals("data_dir") || key.endsWith("_dir")) {
      Files.createDirectories(p);
    } else {
      Files.createDirectories(p.getParent());
      Files.write(p, mountedContent(value, chart));
    }
    return TextNode.valueOf(p.toString());
  }

  private static byte[] mountedContent(String path, RenderedChart chart) {
    if (path.startsWith("/etc/vouch/tls/")) {
      String name = path.substring("/etc/vouch/tls/".length());
      return chart
          .find(Secret.class, RenderedChart.RELEASE + "-tls")
          .map(s -> Base64.getDecoder().decode(s.getData().get(name)))
          .orElse(new byte[0]);
    }
    return new byte[0];
  }
}
