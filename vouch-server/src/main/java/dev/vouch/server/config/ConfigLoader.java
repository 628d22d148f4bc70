package dev.vouch.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.vouch.core.Tee;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Loads {@link ServerConfig}: the YAML file (optional), then environment overrides, then validates.
 * Every key {@code section.key} can be overridden by {@code VOUCH_SECTION_KEY} (e.g. {@code
 * VOUCH_HTTP_PORT}, {@code VOUCH_STORAGE_JDBC_URL}, {@code VOUCH_ADMIN_TOKEN}); {@code
 * VOUCH_DATA_DIR} sets {@code data_dir} and {@code VOUCH_KEK} supplies the key-encryption key
 * itself. Unknown keys in the file are errors, so that a typo does not silently fall back to a
 * default.
 *
 * <pre>{@code
 * data_dir: /var/lib/vouch
 * http:    {host: 0.0.0.0, port: 8443, max_request_bytes: 2097152}
 * tls:     {mode: self-signed}          # or files (cert_file, key_file) or off
 * storage: {jdbc_url: "jdbc:postgresql://db/vouch", username: vouch, password: ..., pool_size: 10,
 *           kek_file: /etc/vouch/kek}
 * tokens:  {algorithm: ES256, lifetime_seconds: 300, rotation_hours: 24,
 *           x5c_ca_cert_file: /etc/vouch/token-ca.pem, x5c_ca_key_file: /etc/vouch/token-ca.key}
 * admin:   {token: ...}
 * rvps:    {bundle_keys_file: /etc/vouch/rvps-keys.jwks}
 * kbs:     {enabled: true, session_ttl_seconds: 300, admin_key_files: [/etc/vouch/kbs-admin.pub],
 *           tees: [tpm, snp, tdx], passport_jwks_file: /etc/vouch/as.jwks,
 *           auth_rate_per_second: 10, auth_burst: 50, attest_rate_per_second: 10, attest_burst: 50,
 *           max_unattested_sessions: 10000, admin_token_max_lifetime_seconds: 3600,
 *           admin_acls: ["kbs-admin=^/kbs/v0/resource/.+$"]}
 * hosts:   {poll_seconds: 3600, group_poll_seconds: [edge=300], lease_seconds: 300,
 *           golden_mode: tofu, nats_url: "nats://nats:4222", kubernetes: true, evict_pods: false,
 *           node_label: vouch.dev/host-id, webhook_url: "https://hooks/vouch",
 *           webhook_secret_file: /etc/vouch/webhook.key}
 * registrar: {ek_roots: [/etc/vouch/tpm-roots.pem], ek_intermediates: [/etc/vouch/tpm-cas.pem],
 *             challenge_ttl_seconds: 60, ek_crls: [/etc/vouch/tpm-cas.crl], ek_revocation: true}
 * verifiers: {collateral_dirs: [/etc/vouch/collateral], intel_pccs_url: "https://pccs:8081",
 *             amd_kds_url: "https://kdsintf.amd.com",
 *             cca_platform_keys: [/etc/vouch/cca-iak.pem], tpm_ak_roots: [/etc/vouch/ak-ca.pem],
 *             sample: false, revocation: true}
 * }</pre>
 *
 * Lists ({@code kbs.admin_key_files}, {@code kbs.tees}, {@code registrar.ek_roots}) are YAML
 * sequences or comma-separated strings (the form environment variables take).
 */
public final class ConfigLoader {
  /** Keys per section; the empty section holds top-level scalars. */
  private static final Map<String, List<String>> KEYS = new LinkedHashMap<>();

  static {
    KEYS.put("", List.of("data_dir"));
    KEYS.put(
        "http",
        List.of("host", "port", "max_request_bytes", "attest_rate_per_second", "attest_burst"));
    KEYS.put(
        "tls",
        List.of(
            "mode", "cert_file", "key_file", "min_version", "cms_names", "cms_validity_seconds"));
    KEYS.put("storage", List.of("jdbc_url", "username", "password", "pool_size", "kek_file"));
    KEYS.put(
        "tokens",
        List.of(
            "algorithm",
            "lifetime_seconds",
            "rotation_hours",
            "x5c_ca_cert_file",
            "x5c_ca_key_file"));
    KEYS.put(
        "admin",
        List.of("token", "bootstrap_password", "token_lifetime_seconds", "key_rotation_hours"));
    KEYS.put("rvps", List.of("bundle_keys_file"));
    KEYS.put(
        "kbs",
        List.of(
            "enabled",
            "session_ttl_seconds",
            "admin_key_files",
            "tees",
            "passport_jwks_file",
            "passport_jwks_urls",
            "passport_jwks_refresh_seconds",
            "auth_rate_per_second",
            "auth_burst",
            "attest_rate_per_second",
            "attest_burst",
            "max_unattested_sessions",
            "admin_token_max_lifetime_seconds",
            "admin_acls"));
    KEYS.put(
        "hosts",
        List.of(
            "enabled",
            "poll_seconds",
            "group_poll_seconds",
            "lease_seconds",
            "max_concurrency",
            "golden_mode",
            "golden_parts",
            "report_validity_seconds",
            "report_retention_days",
            "report_retention_count",
            "require_disk_encryption",
            "ima",
            "software",
            "agent_timeout_seconds",
            "nats_url",
            "nats_auth_dir",
            "agent_tls_cert",
            "agent_tls_key",
            "agent_tls_ca",
            "kubernetes",
            "kubernetes_url",
            "evict_pods",
            "node_label",
            "webhook_url",
            "webhook_secret_file",
            "flavor_template_files",
            "flavor_signing_keys"));
    KEYS.put(
        "registrar",
        List.of(
            "ek_roots", "ek_intermediates", "challenge_ttl_seconds", "ek_crls", "ek_revocation"));
    KEYS.put(
        "verifiers",
        List.of(
            "collateral_dirs",
            "intel_pccs_url",
            "amd_kds_url",
            "cca_platform_keys",
            "tpm_ak_roots",
            "extra_anchors",
            "sample",
            "revocation"));
    KEYS.put("kubernetes", List.of("admission_runtime_classes"));
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private ConfigLoader() {}

  /**
   * Loads the configuration.
   *
   * @param file the YAML file, or empty for defaults
   * @param env the environment (normally {@code System.getenv()})
   * @param dataDir the {@code --data-dir} flag, which wins over file and environment
   * @param port the {@code --port} flag, which wins over file and environment
   * @throws ConfigException for an unreadable file, an unknown key or an invalid value
   */
  public static ServerConfig load(
      Optional<Path> file, Map<String, String> env, Optional<Path> dataDir, Optional<Integer> port)
      throws ConfigException {
    ObjectNode root = file.isPresent() ? read(file.get()) : JsonNodeFactory.instance.objectNode();
    checkKeys(root);
    applyEnvironment(root, env);
    // the name issue 14 gives the bootstrap password (the generic rule would say
    // VOUCH_ADMIN_BOOTSTRAP_PASSWORD, which is read as well)
    String bootstrap = env.get("VOUCH_BOOTSTRAP_ADMIN_PASSWORD");
    if (bootstrap != null) {
      section(root, "admin").put("bootstrap_password", bootstrap);
    }
    dataDir.ifPresent(d -> root.put("data_dir", d.toString()));
    port.ifPresent(p -> section(root, "http").put("port", p));
    refuseNul(root, "");
    try {
      return bind(root, Optional.ofNullable(env.get("VOUCH_KEK")));
    } catch (java.nio.file.InvalidPathException e) {
      // every value was checked for NUL above; this keeps any other refused path a config error
      throw new ConfigException("a configured path is not valid: " + e.getMessage(), e);
    }
  }

  /**
   * Refuses a NUL character in any value: no path, URL or name may hold one, and {@code Path.of}
   * would throw an unchecked exception for it deep inside binding (a fuzz finding).
   */
  private static void refuseNul(JsonNode node, String key) throws ConfigException {
    if (node.isTextual() && node.textValue().indexOf('\0') >= 0) {
      throw new ConfigException("'" + key + "' contains a NUL character");
    }
    if (node.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        refuseNul(e.getValue(), key.isEmpty() ? e.getKey() : key + "." + e.getKey());
      }
    } else if (node.isArray()) {
      for (JsonNode n : node) {
        refuseNul(n, key);
      }
    }
  }

  private static ObjectNode read(Path file) throws ConfigException {
    try {
      String text = Files.readString(file);
      JsonNode n = text.isBlank() ? JsonNodeFactory.instance.objectNode() : YAML.readTree(text);
      if (n == null || n.isMissingNode() || n.isNull()) {
        return JsonNodeFactory.instance.objectNode();
      }
      if (!(n instanceof ObjectNode o)) {
        throw new ConfigException(file + ": the configuration must be a YAML mapping");
      }
      return o;
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration " + file + ": " + e.getMessage(), e);
    }
  }

  private static void checkKeys(ObjectNode root) throws ConfigException {
    Iterator<Map.Entry<String, JsonNode>> it = root.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String k = e.getKey();
      if (KEYS.get("").contains(k)) {
        continue;
      }
      List<String> keys = KEYS.get(k);
      if (keys == null || k.isEmpty()) {
        throw new ConfigException("unknown configuration key '" + k + "'");
      }
      if (!e.getValue().isObject()) {
        throw new ConfigException("'" + k + "' must be a mapping");
      }
      Iterator<String> names = e.getValue().fieldNames();
      while (names.hasNext()) {
        String n = names.next();
        if (!keys.contains(n)) {
          throw new ConfigException(
              "unknown configuration key '" + k + "." + n + "' (known: " + keys + ")");
        }
      }
    }
  }

  private static void applyEnvironment(ObjectNode root, Map<String, String> env) {
    KEYS.forEach(
        (section, keys) -> {
          for (String key : keys) {
            String var =
                "VOUCH_"
                    + (section.isEmpty() ? "" : section.toUpperCase(Locale.ROOT) + "_")
                    + key.toUpperCase(Locale.ROOT);
            String v = env.get(var);
            if (v != null) {
              (section.isEmpty() ? root : section(root, section)).put(key, v);
            }
          }
        });
  }

  private static ObjectNode section(ObjectNode root, String name) {
    JsonNode n = root.get(name);
    if (n instanceof ObjectNode o) {
      return o;
    }
    return root.putObject(name);
  }

  private static ServerConfig bind(ObjectNode root, Optional<String> kek) throws ConfigException {
    Path dataDir = Path.of(text(root, "", "data_dir").orElse("vouch-data"));
    JsonNode http = root.path("http");
    ServerConfig.Http h =
        new ServerConfig.Http(
            text(http, "http", "host").orElse("0.0.0.0"),
            (int) number(http, "http", "port", 8443, 0, 65535),
            number(
                http,
                "http",
                "max_request_bytes",
                ServerConfig.Http.DEFAULT_MAX_REQUEST_BYTES,
                1024,
                1L << 31),
            new ServerConfig.RateLimit(
                (int)
                    number(
                        http,
                        "http",
                        "attest_rate_per_second",
                        ServerConfig.RateLimit.DEFAULT.perSecond(),
                        0,
                        1_000_000),
                (int)
                    number(
                        http,
                        "http",
                        "attest_burst",
                        ServerConfig.RateLimit.DEFAULT.burst(),
                        1,
                        1_000_000)));
    JsonNode tls = root.path("tls");
    String mode = text(tls, "tls", "mode").orElse("self-signed");
    ServerConfig.TlsMode tlsMode =
        switch (mode.toLowerCase(Locale.ROOT)) {
          case "self-signed", "self_signed" -> ServerConfig.TlsMode.SELF_SIGNED;
          case "files" -> ServerConfig.TlsMode.FILES;
          case "off" -> ServerConfig.TlsMode.OFF;
          case "cms" -> ServerConfig.TlsMode.CMS;
          default ->
              throw new ConfigException(
                  "tls.mode must be self-signed, files, cms or off, not '" + mode + "'");
        };
    Optional<Path> cert = text(tls, "tls", "cert_file").map(Path::of);
    Optional<Path> key = text(tls, "tls", "key_file").map(Path::of);
    if (tlsMode == ServerConfig.TlsMode.FILES) {
      if (cert.isEmpty() || key.isEmpty()) {
        throw new ConfigException("tls.mode files needs tls.cert_file and tls.key_file");
      }
      for (Path p : List.of(cert.get(), key.get())) {
        if (!Files.isReadable(p)) {
          throw new ConfigException("TLS file " + p + " is not readable");
        }
      }
    } else if (cert.isPresent() || key.isPresent()) {
      throw new ConfigException("tls.cert_file and tls.key_file need tls.mode files");
    }
    List<String> cmsNames = list(tls, "tls", "cms_names");
    if ((tlsMode == ServerConfig.TlsMode.CMS) == cmsNames.isEmpty()) {
      throw new ConfigException(
          "tls.mode cms needs tls.cms_names (this replica's DNS names or addresses), and"
              + " tls.cms_names needs tls.mode cms");
    }
    String minVersion = text(tls, "tls", "min_version").orElse("1.3");
    if (!minVersion.equals("1.3") && !minVersion.equals("1.2")) {
      throw new ConfigException(
          "tls.min_version must be \"1.3\" or \"1.2\", not '" + minVersion + "'");
    }
    JsonNode st = root.path("storage");
    Optional<String> url = text(st, "storage", "jdbc_url");
    if (url.isPresent()
        && !url.get().startsWith("jdbc:h2:")
        && !url.get().startsWith("jdbc:postgresql:")) {
      throw new ConfigException(
          "storage.jdbc_url must be a jdbc:h2: or jdbc:postgresql: URL, not '" + url.get() + "'");
    }
    if (kek.isPresent()) {
      validateKek(kek.get());
    }
    ServerConfig.Storage storage =
        new ServerConfig.Storage(
            url,
            text(st, "storage", "username"),
            text(st, "storage", "password"),
            (int) number(st, "storage", "pool_size", 10, 1, 500),
            text(st, "storage", "kek_file").map(Path::of),
            kek);
    JsonNode tok = root.path("tokens");
    String alg = text(tok, "tokens", "algorithm").orElse("ES256").toUpperCase(Locale.ROOT);
    if (!alg.equals("ES256") && !alg.equals("ES384")) {
      throw new ConfigException("tokens.algorithm must be ES256 or ES384, not '" + alg + "'");
    }
    Duration lifetime =
        Duration.ofSeconds(number(tok, "tokens", "lifetime_seconds", 300, 10, 7 * 86400));
    Duration rotation = Duration.ofHours(number(tok, "tokens", "rotation_hours", 24, 1, 24 * 365));
    if (rotation.compareTo(lifetime) <= 0) {
      throw new ConfigException("tokens.rotation_hours must be longer than the token lifetime");
    }
    ServerConfig.Tokens tokens = new ServerConfig.Tokens(alg, lifetime, rotation);
    Optional<String> x5cCert = text(tok, "tokens", "x5c_ca_cert_file");
    Optional<String> x5cKey = text(tok, "tokens", "x5c_ca_key_file");
    if (x5cCert.isPresent() != x5cKey.isPresent()) {
      throw new ConfigException(
          "tokens.x5c_ca_cert_file and tokens.x5c_ca_key_file are given together or not at all");
    }
    if (x5cCert.isPresent()) {
      for (String f : List.of(x5cCert.get(), x5cKey.get())) {
        if (!Files.isReadable(Path.of(f))) {
          throw new ConfigException("tokens: " + f + " is not readable");
        }
      }
      tokens = tokens.withX5cCa(Path.of(x5cCert.get()), Path.of(x5cKey.get()));
    }
    Optional<String> adminToken = text(root.path("admin"), "admin", "token");
    if (adminToken.isPresent() && adminToken.get().length() < 16) {
      throw new ConfigException("admin.token must be at least 16 characters");
    }
    Optional<Path> bundleKeys = text(root.path("rvps"), "rvps", "bundle_keys_file").map(Path::of);
    if (bundleKeys.isPresent() && !Files.isReadable(bundleKeys.get())) {
      throw new ConfigException("rvps.bundle_keys_file " + bundleKeys.get() + " is not readable");
    }
    return new ServerConfig(
        dataDir,
        h,
        new ServerConfig.Tls(
            tlsMode,
            cert,
            key,
            minVersion.equals("1.2"),
            Duration.ofSeconds(
                number(
                    tls,
                    "tls",
                    "cms_validity_seconds",
                    ServerConfig.Tls.DEFAULT_CMS_VALIDITY.toSeconds(),
                    dev.vouch.server.cms.Cms.MIN_CERTIFICATE_VALIDITY.toSeconds(),
                    3650L * 86400)),
            cmsNames),
        storage,
        tokens,
        admin(root.path("admin"), adminToken),
        new ServerConfig.Rvps(bundleKeys),
        kbs(root.path("kbs")),
        registrar(root.path("registrar")),
        hosts(root.path("hosts")),
        verifiers(root.path("verifiers")),
        kubernetes(root.path("kubernetes")));
  }

  private static ServerConfig.Admin admin(JsonNode n, Optional<String> token)
      throws ConfigException {
    Optional<String> pw = text(n, "admin", "bootstrap_password");
    if (pw.isPresent() && (pw.get().length() < 12 || pw.get().length() > 1024)) {
      throw new ConfigException("admin.bootstrap_password must have 12 to 1024 characters");
    }
    Duration lifetime =
        Duration.ofSeconds(number(n, "admin", "token_lifetime_seconds", 900, 30, 86400));
    Duration rotation = Duration.ofHours(number(n, "admin", "key_rotation_hours", 24, 1, 24 * 365));
    if (rotation.compareTo(lifetime) <= 0) {
      throw new ConfigException(
          "admin.key_rotation_hours must be longer than admin.token_lifetime_seconds");
    }
    return new ServerConfig.Admin(token, pw, lifetime, rotation);
  }

  private static Optional<java.net.URI> httpUrl(JsonNode n, String key) throws ConfigException {
    Optional<String> url = text(n, "verifiers", key);
    if (url.isEmpty()) {
      return Optional.empty();
    }
    try {
      java.net.URI u = new java.net.URI(url.get());
      if (!"https".equals(u.getScheme()) && !"http".equals(u.getScheme())) {
        throw new java.net.URISyntaxException(url.get(), "not http(s)");
      }
      return Optional.of(u);
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException("verifiers." + key + " must be an http(s) URL: " + url.get());
    }
  }

  private static ServerConfig.Kubernetes kubernetes(JsonNode n) throws ConfigException {
    JsonNode classes = n.get("admission_runtime_classes");
    // absent: the defaults; an explicit empty list: only the pod label asks for trusted compute
    return classes == null || classes.isNull()
        ? ServerConfig.Kubernetes.defaults()
        : new ServerConfig.Kubernetes(list(n, "kubernetes", "admission_runtime_classes"));
  }

  private static ServerConfig.Verifiers verifiers(JsonNode n) throws ConfigException {
    List<Path> dirs = new ArrayList<>();
    for (String d : list(n, "verifiers", "collateral_dirs")) {
      Path p = Path.of(d);
      if (!Files.isDirectory(p) || !Files.isReadable(p)) {
        throw new ConfigException("verifiers.collateral_dirs: " + p + " is not a readable folder");
      }
      dirs.add(p);
    }
    Optional<java.net.URI> pccs = httpUrl(n, "intel_pccs_url");
    Optional<java.net.URI> kds = httpUrl(n, "amd_kds_url");
    return new ServerConfig.Verifiers(
        dirs,
        pccs,
        kds,
        readableFiles(n, "verifiers", "cca_platform_keys"),
        readableFiles(n, "verifiers", "tpm_ak_roots"),
        readableFiles(n, "verifiers", "extra_anchors"),
        bool(n, "verifiers", "sample", false),
        bool(n, "verifiers", "revocation", true));
  }

  private static ServerConfig.Hosts hosts(JsonNode n) throws ConfigException {
    ServerConfig.Hosts d = ServerConfig.Hosts.defaults();
    Map<String, Duration> groups = new LinkedHashMap<>();
    for (String g : list(n, "hosts", "group_poll_seconds")) {
      int eq = g.indexOf('=');
      long secs;
      try {
        secs = eq > 0 ? Long.parseLong(g.substring(eq + 1).strip()) : -1;
      } catch (NumberFormatException e) {
        secs = -1;
      }
      if (secs < 1 || secs > 7 * 86400) {
        throw new ConfigException(
            "hosts.group_poll_seconds: '" + g + "' must be group=seconds (1..604800)");
      }
      groups.put(g.substring(0, eq).strip(), Duration.ofSeconds(secs));
    }
    String mode = text(n, "hosts", "golden_mode").orElse(d.goldenMode()).toLowerCase(Locale.ROOT);
    if (!mode.equals("tofu") && !mode.equals("strict")) {
      throw new ConfigException("hosts.golden_mode must be tofu or strict, not '" + mode + "'");
    }
    java.util.Set<dev.vouch.policy.flavor.FlavorPart> goldenParts =
        java.util.EnumSet.noneOf(dev.vouch.policy.flavor.FlavorPart.class);
    for (String part : list(n, "hosts", "golden_parts")) {
      try {
        goldenParts.add(dev.vouch.policy.flavor.FlavorPart.valueOf(part.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            "hosts.golden_parts: '"
                + part
                + "' is not a flavor part; one of "
                + java.util.Arrays.toString(dev.vouch.policy.flavor.FlavorPart.values()));
      }
    }
    if (goldenParts.isEmpty()) {
      goldenParts.addAll(d.goldenParts());
    }
    if (goldenParts.contains(dev.vouch.policy.flavor.FlavorPart.IMA)
        && !bool(n, "hosts", "ima", false)) {
      // without the list every TOFU adoption would fail for want of IMA measurements
      throw new ConfigException(
          "hosts.golden_parts: IMA needs hosts.ima: true (the IMA list is read only then)");
    }
    if (goldenParts.contains(dev.vouch.policy.flavor.FlavorPart.SOFTWARE)
        && !bool(n, "hosts", "software", false)) {
      throw new ConfigException(
          "hosts.golden_parts: SOFTWARE needs hosts.software: true (PCR 15 is quoted only then)");
    }
    List<Optional<Path>> tls = new ArrayList<>();
    for (String k : List.of("agent_tls_cert", "agent_tls_key", "agent_tls_ca")) {
      Optional<Path> p = text(n, "hosts", k).map(Path::of);
      if (p.isPresent() && !Files.isReadable(p.get())) {
        throw new ConfigException("hosts." + k + " " + p.get() + " is not readable");
      }
      tls.add(p);
    }
    long given = tls.stream().filter(Optional::isPresent).count();
    if (given != 0 && given != 3) {
      throw new ConfigException(
          "hosts.agent_tls_cert, agent_tls_key and agent_tls_ca go together: give all three");
    }
    Optional<java.net.URI> webhook = Optional.empty();
    Optional<String> hook = text(n, "hosts", "webhook_url");
    if (hook.isPresent()) {
      try {
        java.net.URI u = new java.net.URI(hook.get());
        if (!"https".equals(u.getScheme()) && !"http".equals(u.getScheme())) {
          throw new java.net.URISyntaxException(hook.get(), "not http(s)");
        }
        webhook = Optional.of(u);
      } catch (java.net.URISyntaxException e) {
        throw new ConfigException("hosts.webhook_url must be an http(s) URL: " + e.getMessage());
      }
    }
    Optional<Path> secret = text(n, "hosts", "webhook_secret_file").map(Path::of);
    if (webhook.isPresent() != secret.isPresent()) {
      throw new ConfigException("hosts.webhook_url and webhook_secret_file go together");
    }
    if (secret.isPresent() && !Files.isReadable(secret.get())) {
      throw new ConfigException("hosts.webhook_secret_file " + secret.get() + " is not readable");
    }
    Optional<Path> natsAuthDir = text(n, "hosts", "nats_auth_dir").map(Path::of);
    if (natsAuthDir.isPresent() && text(n, "hosts", "nats_url").isEmpty()) {
      throw new ConfigException("hosts.nats_auth_dir needs hosts.nats_url");
    }
    return new ServerConfig.Hosts(
        bool(n, "hosts", "enabled", d.enabled()),
        Duration.ofSeconds(number(n, "hosts", "poll_seconds", 3600, 1, 7 * 86400)),
        groups,
        Duration.ofSeconds(number(n, "hosts", "lease_seconds", 300, 5, 86400)),
        (int) number(n, "hosts", "max_concurrency", 32, 1, 10_000),
        mode,
        Duration.ofSeconds(number(n, "hosts", "report_validity_seconds", 86400, 60, 365 * 86400L)),
        bool(n, "hosts", "ima", false),
        bool(n, "hosts", "software", false),
        Duration.ofSeconds(number(n, "hosts", "agent_timeout_seconds", 30, 1, 600)),
        text(n, "hosts", "nats_url"),
        given == 3 ? Optional.of(tls.stream().map(Optional::get).toList()) : Optional.empty(),
        bool(n, "hosts", "kubernetes", false),
        text(n, "hosts", "kubernetes_url"),
        bool(n, "hosts", "evict_pods", false),
        text(n, "hosts", "node_label"),
        webhook,
        secret,
        readableFiles(n, "hosts", "flavor_template_files"),
        readableFiles(n, "hosts", "flavor_signing_keys"),
        natsAuthDir,
        Duration.ofDays(number(n, "hosts", "report_retention_days", 90, 0, 36500)),
        (int) number(n, "hosts", "report_retention_count", 1000, 0, 10_000_000),
        bool(n, "hosts", "require_disk_encryption", false),
        goldenParts);
  }

  private static ServerConfig.Registrar registrar(JsonNode reg) throws ConfigException {
    ServerConfig.Registrar d = ServerConfig.Registrar.defaults();
    Duration ttl =
        Duration.ofSeconds(
            number(
                reg, "registrar", "challenge_ttl_seconds", d.challengeTtl().toSeconds(), 5, 3600));
    return new ServerConfig.Registrar(
        readableFiles(reg, "registrar", "ek_roots"),
        readableFiles(reg, "registrar", "ek_intermediates"),
        ttl,
        readableFiles(reg, "registrar", "ek_crls"),
        bool(reg, "registrar", "ek_revocation", true));
  }

  private static List<java.net.URI> jwksUrls(List<String> urls) throws ConfigException {
    List<java.net.URI> out = new ArrayList<>();
    for (String u : urls) {
      try {
        java.net.URI uri = new java.net.URI(u);
        if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
          throw new java.net.URISyntaxException(u, "not an http(s) URL");
        }
        out.add(uri);
      } catch (java.net.URISyntaxException e) {
        throw new ConfigException("kbs.passport_jwks_urls: " + e.getMessage(), e);
      }
    }
    return out;
  }

  private static List<Path> readableFiles(JsonNode section, String name, String key)
      throws ConfigException {
    List<Path> out = new ArrayList<>();
    for (String f : list(section, name, key)) {
      Path p = Path.of(f);
      if (!Files.isReadable(p)) {
        throw new ConfigException(where(name, key) + ": " + p + " is not readable");
      }
      out.add(p);
    }
    return out;
  }

  private static boolean bool(JsonNode section, String name, String key, boolean dflt)
      throws ConfigException {
    Optional<String> t = text(section, name, key);
    if (t.isEmpty()) {
      return dflt;
    }
    return switch (t.get().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new ConfigException(
              where(name, key) + " must be true or false, not '" + t.get() + "'");
    };
  }

  private static ServerConfig.Kbs kbs(JsonNode kbs) throws ConfigException {
    ServerConfig.Kbs d = ServerConfig.Kbs.defaults();
    boolean enabled = bool(kbs, "kbs", "enabled", true);
    Duration ttl =
        Duration.ofSeconds(
            number(kbs, "kbs", "session_ttl_seconds", d.sessionTtl().toSeconds(), 10, 86400));
    List<Path> adminKeys = readableFiles(kbs, "kbs", "admin_key_files");
    Set<Tee> tees = d.tees();
    List<String> teeNames = list(kbs, "kbs", "tees");
    if (!teeNames.isEmpty()) {
      EnumSet<Tee> chosen = EnumSet.noneOf(Tee.class);
      for (String n : teeNames) {
        chosen.add(
            Tee.fromWireName(n)
                .orElseThrow(() -> new ConfigException("kbs.tees: unknown TEE '" + n + "'")));
      }
      tees = chosen;
    }
    Optional<Path> jwks = text(kbs, "kbs", "passport_jwks_file").map(Path::of);
    if (jwks.isPresent() && !Files.isReadable(jwks.get())) {
      throw new ConfigException("kbs.passport_jwks_file " + jwks.get() + " is not readable");
    }
    ServerConfig.RateLimit auth =
        new ServerConfig.RateLimit(
            (int)
                number(kbs, "kbs", "auth_rate_per_second", d.authLimit().perSecond(), 0, 1_000_000),
            (int) number(kbs, "kbs", "auth_burst", d.authLimit().burst(), 1, 1_000_000));
    ServerConfig.RateLimit attest =
        new ServerConfig.RateLimit(
            (int)
                number(
                    kbs,
                    "kbs",
                    "attest_rate_per_second",
                    d.attestLimit().perSecond(),
                    0,
                    1_000_000),
            (int) number(kbs, "kbs", "attest_burst", d.attestLimit().burst(), 1, 1_000_000));
    int maxUnattested =
        (int)
            number(kbs, "kbs", "max_unattested_sessions", d.maxUnattestedSessions(), 1, 10_000_000);
    Duration adminLifetime =
        Duration.ofSeconds(
            number(
                kbs,
                "kbs",
                "admin_token_max_lifetime_seconds",
                d.adminTokenMaxLifetime().toSeconds(),
                60,
                7 * 86400));
    return new ServerConfig.Kbs(enabled, ttl, adminKeys, tees, jwks)
        .withLimits(auth, attest, maxUnattested)
        .withAdminTokenMaxLifetime(adminLifetime)
        .withAdminAcls(list(kbs, "kbs", "admin_acls"))
        .withPassportJwks(
            jwksUrls(list(kbs, "kbs", "passport_jwks_urls")),
            Duration.ofSeconds(
                number(kbs, "kbs", "passport_jwks_refresh_seconds", 300, 10, 86400)));
  }

  /** A YAML sequence of scalars, or one comma-separated string (as environment variables give). */
  private static List<String> list(JsonNode section, String name, String key)
      throws ConfigException {
    JsonNode n = section.get(key);
    if (n == null || n.isNull()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (n.isArray()) {
      for (JsonNode e : n) {
        if (!e.isValueNode() || e.asText().isBlank()) {
          throw new ConfigException(where(name, key) + " must be a list of non-empty values");
        }
        out.add(e.asText().strip());
      }
      return out;
    }
    if (!n.isValueNode()) {
      throw new ConfigException(where(name, key) + " must be a list or a comma-separated string");
    }
    for (String part : n.asText().split(",")) {
      if (!part.isBlank()) {
        out.add(part.strip());
      }
    }
    return out;
  }

  private static void validateKek(String b64) throws ConfigException {
    byte[] k;
    try {
      k = java.util.Base64.getDecoder().decode(b64.strip());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("VOUCH_KEK is not base64");
    }
    if (k.length != 32) {
      throw new ConfigException("VOUCH_KEK must be 32 bytes (AES-256), got " + k.length);
    }
  }

  private static Optional<String> text(JsonNode section, String name, String key)
      throws ConfigException {
    JsonNode n = section.get(key);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isValueNode()) {
      throw new ConfigException(where(name, key) + " must be a single value");
    }
    String s = n.asText().strip();
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  private static long number(
      JsonNode section, String name, String key, long dflt, long min, long max)
      throws ConfigException {
    Optional<String> t = text(section, name, key);
    if (t.isEmpty()) {
      return dflt;
    }
    long v;
    try {
      v = Long.parseLong(t.get());
    } catch (NumberFormatException e) {
      throw new ConfigException(
          where(name, key) + " must be a whole number, not '" + t.get() + "'");
    }
    if (v < min || v > max) {
      throw new ConfigException(
          where(name, key) + " must be in " + min + ".." + max + ", not " + v);
    }
    return v;
  }

  private static String where(String section, String key) {
    return section.isEmpty() ? key : section + "." + key;
  }

  /**
   * Every key this loader accepts, by section ({@code ""} holds the top-level keys), in the order
   * the file documents them; for the generated configuration reference and its test.
   */
  public static Map<String, List<String>> knownKeys() {
    return java.util.Collections.unmodifiableMap(KEYS);
  }

  /** The environment variable names this loader reads, for documentation and help text. */
  public static List<String> environmentVariables() {
    List<String> out = new ArrayList<>();
    KEYS.forEach(
        (s, keys) ->
            keys.forEach(
                k ->
                    out.add(
                        "VOUCH_"
                            + (s.isEmpty() ? "" : s.toUpperCase(Locale.ROOT) + "_")
                            + k.toUpperCase(Locale.ROOT))));
    out.add("VOUCH_KEK");
    return out;
  }
}
