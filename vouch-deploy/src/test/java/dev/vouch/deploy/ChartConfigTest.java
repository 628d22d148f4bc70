package dev.vouch.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import dev.vouch.server.config.ConfigException;
import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chart against the server's own configuration code: Helm's linter passes, and the vouch.yaml
 * the chart renders for default, HA and every-key values loads with {@link ConfigLoader}.
 */
class ChartConfigTest {
  private static final List<String> CHART_SECTIONS = List.of("hosts", "kbs", "registrar");

  @TempDir Path tmp;

  @Test
  void helmLintFindsNothingWithDefaultValues() {
    LintResult r = new Helm(RenderedChart.dir()).lint().strict().call();
    assertThat(r.isFailed()).as("%s", r.getMessages()).isFalse();
  }

  @Test
  void helmLintFindsNothingWithHaValues() throws Exception {
    // helm-java's lint takes no values file: lint a copy whose values.yaml is the HA file merged
    // over the defaults, as Helm merges them (maps deeply, everything else replaced)
    Path copy = tmp.resolve("vouch");
    try (Stream<Path> files = Files.walk(RenderedChart.dir())) {
      for (Path f : files.toList()) {
        Path to = copy.resolve(RenderedChart.dir().relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else {
          Files.copy(f, to);
        }
      }
    }
    JsonNode defaults = RenderedChart.YAML.readTree(copy.resolve("values.yaml").toFile());
    JsonNode merged =
        RenderedChart.YAML.readerForUpdating(defaults).readValue(RenderedChart.haValues().toFile());
    Files.writeString(copy.resolve("values.yaml"), RenderedChart.YAML.writeValueAsString(merged));
    LintResult r = new Helm(copy).lint().strict().call();
    assertThat(r.isFailed()).as("%s", r.getMessages()).isFalse();
  }

  @Test
  void valuesNameEveryHostsKbsAndRegistrarKeyTheServerKnows() throws Exception {
    JsonNode values =
        RenderedChart.YAML.readTree(RenderedChart.dir().resolve("values.yaml").toFile());
    JsonNode all =
        RenderedChart.YAML.readTree(getClass().getResourceAsStream("/all-keys-values.yaml"));
    for (String section : CHART_SECTIONS) {
      Set<String> known = new TreeSet<>(ConfigLoader.knownKeys().get(section));
      assertThat(fieldNames(values.path("config").path(section)))
          .as("values.yaml config.%s", section)
          .isEqualTo(known);
      assertThat(fieldNames(all.path("config").path(section)))
          .as("all-keys-values.yaml config.%s", section)
          .isEqualTo(known);
    }
  }

  @Test
  void defaultValuesGiveAConfigurationTheServerLoads() throws Exception {
    RenderedChart chart = RenderedChart.defaults();
    ServerConfig c = ServerConfigFiles.load(chart, tmp);
    // Intel's pollDuration is in minutes: the default 60 is the server's hour
    assertThat(c.hosts().pollInterval()).isEqualTo(Duration.ofMinutes(60));
    assertThat(c.hosts().kubernetes()).isTrue();
    assertThat(c.hosts().evictPods()).isFalse();
    assertThat(c.hosts().natsUrl()).contains("nats://vouch-nats.attest.svc:4222");
    assertThat(c.storage().jdbcUrl())
        .contains("jdbc:postgresql://vouch-postgresql.attest.svc:5432/vouch");
    assertThat(c.storage().kek()).isPresent();
    assertThat(c.tls().mode()).isEqualTo(ServerConfig.TlsMode.FILES);
    assertThat(c.http().port()).isEqualTo(8443);
    assertThat(c.kubernetes()).isEqualTo(ServerConfig.Kubernetes.defaults());
  }

  @Test
  void haValuesGiveAConfigurationTheServerLoads() throws Exception {
    RenderedChart chart = RenderedChart.ha();
    ServerConfig c = ServerConfigFiles.load(chart, tmp);
    assertThat(c.hosts().pollInterval()).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.hosts().goldenMode()).isEqualTo("strict");
    assertThat(c.hosts().evictPods()).isTrue();
    assertThat(c.hosts().maxConcurrency()).isEqualTo(64);
    assertThat(c.storage().jdbcUrl())
        .contains("jdbc:postgresql://postgresql.database.svc:5432/vouch");
    assertThat(c.storage().poolSize()).isEqualTo(20);
    assertThat(c.storage().password()).isPresent();
  }

  @Test
  void everyHostsKbsAndRegistrarKeyRendersAndLoads() throws Exception {
    Path values = tmp.resolve("all.yaml");
    try (var in = getClass().getResourceAsStream("/all-keys-values.yaml")) {
      Files.copy(in, values);
    }
    RenderedChart chart = RenderedChart.render(List.of(values), Map.of());
    ObjectNode rendered = chart.serverConfig();
    for (String section : CHART_SECTIONS) {
      assertThat(fieldNames(rendered.path(section)))
          .as("rendered %s", section)
          .containsAll(ConfigLoader.knownKeys().get(section));
    }
    // large whole numbers stay integers (Helm reads YAML numbers as floats)
    assertThat(rendered.path("hosts").path("poll_seconds").asText()).isEqualTo("600000");
    ServerConfig c = ServerConfigFiles.load(chart, tmp.resolve("root"));
    assertThat(c.hosts().pollInterval()).isEqualTo(Duration.ofSeconds(600000));
    assertThat(c.hosts().groupPolls()).containsEntry("core", Duration.ofSeconds(900));
    assertThat(c.hosts().agentTls()).isPresent();
    assertThat(c.hosts().webhookUrl()).isPresent();
    assertThat(c.hosts().nodeLabel()).contains("vouch.dev/host-id");
    assertThat(c.kbs().maxUnattestedSessions()).isEqualTo(2_000_000);
    assertThat(c.kbs().adminAcls()).containsExactly("kbs-admin=^/kbs/v0/resource/.+$");
    assertThat(c.kbs().passportJwksUrls()).hasSize(1);
    assertThat(c.registrar().ekCrls()).hasSize(1);
    assertThat(c.registrar().ekRevocation()).isFalse();
    assertThat(c.registrar().challengeTtl()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.kubernetes().admissionRuntimeClasses())
        .containsExactly("kata-qemu-tdx", "kata-qemu-snp");
  }

  @Test
  void aMisspelledKeyRendersButTheServerRefusesIt() throws Exception {
    RenderedChart chart = RenderedChart.render(List.of(), Map.of("config.hosts.pol_seconds", "60"));
    assertThatThrownBy(() -> ServerConfigFiles.load(chart, tmp))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.pol_seconds");
  }

  static Stream<Arguments> refusedValues() {
    return Stream.of(
        Arguments.of(
            Map.of("server.replicas", "3", "postgresql.enabled", "false"), "needs PostgreSQL"),
        Arguments.of(Map.of("postgresql.enabled", "false"), "lost with the pod"),
        Arguments.of(Map.of("config.hosts.poll_seconds", "60"), "not both"),
        Arguments.of(Map.of("pollDuration", "0"), "pollDuration"),
        Arguments.of(Map.of("pollDuration", "1.5"), "pollDuration"),
        Arguments.of(Map.of("config.admin.token", "abcdefghijklmnopq"), "is a secret"),
        Arguments.of(Map.of("config.storage.password", "pw"), "set by the chart"),
        Arguments.of(Map.of("config.http.port", "9000"), "set by the chart"),
        Arguments.of(Map.of("certificate.source", "self-signed"), "certificate.source must be"),
        Arguments.of(Map.of("certificate.source", "secret"), "certificate.existingSecret"),
        Arguments.of(
            Map.of("nats.enabled", "false", "config.hosts.nats_url", "nats://n:4222"),
            "trustAgent needs NATS"),
        Arguments.of(Map.of("server.antiAffinity", "maybe"), "antiAffinity"));
  }

  @ParameterizedTest
  @MethodSource("refusedValues")
  void refusesValuesTheServerCouldNotRunWith(Map<String, Object> sets, String reason) {
    assertThatThrownBy(() -> RenderedChart.render(List.of(), sets)).hasMessageContaining(reason);
  }

  @Test
  void refusesAFractionWhereTheServerWantsAWholeNumber() throws Exception {
    // a values file gives YAML numbers (floats to Helm); --set would give the string "2.5"
    Path values =
        RenderedChart.valuesFile(
            tmp,
            "fraction.yaml",
            Map.of("config", Map.of("kbs", Map.of("session_ttl_seconds", 2.5))));
    assertThatThrownBy(() -> RenderedChart.render(List.of(values), Map.of()))
        .hasMessageContaining("config.kbs.session_ttl_seconds must be a whole number");
  }

  @Test
  void keepsTheKekAndCertificateAnEarlierInstallMade() throws Exception {
    // an upgrade: the cluster already holds the Secrets the first install made
    String kek = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    RenderedChart first = RenderedChart.defaults();
    Secret tls = first.get(Secret.class, "vouch-tls");
    var cluster = RenderedChart.Cluster.SERVER;
    cluster
        .expect()
        .get()
        .withPath("/api/v1/namespaces/attest/secrets/vouch-kek")
        .andReturn(
            200,
            new SecretBuilder()
                .withNewMetadata()
                .withName("vouch-kek")
                .withNamespace("attest")
                .endMetadata()
                .addToData("kek", java.util.Base64.getEncoder().encodeToString(kek.getBytes()))
                .build())
        .always();
    cluster
        .expect()
        .get()
        .withPath("/api/v1/namespaces/attest/secrets/vouch-tls")
        .andReturn(200, tls)
        .always();
    RenderedChart upgrade;
    try {
      upgrade = RenderedChart.defaults();
    } finally {
      RenderedChart.Cluster.reset();
    }
    assertThat(ServerConfigFiles.env(upgrade)).containsEntry("VOUCH_KEK", kek);
    assertThat(upgrade.get(Secret.class, "vouch-tls").getData()).isEqualTo(tls.getData());
    // and without them, new ones: a fresh install never reuses anything
    RenderedChart fresh = RenderedChart.defaults();
    assertThat(ServerConfigFiles.env(fresh).get("VOUCH_KEK")).isNotEqualTo(kek);
    assertThat(fresh.get(Secret.class, "vouch-tls").getData().get("ca.crt"))
        .isNotEqualTo(tls.getData().get("ca.crt"));
  }

  private static Set<String> fieldNames(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return new TreeSet<>(out);
  }

  @Test
  void theServerPodGetsOnlyTheKekAndDatabasePasswordFromSecrets() throws Exception {
    Map<String, String> env = ServerConfigFiles.env(RenderedChart.defaults());
    assertThat(env.keySet())
        .containsExactlyInAnyOrder("JAVA_TOOL_OPTIONS", "VOUCH_KEK", "VOUCH_STORAGE_PASSWORD");
    assertThat(ConfigLoader.load(Optional.empty(), env, Optional.of(tmp), Optional.empty()))
        .isNotNull();
  }
}
