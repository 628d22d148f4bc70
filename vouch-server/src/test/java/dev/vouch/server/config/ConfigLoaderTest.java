package dev.vouch.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Tee;
import dev.vouch.core.crypto.HashAlg;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private ServerConfig load(String yaml, Map<String, String> env) throws Exception {
    Path f = Files.writeString(dir.resolve("vouch.yaml"), yaml);
    return ConfigLoader.load(Optional.of(f), env, Optional.empty(), Optional.empty());
  }

  @Test
  void noFileGivesSecureDefaults() throws Exception {
    ServerConfig c =
        ConfigLoader.load(Optional.empty(), Map.of(), Optional.empty(), Optional.empty());
    assertThat(c.tls().mode()).isEqualTo(ServerConfig.TlsMode.SELF_SIGNED);
    assertThat(c.http().port()).isEqualTo(8443);
    assertThat(c.http().maxRequestBytes()).isEqualTo(2 << 20);
    assertThat(c.storage().jdbcUrl()).isEmpty();
    assertThat(c.tokens().algorithm()).isEqualTo("ES256");
    assertThat(c.tokens().lifetime()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void theEnvironmentOverridesTheFileAndFlagsOverrideBoth() throws Exception {
    Path f =
        Files.writeString(
            dir.resolve("vouch.yaml"),
            "data_dir: /from/file\nhttp:\n  port: 9000\n  host: 10.0.0.1\ntokens:\n  algorithm: ES384\n");
    ServerConfig c =
        ConfigLoader.load(
            Optional.of(f),
            Map.of("VOUCH_HTTP_PORT", "9100", "VOUCH_STORAGE_JDBC_URL", "jdbc:postgresql://db/v"),
            Optional.of(Path.of("/from/flag")),
            Optional.empty());
    assertThat(c.http().port()).isEqualTo(9100);
    assertThat(c.http().host()).isEqualTo("10.0.0.1");
    assertThat(c.tokens().algorithm()).isEqualTo("ES384");
    assertThat(c.storage().jdbcUrl()).contains("jdbc:postgresql://db/v");
    assertThat(c.dataDir()).isEqualTo(Path.of("/from/flag"));
  }

  @Test
  void aTypoInAKeyIsAnErrorNotADefault() {
    assertThatThrownBy(() -> load("http:\n  prot: 1\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.prot");
    assertThatThrownBy(() -> load("htp:\n  port: 1\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("'htp'");
  }

  @Test
  void invalidValuesNameTheKey() {
    assertThatThrownBy(() -> load("http:\n  port: 70000\n", Map.of()))
        .hasMessageContaining("http.port must be in 0..65535");
    assertThatThrownBy(() -> load("", Map.of("VOUCH_HTTP_PORT", "eighty")))
        .hasMessageContaining("http.port must be a whole number");
    assertThatThrownBy(() -> load("tls:\n  mode: files\n", Map.of()))
        .hasMessageContaining("tls.cert_file");
    assertThatThrownBy(() -> load("storage:\n  jdbc_url: jdbc:mysql://x\n", Map.of()))
        .hasMessageContaining("storage.jdbc_url");
    assertThatThrownBy(() -> load("tokens:\n  algorithm: RS256\n", Map.of()))
        .hasMessageContaining("tokens.algorithm");
    assertThatThrownBy(() -> load("", Map.of("VOUCH_KEK", "c2hvcnQ=")))
        .hasMessageContaining("VOUCH_KEK must be 32 bytes");
    assertThatThrownBy(() -> load("admin:\n  token: short\n", Map.of()))
        .hasMessageContaining("admin.token");
  }

  @Test
  void secretsDoNotAppearInToString() throws Exception {
    ServerConfig c =
        load(
            "storage:\n  password: hunter2hunter2\nadmin:\n  token: very-secret-admin-token\n",
            Map.of());
    assertThat(c.toString()).doesNotContain("hunter2").doesNotContain("very-secret");
  }

  @Test
  void theKbsIsOnByDefaultForRealTeesOnlyWithNoAdminKeys() throws Exception {
    ServerConfig.Kbs k =
        ConfigLoader.load(Optional.empty(), Map.of(), Optional.empty(), Optional.empty()).kbs();
    assertThat(k.enabled()).isTrue();
    assertThat(k.sessionTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(k.tees()).contains(Tee.TPM, Tee.SNP, Tee.TDX).doesNotContain(Tee.SAMPLE);
    assertThat(k.adminKeyFiles()).isEmpty();
    assertThat(k.passportJwksFile()).isEmpty();
  }

  @Test
  void theKbsSectionReadsListsFromYamlAndCommaSeparatedFromTheEnvironment() throws Exception {
    Path pem = Files.writeString(dir.resolve("admin.pub"), "pem");
    Path jwks = Files.writeString(dir.resolve("as.jwks"), "{}");
    ServerConfig.Kbs k =
        load(
                "kbs:\n  session_ttl_seconds: 60\n  tees: [tpm, snp]\n  admin_key_files: ["
                    + pem
                    + "]\n  passport_jwks_file: "
                    + jwks
                    + "\n",
                Map.of())
            .kbs();
    assertThat(k.sessionTtl()).isEqualTo(Duration.ofSeconds(60));
    assertThat(k.tees()).containsExactlyInAnyOrder(Tee.TPM, Tee.SNP);
    assertThat(k.adminKeyFiles()).containsExactly(pem);
    assertThat(k.passportJwksFile()).contains(jwks);
    ServerConfig.Kbs fromEnv =
        load("", Map.of("VOUCH_KBS_TEES", "tdx, sample", "VOUCH_KBS_ENABLED", "false")).kbs();
    assertThat(fromEnv.tees()).containsExactlyInAnyOrder(Tee.TDX, Tee.SAMPLE);
    assertThat(fromEnv.enabled()).isFalse();
    assertThat(List.copyOf(fromEnv.adminKeyFiles())).isEmpty();
  }

  @Test
  void badKbsSettingsAreRefusedBeforeStart() {
    assertThatThrownBy(() -> load("kbs:\n  tees: [tpm, nosuch]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kbs.tees: unknown TEE 'nosuch'");
    assertThatThrownBy(() -> load("kbs:\n  enabled: maybe\n", Map.of()))
        .hasMessageContaining("kbs.enabled must be true or false");
    assertThatThrownBy(() -> load("kbs:\n  session_ttl_seconds: 1\n", Map.of()))
        .hasMessageContaining("kbs.session_ttl_seconds must be in 10..86400");
    assertThatThrownBy(() -> load("kbs:\n  admin_key_files: /no/such.pem\n", Map.of()))
        .hasMessageContaining("kbs.admin_key_files: /no/such.pem is not readable");
    assertThatThrownBy(() -> load("kbs:\n  passport_jwks_file: /no/such.jwks\n", Map.of()))
        .hasMessageContaining("kbs.passport_jwks_file /no/such.jwks is not readable");
    assertThatThrownBy(() -> load("kbs:\n  admin_keys: x\n", Map.of()))
        .hasMessageContaining("unknown configuration key 'kbs.admin_keys'");
  }

  @Test
  void hostMonitoringDefaultsAndSettings() throws Exception {
    ServerConfig.Hosts d =
        ConfigLoader.load(Optional.empty(), Map.of(), Optional.empty(), Optional.empty()).hosts();
    assertThat(d.pollInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(d.goldenMode()).isEqualTo("tofu");
    assertThat(d.kubernetes()).isFalse();
    assertThat(d.natsUrl()).isEmpty();

    assertThat(d.flavorSigningKeyFiles()).isEmpty();

    Path template = Files.writeString(dir.resolve("t.json"), "{}");
    Path partner = Files.writeString(dir.resolve("partner.pem"), "-----BEGIN PUBLIC KEY-----\n");
    ServerConfig.Hosts h =
        load(
                "hosts:\n  poll_seconds: 60\n  group_poll_seconds: [edge=30, lab=600]\n"
                    + "  golden_mode: strict\n  kubernetes: true\n  evict_pods: true\n"
                    + "  nats_url: nats://n:4222\n  flavor_template_files: ["
                    + template
                    + "]\n  flavor_signing_keys: ["
                    + partner
                    + "]\n",
                Map.of("VOUCH_HOSTS_LEASE_SECONDS", "90"))
            .hosts();
    assertThat(h.pollInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(h.groupPolls())
        .containsEntry("edge", Duration.ofSeconds(30))
        .containsEntry("lab", Duration.ofMinutes(10));
    assertThat(h.goldenMode()).isEqualTo("strict");
    assertThat(h.lease()).isEqualTo(Duration.ofSeconds(90));
    assertThat(h.kubernetes()).isTrue();
    assertThat(h.evictPods()).isTrue();
    assertThat(h.natsUrl()).contains("nats://n:4222");
    assertThat(h.flavorTemplateFiles()).containsExactly(template);
    assertThat(h.flavorSigningKeyFiles()).containsExactly(partner);
  }

  @Test
  void badHostMonitoringSettingsAreErrors() {
    assertThatThrownBy(() -> load("hosts:\n  golden_mode: sometimes\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.golden_mode");
    assertThatThrownBy(() -> load("hosts:\n  group_poll_seconds: [edge]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("group=seconds");
    assertThatThrownBy(() -> load("hosts:\n  poll_seconds: 0\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.poll_seconds");
    assertThatThrownBy(() -> load("hosts:\n  agent_tls_cert: /etc/hostname\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("go together");
    assertThatThrownBy(() -> load("hosts:\n  webhook_url: ftp://x\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.webhook_url");
    assertThatThrownBy(() -> load("hosts:\n  kubernetes: maybe\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.kubernetes");
  }

  @Test
  void reportRetentionDefaultsToNinetyDaysAndAThousandPerHostAndIsBounded() throws Exception {
    ServerConfig.Hosts d = load("", Map.of()).hosts();
    assertThat(d.reportRetentionAge()).isEqualTo(java.time.Duration.ofDays(90));
    assertThat(d.reportRetentionCount()).isEqualTo(1000);
    ServerConfig.Hosts set =
        load(
                "hosts:\n  report_retention_days: 0\n",
                Map.of("VOUCH_HOSTS_REPORT_RETENTION_COUNT", "50"))
            .hosts();
    assertThat(set.reportRetentionAge()).isZero();
    assertThat(set.reportRetentionCount()).isEqualTo(50);
    // a copy made for another setting keeps the retention
    assertThat(set.withNatsUrl("nats://n:4222").reportRetentionCount()).isEqualTo(50);
    assertThatThrownBy(() -> load("hosts:\n  report_retention_days: -1\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.report_retention_days");
    assertThatThrownBy(() -> load("hosts:\n  report_retention_count: many\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.report_retention_count");
  }

  @Test
  void diskEncryptionIsNotRequiredUnlessSaidSoAndCopiesKeepIt() throws Exception {
    assertThat(load("", Map.of()).hosts().requireDiskEncryption()).isFalse();
    ServerConfig.Hosts on = load("", Map.of("VOUCH_HOSTS_REQUIRE_DISK_ENCRYPTION", "true")).hosts();
    assertThat(on.requireDiskEncryption()).isTrue();
    assertThat(load("hosts:\n  require_disk_encryption: true\n", Map.of()).hosts()).isEqualTo(on);
    assertThat(on.withNatsUrl("nats://n:4222").requireDiskEncryption()).isTrue();
    assertThat(
            on.withSchedule(Duration.ofMinutes(1), Duration.ofMinutes(5), 4)
                .requireDiskEncryption())
        .isTrue();
    assertThatThrownBy(() -> load("hosts:\n  require_disk_encryption: maybe\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.require_disk_encryption");
  }

  @Test
  void tofuAdoptsPlatformAndHostUniqueUnlessGoldenPartsSaysMore() throws Exception {
    assertThat(load("", Map.of()).hosts().goldenParts())
        .containsExactlyInAnyOrder(
            dev.vouch.policy.flavor.FlavorPart.PLATFORM,
            dev.vouch.policy.flavor.FlavorPart.HOST_UNIQUE);
    ServerConfig.Hosts os =
        load("hosts:\n  golden_parts: [PLATFORM, os, HOST_UNIQUE]\n", Map.of()).hosts();
    assertThat(os.goldenParts()).contains(dev.vouch.policy.flavor.FlavorPart.OS).hasSize(3);
    assertThat(os.withDiskEncryptionRequired(true).goldenParts()).isEqualTo(os.goldenParts());
    assertThatThrownBy(() -> load("hosts:\n  golden_parts: [PLATFORM, KERNEL]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.golden_parts: 'KERNEL' is not a flavor part");
    ServerConfig.Hosts every =
        load(
                "hosts:\n  ima: true\n  software: true\n  golden_parts: [PLATFORM, OS, HOST_UNIQUE,"
                    + " SOFTWARE, IMA, ASSET_TAG]\n",
                Map.of())
            .hosts();
    assertThat(every.goldenParts())
        .containsExactlyInAnyOrder(dev.vouch.policy.flavor.FlavorPart.values());
    // IMA adoption without the IMA list would fail every attestation: refused at load
    assertThatThrownBy(() -> load("hosts:\n  golden_parts: [PLATFORM, IMA]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.golden_parts: IMA needs hosts.ima: true");
    assertThatThrownBy(() -> load("hosts:\n  golden_parts: [PLATFORM, SOFTWARE]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.golden_parts: SOFTWARE needs hosts.software: true");
    // PCR 15 and the software measurements are asked for only when set: older agents refuse them
    assertThat(load("", Map.of()).hosts().software()).isFalse();
    assertThat(dev.vouch.server.monitor.HostMonitor.plan(load("", Map.of()).hosts()).software())
        .isFalse();
    assertThat(dev.vouch.server.monitor.HostMonitor.plan(every).pcrs().get(HashAlg.SHA256))
        .contains(10, 15);
  }

  @Test
  void natsAuthenticationNeedsANatsServerAndIsOffByDefault() throws Exception {
    assertThat(load("", Map.of()).hosts().natsAuthDir()).isEmpty();
    assertThatThrownBy(() -> load("hosts:\n  nats_auth_dir: /var/lib/vouch/nats\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("hosts.nats_auth_dir needs hosts.nats_url");
    assertThat(
            load(
                    "hosts:\n  nats_url: nats://n:4222\n",
                    Map.of("VOUCH_HOSTS_NATS_AUTH_DIR", "/var/lib/vouch/nats"))
                .hosts()
                .natsAuthDir())
        .contains(Path.of("/var/lib/vouch/nats"));
  }

  @Test
  void registrarRootsAreReadableFilesFromTheFileOrTheEnvironment() throws Exception {
    ServerConfig d = load("", Map.of());
    assertThat(d.registrar().ekRoots()).isEmpty();
    assertThat(d.registrar().challengeTtl()).isEqualTo(Duration.ofSeconds(60));
    assertThat(d.registrar().ekRevocation()).as("EK revocation is on unless turned off").isTrue();

    Path root = Files.writeString(dir.resolve("root.pem"), "x");
    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    ServerConfig c =
        load(
            "registrar:\n  ek_roots: ["
                + root
                + "]\n  ek_intermediates: ["
                + ca
                + "]\n  challenge_ttl_seconds: 30\n  ek_crls: ["
                + ca
                + "]\n  ek_revocation: false\n",
            Map.of());
    assertThat(c.registrar().ekCrls()).containsExactly(ca);
    assertThat(c.registrar().ekRevocation()).isFalse();
    assertThat(c.registrar().ekRoots()).containsExactly(root);
    assertThat(c.registrar().ekIntermediates()).containsExactly(ca);
    assertThat(c.registrar().challengeTtl()).isEqualTo(Duration.ofSeconds(30));
    assertThat(load("", Map.of("VOUCH_REGISTRAR_EK_ROOTS", root + "," + ca)).registrar().ekRoots())
        .containsExactly(root, ca);

    assertThatThrownBy(
            () -> load("registrar:\n  ek_roots: [" + dir.resolve("no.pem") + "]\n", Map.of()))
        .hasMessageContaining("registrar.ek_roots");
    assertThatThrownBy(() -> load("registrar:\n  challenge_ttl_seconds: 0\n", Map.of()))
        .hasMessageContaining("registrar.challenge_ttl_seconds");
  }

  @Test
  void theVerifiersSectionIsReadValidatedAndOverriddenByTheEnvironment() throws Exception {
    Path folder = Files.createDirectories(dir.resolve("collateral"));
    Path other = Files.createDirectories(dir.resolve("other"));
    Path root = Files.writeString(dir.resolve("ak-root.pem"), "x");
    ServerConfig c =
        load(
            "verifiers:\n  collateral_dirs: ["
                + folder
                + "]\n  intel_pccs_url: https://pccs.local:8081\n  amd_kds_url: https://kds.local\n"
                + "  tpm_ak_roots: ["
                + root
                + "]\n  sample: true\n  revocation: false\n",
            Map.of());
    assertThat(c.verifiers().collateralDirs()).containsExactly(folder);
    assertThat(c.verifiers().intelPccsUrl())
        .hasValueSatisfying(u -> assertThat(u.getHost()).isEqualTo("pccs.local"));
    assertThat(c.verifiers().amdKdsUrl()).contains(java.net.URI.create("https://kds.local"));
    assertThat(c.verifiers().tpmAkRoots()).containsExactly(root);
    assertThat(c.verifiers().sample()).isTrue();
    assertThat(c.verifiers().revocation()).isFalse();
    ServerConfig fromEnv =
        load("", Map.of("VOUCH_VERIFIERS_COLLATERAL_DIRS", folder + "," + other));
    assertThat(fromEnv.verifiers().collateralDirs()).containsExactly(folder, other);
    assertThat(fromEnv.verifiers().sample()).as("sample is off unless enabled").isFalse();
    assertThat(fromEnv.verifiers().revocation()).as("revocation is on unless turned off").isTrue();
  }

  @Test
  void unusableVerifierSettingsAreRefusedAtStart() {
    assertThatThrownBy(
            () ->
                load("verifiers:\n  collateral_dirs: [" + dir.resolve("missing") + "]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("verifiers.collateral_dirs");
    assertThatThrownBy(() -> load("verifiers:\n  intel_pccs_url: ftp://pccs\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("verifiers.intel_pccs_url");
    assertThatThrownBy(() -> load("verifiers:\n  sample: maybe\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("verifiers.sample");
    assertThatThrownBy(() -> load("verifiers:\n  tpm_ek_roots: [x]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("verifiers.tpm_ek_roots");
  }

  @Test
  void aNulCharacterInAnyValueIsAConfigurationErrorNamingTheKey() {
    assertThatThrownBy(() -> load("data_dir: \"vouch\\0data\"\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("'data_dir' contains a NUL character");
    assertThatThrownBy(() -> load("verifiers:\n  extra_anchors: [\"a\\0b\"]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("'verifiers.extra_anchors' contains a NUL character");
  }

  @Test
  void cmsTlsNeedsTheReplicasNamesAndABoundedValidity() throws Exception {
    ServerConfig.Tls t =
        load(
                "tls:\n  mode: cms\n  cms_names: [vouch.example, 10.0.0.5]\n"
                    + "  cms_validity_seconds: 3600\n",
                Map.of())
            .tls();
    assertThat(t.mode()).isEqualTo(ServerConfig.TlsMode.CMS);
    assertThat(t.cmsNames()).containsExactly("vouch.example", "10.0.0.5");
    assertThat(t.cmsValidity()).isEqualTo(java.time.Duration.ofHours(1));
    assertThat(
            load("", Map.of("VOUCH_TLS_CMS_NAMES", "a.example,b.example", "VOUCH_TLS_MODE", "cms"))
                .tls()
                .cmsNames())
        .containsExactly("a.example", "b.example");
    assertThatThrownBy(() -> load("tls:\n  mode: cms\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("tls.cms_names");
    assertThatThrownBy(() -> load("tls:\n  cms_names: [x.example]\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("tls.mode cms");
    assertThatThrownBy(() -> load("tls:\n  cms_validity_seconds: 59\n", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("tls.cms_validity_seconds");
  }
}
