package dev.vouch.server.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What each configuration key means: its type, its default and what it does, the source of {@code
 * docs/configuration.md}. The set of keys is {@link ConfigLoader#knownKeys()}'s; a test fails when
 * a key is added to the loader without a line here, when a documented default is not the loader's
 * default, and when the generated page in {@code docs/} is stale.
 */
public final class ConfigReference {
  /**
   * One key.
   *
   * @param section the YAML section ({@code ""} for top-level keys)
   * @param name the key within its section
   * @param type the accepted values, as an operator writes them
   * @param defaultValue the value when the key is absent, written as YAML; empty when there is none
   *     or it is computed (then {@code description} says what happens)
   * @param description what it does
   */
  public record Key(
      String section, String name, String type, Optional<String> defaultValue, String description) {
    /** {@code section.name}, or {@code name} at the top level. */
    public String path() {
      return section.isEmpty() ? name : section + "." + name;
    }

    /** The environment variable that overrides it. */
    public String environmentVariable() {
      return "VOUCH_"
          + (section.isEmpty() ? "" : section.toUpperCase(Locale.ROOT) + "_")
          + name.toUpperCase(Locale.ROOT);
    }
  }

  private static final Map<String, String> SECTIONS = new LinkedHashMap<>();
  private static final List<Key> KEYS = new ArrayList<>();

  static {
    SECTIONS.put("", "Top level");
    SECTIONS.put("http", "HTTP listener");
    SECTIONS.put("tls", "TLS of the listener");
    SECTIONS.put("storage", "Database and key sealing");
    SECTIONS.put("tokens", "Attestation tokens (EAR JWTs)");
    SECTIONS.put("admin", "Administration");
    SECTIONS.put("rvps", "Reference values");
    SECTIONS.put("kbs", "Key broker (Trustee KBS protocol)");
    SECTIONS.put("hosts", "Host monitoring");
    SECTIONS.put("registrar", "TPM registrar (enrollment)");
    SECTIONS.put("verifiers", "Evidence verifiers and their trust material");
    SECTIONS.put("kubernetes", "Kubernetes placement (admission webhook)");

    key(
        "",
        "data_dir",
        "path",
        "vouch-data",
        "Data directory: H2 database, generated TLS"
            + " certificate, key-encryption key, admin token. `--data-dir` wins over it.");

    key("http", "host", "address", "0.0.0.0", "Address to listen on.");
    key(
        "http",
        "port",
        "integer 0..65535",
        "8443",
        "Port to listen on; 0 picks a free one." + " `--port` wins over it.");
    key(
        "http",
        "max_request_bytes",
        "integer 1024..2147483648",
        "2097152",
        "Largest request body accepted (2 MiB, as Trustee allows: a TDX quote with a full CCEL).");
    key(
        "http",
        "attest_rate_per_second",
        "integer 0..1000000",
        "10",
        "Each client's (TCP peer address, IPv6 by /64) sustained request rate on `POST"
            + " /api/v1/attest` and `POST /attestation` together; more get 429 with Retry-After;"
            + " 0 means unlimited (behind a proxy every client shares the proxy's address).");
    key(
        "http",
        "attest_burst",
        "integer 1..1000000",
        "50",
        "Requests a client may make at once on those routes before the rate applies.");

    key(
        "tls",
        "mode",
        "`self-signed`, `files`, `cms` or `\"off\"`",
        "self-signed",
        "`self-signed` makes a certificate on first start (`DATA_DIR/tls/server.crt`, give it to"
            + " the CLI with `--cacert` or `VOUCH_CACERT`); `files` uses `cert_file` and"
            + " `key_file`; `cms` has the server's own CMS issue each replica a certificate for"
            + " `cms_names` at start (clients and agents then pin the CMS root from"
            + " `GET /api/v1/cms/ca`); `\"off\"` serves plain HTTP (quote it: YAML reads a bare off as false).");
    key("tls", "cert_file", "path", null, "PEM certificate chain; only with `mode: files`.");
    key("tls", "key_file", "path", null, "PEM private key; only with `mode: files`.");
    key(
        "tls",
        "min_version",
        "`\"1.3\"` or `\"1.2\"`",
        "1.3",
        "Oldest TLS version the listener accepts: TLS 1.3 only by default; `\"1.2\"` also offers"
            + " TLS 1.2 for clients that lack 1.3 (quote it: YAML reads a bare 1.2 as a number).");
    key(
        "tls",
        "cms_names",
        "list of DNS names and IP addresses",
        null,
        "This replica's names in its CMS certificate; only with `mode: cms`. Give each replica"
            + " the names clients reach it by (a shared service name and its own).");
    key(
        "tls",
        "cms_validity_seconds",
        "seconds, 60 to 10 years",
        "2592000",
        "How long certificates the CMS issues (agents' and, with `mode: cms`, replicas' HTTPS"
            + " certificates) are valid; each holder renews its own at two thirds of it (`POST /api/v1/cms/certificates/renew`).");

    key(
        "storage",
        "jdbc_url",
        "`jdbc:h2:...` or `jdbc:postgresql:...`",
        null,
        "Database. Absent: an H2 database under `data_dir`. PostgreSQL for several replicas.");
    key("storage", "username", "string", null, "Database user.");
    key(
        "storage",
        "password",
        "string",
        null,
        "Database password (prefer `VOUCH_STORAGE_PASSWORD` to a file).");
    key("storage", "pool_size", "integer 1..500", "10", "Database connections.");
    key(
        "storage",
        "kek_file",
        "path",
        null,
        "File holding the key-encryption key that seals private keys and secrets. Absent:"
            + " `VOUCH_KEK` (base64 of 32 bytes) if set, else `DATA_DIR/kek`, generated on first"
            + " start. Back it up: without it the sealed keys and KBS secrets are lost.");

    key("tokens", "algorithm", "`ES256` or `ES384`", "ES256", "Signature of attestation tokens.");
    key("tokens", "lifetime_seconds", "integer 10..604800", "300", "Lifetime of a token.");
    key(
        "tokens",
        "rotation_hours",
        "integer 1..8760",
        "24",
        "Signing key rotation; old keys stay published until their tokens expire. Must be longer"
            + " than the token lifetime.");
    key(
        "tokens",
        "x5c_ca_cert_file",
        "path",
        null,
        "PEM chain, issuing CA first: that CA certifies each signing key (rotated ones too) and"
            + " tokens carry the chain in `x5c`. Needs `x5c_ca_key_file`; a key that is not the CA"
            + " certificate's refuses start-up.");
    key(
        "tokens",
        "x5c_ca_key_file",
        "path",
        null,
        "Unencrypted PEM private key of the `x5c_ca_cert_file` CA (EC or RSA).");

    key(
        "admin",
        "token",
        "string, 16 characters or more",
        null,
        "The old single admin token, now an API key of the bootstrap administrator `admin`."
            + " Absent: one is generated into `DATA_DIR/admin-token`.");
    key(
        "admin",
        "bootstrap_password",
        "string, 12 to 1024 characters",
        null,
        "Password of the bootstrap administrator `admin`, created on first start when the"
            + " database has no account (also `VOUCH_BOOTSTRAP_ADMIN_PASSWORD`). Absent: one is"
            + " generated into `DATA_DIR/admin-password` (0600).");
    key(
        "admin",
        "token_lifetime_seconds",
        "integer 30..86400",
        "900",
        "Validity of the admin JWTs that `POST /api/v1/auth/token` issues.");
    key(
        "admin",
        "key_rotation_hours",
        "integer 1..8760",
        "24",
        "Rotation of the ES384 key that signs admin JWTs (sealed in the database); must be longer"
            + " than the token lifetime.");

    key(
        "rvps",
        "bundle_keys_file",
        "path (JWKS)",
        null,
        "Keys whose signed reference-value bundles are accepted.");

    key("kbs", "enabled", "boolean", "true", "Serve the KBS routes (`/kbs/v0/...`).");
    key(
        "kbs",
        "session_ttl_seconds",
        "integer 10..86400",
        "300",
        "How long an attested KBS session lasts.");
    key(
        "kbs",
        "admin_key_files",
        "list of paths (PEM public keys)",
        null,
        "Keys whose signed JWTs may store resources and set the resource policy (Ed25519, P-256,"
            + " P-384). None: the admin API refuses every request.");
    key(
        "kbs",
        "tees",
        "list of `tpm`, `snp`, `tdx`, `sgx`, `cca`, `az-snp-vtpm`, `az-tdx-vtpm`",
        null,
        "Evidence kinds the KBS accepts. Absent: every real kind (not `sample`), each only when"
            + " its trust material is configured under `verifiers`.");
    key(
        "kbs",
        "passport_jwks_file",
        "path (JWKS)",
        null,
        "Issuers other than this server's own attestation service whose tokens release resources;"
            + " re-read when the file changes.");
    key(
        "kbs",
        "passport_jwks_urls",
        "list of URLs (https; http on loopback only)",
        null,
        "JWKS endpoints of other attestation services whose tokens release resources; fetched at"
            + " start and re-fetched every `passport_jwks_refresh_seconds` (a failed fetch keeps the"
            + " last keys and is retried after 30 s).");
    key(
        "kbs",
        "passport_jwks_refresh_seconds",
        "integer 10..86400",
        "300",
        "How often the issuers' published keys are re-read.");
    key(
        "kbs",
        "auth_rate_per_second",
        "integer 0..1000000",
        "10",
        "`/kbs/v0/auth` requests per second per client (its TCP peer address; IPv6 by /64)."
            + " 0: no limit.");
    key("kbs", "auth_burst", "integer 1..1000000", "50", "Burst of `/kbs/v0/auth` per client.");
    key(
        "kbs",
        "attest_rate_per_second",
        "integer 0..1000000",
        "10",
        "`/kbs/v0/attest` requests per second per client, and resource reads in a bucket of"
            + " their own. 0: no limit.");
    key(
        "kbs",
        "attest_burst",
        "integer 1..1000000",
        "50",
        "Burst of `/kbs/v0/attest` per client, and of resource reads.");
    key(
        "kbs",
        "max_unattested_sessions",
        "integer 1..10000000",
        "10000",
        "Live sessions not yet attested, over all clients; beyond it `/auth` answers 429.");
    key(
        "kbs",
        "admin_token_max_lifetime_seconds",
        "integer 60..604800",
        "3600",
        "Longest lifetime an admin JWT may have, from now and from its `iat`.");
    key(
        "kbs",
        "admin_acls",
        "list of `role=regex`",
        null,
        "Trustee's admin `regex_acl`: a JWT whose `role` claim is `role` may use the paths the"
            + " regex (anchored `^/kbs...$`) matches; any rule makes the `role` claim required."
            + " None: every valid admin JWT may use every admin endpoint.");

    key("hosts", "enabled", "boolean", "true", "Host monitoring (registrar, polling, reports).");
    key("hosts", "poll_seconds", "integer 1..604800", "3600", "Re-attestation interval.");
    key(
        "hosts",
        "group_poll_seconds",
        "list of `group=seconds`",
        null,
        "Interval per host group, e.g. `[edge=300]`.");
    key(
        "hosts",
        "lease_seconds",
        "integer 5..86400",
        "300",
        "How long a replica holds a host it attests (several replicas share one database).");
    key("hosts", "max_concurrency", "integer 1..10000", "32", "Attestations in flight.");
    key(
        "hosts",
        "golden_mode",
        "`tofu` or `strict`",
        "tofu",
        "`strict` (production): only approved flavors count. `tofu` (labs, first rollouts): the"
            + " first measurements of each boot become golden, and a changed baseline is reported.");
    key(
        "hosts",
        "golden_parts",
        "list of flavor parts",
        "[PLATFORM, HOST_UNIQUE]",
        "The flavor parts `tofu` adopts from a host's first measurements of each boot. Add `OS` to"
            + " baseline PCRs 8 and 9 (the boot loader's commands, kernel command line, kernel and"
            + " initrd) as well, `SOFTWARE` for the files the agent's `--software-manifest` measured"
            + " into PCR 15 (needs `hosts.software: true`), `IMA` for the host's IMA list as an"
            + " incremental baseline (needs `hosts.ima: true`); the built-in template defines"
            + " PLATFORM, OS, HOST_UNIQUE, SOFTWARE and IMA.");
    key(
        "hosts",
        "report_validity_seconds",
        "integer 60..31536000",
        "86400",
        "Validity of a signed trust report.");
    key(
        "hosts",
        "report_retention_days",
        "integer 0..36500",
        "90",
        "Trust reports older than this are deleted by an hourly sweep (0: any age is kept). A"
            + " host's newest and last report, every report a status change points at and every"
            + " report the audit log names are always kept.");
    key(
        "hosts",
        "report_retention_count",
        "integer 0..10000000",
        "1000",
        "Only a host's newest this many trust reports are kept by the sweep (0: no limit), besides"
            + " the reports always kept.");
    key(
        "hosts",
        "require_disk_encryption",
        "boolean",
        "false",
        "Full-disk encryption as a platform prerequisite: a host is VERIFIED only when the kernel"
            + " command line its boot loader measured (GRUB into PCR 8, systemd-stub or"
            + " systemd-boot into PCR 12) names an encrypted root (`rd.luks.uuid=`,"
            + " `rd.luks.name=`, `cryptdevice=` or a `/dev/mapper/` LUKS or crypt root), or the"
            + " quoted IMA list holds a `cryptsetup` run; otherwise ATTESTATION_FAILED with reason"
            + " `fde-not-measured`. An agent's own claim is shown as reported and never satisfies"
            + " it.");
    key("hosts", "ima", "boolean", "false", "Also quote PCR 10 and fetch the IMA list.");
    key(
        "hosts",
        "software",
        "boolean",
        "false",
        "Also quote PCR 15 and fetch the files the agent measured into it from its"
            + " `--software-manifest` (what SOFTWARE flavors are made from); the measurements count"
            + " only when they replay to the quoted PCR 15. Agents of earlier releases refuse such a"
            + " request: upgrade them first.");
    key("hosts", "agent_timeout_seconds", "integer 1..600", "30", "How long to wait for a quote.");
    key(
        "hosts",
        "nats_url",
        "URL",
        null,
        "NATS server that agents started with `--nats` listen on (`nats://host:4222`). Needed for"
            + " agents enrolled with `--connection nats` (the default when the agent runs `--nats`).");
    key(
        "hosts",
        "nats_auth_dir",
        "path",
        null,
        "Per-agent NATS credentials (decentralized JWT): the server keeps its NATS operator and"
            + " account here (seeds sealed under the KEK) and writes `nats-auth.conf` for"
            + " nats-server to `include`. Each agent enrolling with a NATS user key then gets a JWT"
            + " that lets it subscribe only to its own quote subject and publish only its own"
            + " announcement and replies. Absent: NATS without authentication.");
    key(
        "hosts",
        "agent_tls_cert",
        "path",
        null,
        "Client certificate for agents served over HTTPS (`--listen`); with `agent_tls_key` and"
            + " `agent_tls_ca`.");
    key("hosts", "agent_tls_key", "path", null, "Its private key.");
    key("hosts", "agent_tls_ca", "path", null, "CA that agents' server certificates chain to.");
    key("hosts", "kubernetes", "boolean", "false", "Label and cordon Kubernetes nodes by status.");
    key("hosts", "kubernetes_url", "URL", null, "API server (absent: in-cluster configuration).");
    key("hosts", "evict_pods", "boolean", "false", "Evict pods from a node whose host fails.");
    key("hosts", "node_label", "string", null, "Node label naming the host id.");
    key(
        "hosts",
        "webhook_url",
        "URL",
        null,
        "Receives host events (status changes, `host.baseline-changed`, `host.ima-restart`); with"
            + " `webhook_secret_file`.");
    key("hosts", "webhook_secret_file", "path", null, "HMAC key that signs webhook bodies.");
    key(
        "hosts",
        "flavor_template_files",
        "list of paths",
        null,
        "Flavor templates (which PCRs and events make each flavor part).");
    key(
        "hosts",
        "flavor_signing_keys",
        "list of paths (PEM public keys)",
        null,
        "Keys whose signed flavor imports are approved (besides the server's own flavor key).");

    key(
        "registrar",
        "ek_roots",
        "list of paths (PEM or DER)",
        null,
        "CA certificates that TPM EK certificates must chain to. Empty: every enrollment is"
            + " refused. For swtpm: `/var/lib/swtpm-localca/swtpm-localca-rootca-cert.pem`.");
    key(
        "registrar",
        "ek_intermediates",
        "list of paths",
        null,
        "Intermediate CAs of EK chains. For swtpm: `/var/lib/swtpm-localca/issuercert.pem`.");
    key(
        "registrar",
        "challenge_ttl_seconds",
        "integer 5..3600",
        "60",
        "How long an agent has to answer its credential-activation challenge.");
    key(
        "registrar",
        "ek_crls",
        "list of paths (PEM or DER CRLs)",
        null,
        "CRLs of the EK roots and intermediates, needed while `ek_revocation` is on.");
    key(
        "registrar",
        "ek_revocation",
        "boolean",
        "true",
        "Require a current CRL of every issuer on an EK certificate's path. False only for CAs"
            + " that publish none (swtpm's local CA cannot sign one); the server warns at start.");

    key(
        "verifiers",
        "collateral_dirs",
        "list of folders",
        null,
        "Offline collateral (Intel TCB info, QE identity, CRLs; AMD VCEKs, CRLs; CCA keys),"
            + " recognised by content and re-read every minute. `--collateral` adds to it.");
    key("verifiers", "intel_pccs_url", "URL", null, "Intel PCCS for TDX and SGX collateral.");
    key("verifiers", "amd_kds_url", "URL", null, "AMD KDS (or a proxy) for VCEKs and chains.");
    key("verifiers", "cca_platform_keys", "list of paths", null, "Arm CCA platform (IAK) keys.");
    key(
        "verifiers",
        "tpm_ak_roots",
        "list of paths",
        null,
        "CAs that certify TPM attestation keys (`tpm.ak.certified`).");
    key(
        "verifiers",
        "extra_anchors",
        "list of paths",
        null,
        "Extra Intel roots, for test PCK hierarchies only.");
    key(
        "verifiers",
        "sample",
        "boolean",
        "false",
        "Accept the unsigned `sample` evidence kind (tests only).");
    key(
        "verifiers",
        "revocation",
        "boolean",
        "true",
        "Require current CRLs for AMD (the ARK's CRL, from a folder or the KDS) and TPM AK"
            + " certificate paths. False only for recorded evidence whose CRLs were not kept;"
            + " results then say `snp.revocation_checked=false` / `tpm.ak.revocation_checked=false`."
            + " Intel collateral always carries its CRLs and is always checked.");
    key(
        "kubernetes",
        "admission_runtime_classes",
        "list of strings",
        "[kata-qemu-tdx, kata-qemu-snp, kata-qemu-coco-dev, kata-cc]",
        "Runtime classes whose pods ask for trusted compute: the admission webhook"
            + " (`POST /api/v1/kubernetes/admission/pods`) requires `vouch.dev/trust=verified`"
            + " nodes for them, as for pods labelled `vouch.dev/trusted-compute: \"true\"`.");
  }

  private static void key(
      String section, String name, String type, String dflt, String description) {
    KEYS.add(new Key(section, name, type, Optional.ofNullable(dflt), description));
  }

  private ConfigReference() {}

  /** Every documented key, in the loader's order. */
  public static List<Key> keys() {
    return List.copyOf(KEYS);
  }

  /** The titles of the sections. */
  public static Map<String, String> sections() {
    return java.util.Collections.unmodifiableMap(SECTIONS);
  }

  /** {@code docs/configuration.md}. */
  public static String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("# Configuration reference\n\n")
        .append("<!-- generated by ConfigReferenceTest from dev.vouch.server.config;")
        .append(" do not edit: run the test with -Dvouch.docs.write=true -->\n\n")
        .append("`vouch server --config vouch.yaml` reads one YAML file, then environment")
        .append(" variables (each key `section.key` is `VOUCH_SECTION_KEY`), then the flags")
        .append(" `--data-dir`, `--port` and `--collateral`. Unknown keys are errors. Lists are")
        .append(" YAML sequences or comma-separated strings (as environment variables give them).")
        .append(" `VOUCH_KEK` supplies the key-encryption key itself (base64 of 32 bytes).\n");
    for (Map.Entry<String, String> s : SECTIONS.entrySet()) {
      b.append("\n## ")
          .append(s.getKey().isEmpty() ? s.getValue() : "`" + s.getKey() + "`: " + s.getValue())
          .append("\n\n| key | type | default | environment | meaning |\n|---|---|---|---|---|\n");
      for (Key k : KEYS) {
        if (k.section().equals(s.getKey())) {
          b.append("| `")
              .append(k.path())
              .append("` | ")
              .append(k.type())
              .append(" | ")
              .append(k.defaultValue().map(v -> "`" + v + "`").orElse("-"))
              .append(" | `")
              .append(k.environmentVariable())
              .append("` | ")
              .append(k.description())
              .append(" |\n");
        }
      }
    }
    b.append("\n## A sample `vouch.yaml`\n\n```yaml\n")
        .append(SAMPLE)
        .append("```\n\nThe agent's and the server's flags are in [the CLI reference](cli.md).\n");
    return b.toString();
  }

  /** A small production-shaped file; the reference test loads it (minus files it names). */
  public static final String SAMPLE =
      """
      data_dir: /var/lib/vouch
      http: {host: 0.0.0.0, port: 8443}
      tls: {mode: self-signed}
      storage:
        jdbc_url: "jdbc:postgresql://db:5432/vouch"
        username: vouch
        pool_size: 10
      tokens: {algorithm: ES256, lifetime_seconds: 300, rotation_hours: 24}
      kbs: {enabled: true, session_ttl_seconds: 300, tees: [tpm, snp, tdx]}
      hosts:
        poll_seconds: 3600
        group_poll_seconds: [edge=300]
        golden_mode: strict
        nats_url: "nats://nats:4222"
      registrar:
        challenge_ttl_seconds: 60
      verifiers:
        intel_pccs_url: "https://pccs:8081"
        amd_kds_url: "https://kdsintf.amd.com"
      """;
}
