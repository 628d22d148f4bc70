package dev.vouch.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.APIResourceListBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The chart under {@code deploy/helm/vouch} rendered by the Helm library (helm-java), every object
 * bound to fabric8's typed model.
 *
 * <p>helm-java's template, unlike the {@code helm template} command, reaches a cluster for the
 * chart's {@code lookup} calls (which keep a generated KEK and certificate across upgrades), so
 * rendering runs against the fabric8 mock API server: the build points {@code KUBECONFIG} at a file
 * this class writes. The mock serves the core API's discovery document and nothing else unless a
 * test says so: every lookup finds nothing, as on a first install. Binding is strict: an object of
 * a kind fabric8 does not model, or with a field the model does not know (fabric8 keeps those in
 * {@code additionalProperties} instead of failing), is an error naming the field.
 */
record RenderedChart(String yaml, List<HasMetadata> objects) {
  static final String RELEASE = "vouch";
  static final String NAMESPACE = "attest";

  /** The cluster version rendered for (Helm's own default, 1.20, is below the chart's minimum). */
  static final String KUBE_VERSION = "v1.31.0";

  static final YAMLMapper YAML = new YAMLMapper();
  private static final KubernetesSerialization KUBE = new KubernetesSerialization();

  /** The mock API server Helm's lookups reach; started once for the test JVM. */
  static final class Cluster {
    static final KubernetesMockServer SERVER = start();

    private static KubernetesMockServer start() {
      KubernetesMockServer server = new KubernetesMockServer(false);
      server.init(InetAddress.getLoopbackAddress(), 0);
      expectDiscovery(server);
      String file = System.getenv("KUBECONFIG");
      if (file == null) {
        throw new IllegalStateException("KUBECONFIG is unset: the build sets it for these tests");
      }
      String config =
          """
          apiVersion: v1
          kind: Config
          clusters: [{name: mock, cluster: {server: "http://127.0.0.1:%d"}}]
          users: [{name: mock, user: {token: test}}]
          contexts: [{name: mock, context: {cluster: mock, user: mock}}]
          current-context: mock
          """
              .formatted(server.getPort());
      try {
        Files.createDirectories(Path.of(file).toAbsolutePath().getParent());
        Files.writeString(Path.of(file), config);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return server;
    }

    /**
     * The core API's discovery document, which Helm reads before a lookup (with client-go's timeout
     * parameter, which the mock matches as part of the path).
     */
    private static void expectDiscovery(KubernetesMockServer server) {
      server
          .expect()
          .get()
          .withPath("/api/v1?timeout=32s")
          .andReturn(
              200,
              new APIResourceListBuilder()
                  .withGroupVersion("v1")
                  .addNewResource()
                  .withName("secrets")
                  .withNamespaced(true)
                  .withKind("Secret")
                  .withSingularName("secret")
                  .withVerbs("get", "list")
                  .endResource()
                  .build())
          .always();
    }

    /** Forgets what tests added: the cluster holds nothing again. */
    static void reset() {
      SERVER.clearExpectations();
      expectDiscovery(SERVER);
    }
  }

  /** The chart's folder: {@code -Dvouch.chart} (set by the build), else beside this module. */
  static Path dir() {
    return Path.of(System.getProperty("vouch.chart", "../deploy/helm/vouch")).toAbsolutePath();
  }

  static Path haValues() {
    return dir().resolve("values-ha.yaml");
  }

  /** Renders with the given values files (in order) and {@code --set} pairs. */
  static RenderedChart render(List<Path> valuesFiles, Map<String, Object> sets) {
    Objects.requireNonNull(Cluster.SERVER);
    TemplateCommand t =
        new Helm(dir())
            .template()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION);
    for (Path f : valuesFiles) {
      t = t.withValuesFile(f);
    }
    for (Map.Entry<String, Object> e : sets.entrySet()) {
      t = t.set(e.getKey(), e.getValue());
    }
    String out = t.call();
    return new RenderedChart(out, parse(out));
  }

  static RenderedChart defaults() {
    return render(List.of(), Map.of());
  }

  static RenderedChart ha() {
    return render(List.of(haValues()), Map.of());
  }

  static List<HasMetadata> parse(String yaml) {
    List<HasMetadata> out = new ArrayList<>();
    try (var docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc == null || doc.isNull() || doc.isEmpty()) {
          continue;
        }
        KubernetesResource r = KUBE.unmarshal(doc.toString(), KubernetesResource.class);
        String what = doc.path("kind").asText() + " " + doc.path("metadata").path("name").asText();
        if (r instanceof GenericKubernetesResource g && isCertManagerCertificate(g)) {
          // fabric8 8 has no cert-manager model (its extension stopped at 6.14): the one such
          // object the chart makes stays generic, and ChartObjectsTest checks its fields
          out.add(g);
          continue;
        }
        if (!(r instanceof HasMetadata h) || r instanceof GenericKubernetesResource) {
          throw new AssertionError(what + ": not a kind fabric8's typed model knows");
        }
        requireNoUnknownFields(r, what);
        out.add(h);
      }
    } catch (IOException e) {
      throw new AssertionError("helm rendered YAML that does not parse: " + e.getMessage(), e);
    }
    return List.copyOf(out);
  }

  private static boolean isCertManagerCertificate(GenericKubernetesResource g) {
    return "cert-manager.io/v1".equals(g.getApiVersion()) && "Certificate".equals(g.getKind());
  }

  /** Walks the model's getters: any non-empty additionalProperties is a field the model lacks. */
  private static void requireNoUnknownFields(Object o, String where) {
    if (o == null) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        requireNoUnknownFields(e, where + "[" + i++ + "]");
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> requireNoUnknownFields(v, where + "." + k));
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return;
    }
    for (Method g : o.getClass().getMethods()) {
      if (g.getParameterCount() != 0
          || Modifier.isStatic(g.getModifiers())
          || !g.getName().startsWith("get")
          || g.getDeclaringClass() == Object.class) {
        continue;
      }
      Object v;
      try {
        v = g.invoke(o);
      } catch (ReflectiveOperationException e) {
        throw new AssertionError(where + ": " + g.getName() + " failed", e);
      }
      if (g.getName().equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
          throw new AssertionError(where + ": fields unknown to the model: " + extra.keySet());
        }
        continue;
      }
      requireNoUnknownFields(v, where + "." + g.getName().substring(3));
    }
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }

  <T extends HasMetadata> T get(Class<T> type, String name) {
    return find(type, name)
        .orElseThrow(
            () -> new AssertionError("no " + type.getSimpleName() + " " + name + " rendered"));
  }

  /** The server's vouch.yaml from its ConfigMap. */
  ObjectNode serverConfig() {
    String text =
        get(io.fabric8.kubernetes.api.model.ConfigMap.class, RELEASE + "-config")
            .getData()
            .get("vouch.yaml");
    try {
      return (ObjectNode) new ObjectMapper(new YAMLFactory()).readTree(text);
    } catch (IOException e) {
      throw new AssertionError("vouch.yaml does not parse: " + e.getMessage(), e);
    }
  }

  /** Writes a values file into {@code dir} for a render. */
  static Path valuesFile(Path dir, String name, Object values) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, YAML.writeValueAsString(values));
    return p;
  }
}
