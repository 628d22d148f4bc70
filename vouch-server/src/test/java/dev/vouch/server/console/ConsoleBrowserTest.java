package dev.vouch.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.flavor.Fault;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorRuleResult;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.PartTrust;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.AttestationOutcome;
import dev.vouch.server.manager.HostRegistry;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console end to end in headless Chromium against a real server: log in with the admin token,
 * find the failing host and its reason in the fleet, open its detail page, and see failures
 * recorded in the backend appear without a reload. Screenshots go to target/console-screenshots.
 */
class ConsoleBrowserTest {
  private static final Path SHOTS = Path.of("target", "console-screenshots");
  private static final String OWNER = "console-test";
  private static final Duration LIVE = Duration.ofSeconds(5);

  @TempDir Path dir;

  /** Host monitoring with its scheduler off: the test records every outcome itself. */
  private static ServerConfig.Hosts schedulerOff() {
    ServerConfig.Hosts d = ServerConfig.Hosts.defaults();
    return new ServerConfig.Hosts(
        false,
        d.pollInterval(),
        d.groupPolls(),
        d.lease(),
        d.maxConcurrency(),
        d.goldenMode(),
        d.reportValidity(),
        d.ima(),
        d.agentTimeout(),
        d.natsUrl(),
        d.agentTls(),
        d.kubernetes(),
        d.kubernetesUrl(),
        d.evictPods(),
        d.nodeLabel(),
        d.webhookUrl(),
        d.webhookSecretFile(),
        d.flavorTemplateFiles(),
        d.flavorSigningKeyFiles());
  }

  /**
   * Records attestation outcomes the way the scheduler does: claim the due hosts under a lease,
   * complete each. Exactly the hosts given must be due, so no host is left leased.
   */
  private static void record(VouchServer server, Map<String, AttestationOutcome> outcomes) {
    HostRegistry registry = server.monitor().registry();
    Instant now = server.monitor().clock().instant();
    for (String host : outcomes.keySet()) {
      assertThat(registry.triggerNow(host, now)).isTrue();
    }
    // claimed a second ahead: the database may keep next_due rounded up to its precision
    Instant claimAt = now.plusSeconds(1);
    assertThat(registry.claim(OWNER, claimAt, claimAt.plusSeconds(60), 10))
        .extracting(h -> h.id())
        .containsExactlyInAnyOrderElementsOf(outcomes.keySet());
    outcomes.forEach(
        (host, outcome) ->
            assertThat(
                    registry
                        .complete(host, OWNER, outcome, now, now.plus(Duration.ofHours(1)))
                        .leaseHeld())
                .isTrue());
  }

  private static AttestationOutcome outcome(HostStatus status, String... reasons) {
    return new AttestationOutcome(
        status, List.of(reasons), Optional.empty(), OptionalLong.empty(), Optional.empty());
  }

  private static final String PASSWORD = "console-password-0123";

  private static HttpResponse<String> hostsWith(VouchServer server, String bearer)
      throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(server.baseUri().resolve("/api/v1/hosts"))
                .header("Authorization", "Bearer " + bearer)
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** Fills the password form as the administrator and submits it. */
  private static String passwordLogin(String password) {
    return "(() => { document.getElementById('username').value = 'admin';"
        + " document.getElementById('password').value = '"
        + password
        + "'; document.getElementById('password-form').requestSubmit(); return true; })()";
  }

  private static String row(String host) {
    return "document.querySelector('#hosts tbody tr[data-host-id=\"" + host + "\"]')";
  }

  @Test
  void aFailingHostIsShownWithItsReasonAndNewFailuresAppearWithoutReload() throws Exception {
    Path chromium = HeadlessChromium.required();
    try (VouchServer server =
        VouchServer.start(
            TestServers.plain(dir)
                .withHosts(schedulerOff())
                .withAdmin(TestServers.adminWithPassword(PASSWORD)))) {
      TestServers.Client api = new TestServers.Client(server.baseUri());
      for (String h : List.of("good-host", "bad-host")) {
        assertThat(
                api.post("/api/v1/hosts", "{\"id\":\"" + h + "\",\"connection\":\"nats\"}", true)
                    .status())
            .isEqualTo(201);
      }
      String pcrReason = "PLATFORM flavor rule failed: PCR 0 (sha256) differs from the flavor";
      record(
          server,
          Map.of(
              "good-host", outcome(HostStatus.VERIFIED),
              "bad-host", outcome(HostStatus.ATTESTATION_FAILED, pcrReason)));

      try (HeadlessChromium b = new HeadlessChromium(chromium, 1280, 800)) {
        try {
          drive(server, b, pcrReason);
        } catch (AssertionError e) {
          b.screenshot(SHOTS.resolve("failure.png"));
          throw new AssertionError(
              e.getMessage()
                  + " (page status: '"
                  + b.eval("document.getElementById('status').textContent").asText()
                  + "', see failure.png)",
              e);
        }
      }
    }
  }

  private static void drive(VouchServer server, HeadlessChromium b, String pcrReason)
      throws Exception {
    {
      {
        b.navigate(server.baseUri().resolve("/console").toString());
        b.waitFor("!document.getElementById('login-view').hidden", LIVE);
        // log in by keyboard alone: the token field has focus, Enter submits the form
        b.waitFor("document.activeElement && document.activeElement.id === 'token'", LIVE);
        b.screenshot(SHOTS.resolve("01-login.png"));
        // a wrong token is refused by the API and the page asks again
        b.type("not-the-admin-token");
        b.key("Enter", "Enter", 13);
        b.waitFor(
            "document.getElementById('status').textContent.includes('refused the token')"
                + " && !document.getElementById('login-view').hidden"
                + " && document.getElementById('fleet-view').hidden"
                + " && document.activeElement.id === 'token'",
            LIVE);
        assertThat(b.eval("sessionStorage.length").asInt()).isZero();
        b.type(server.adminToken());
        b.key("Enter", "Enter", 13);
        b.waitFor(row("good-host") + " && " + row("bad-host"), LIVE);
        b.waitFor(row("bad-host") + ".querySelector('.reason').textContent.length > 0", LIVE);
        assertThat(b.eval(row("good-host") + ".dataset.status").asText()).isEqualTo("VERIFIED");
        assertThat(b.eval(row("bad-host") + ".dataset.status").asText())
            .isEqualTo("ATTESTATION_FAILED");
        assertThat(b.eval(row("bad-host") + ".querySelector('.badge').className").asText())
            .contains("failing");
        assertThat(b.eval(row("bad-host") + ".querySelector('.reason').textContent").asText())
            .isEqualTo(pcrReason);
        assertThat(b.eval(row("good-host") + ".querySelector('.reason').textContent").asText())
            .isEmpty();
        assertThat(
                b.eval("document.querySelector('[data-count=\"ATTESTATION_FAILED\"]').textContent")
                    .asText())
            .contains("1");
        // the filter narrows the table to the failing host
        b.eval(
            "(() => { const f = document.getElementById('filter'); f.value = 'pcr 0';"
                + " f.dispatchEvent(new Event('input')); return true; })()");
        assertThat(b.eval(row("good-host") + ".hidden").asBoolean()).isTrue();
        assertThat(b.eval(row("bad-host") + ".hidden").asBoolean()).isFalse();
        b.screenshot(SHOTS.resolve("02-fleet-filtered.png"));
        b.eval(
            "(() => { const f = document.getElementById('filter'); f.value = '';"
                + " f.dispatchEvent(new Event('input')); return true; })()");
        b.screenshot(SHOTS.resolve("03-fleet.png"));

        // a failure recorded in the backend shows in the open fleet page without a reload
        String sbReason = "Secure Boot is off in the verified event log";
        record(server, Map.of("good-host", outcome(HostStatus.SECURE_BOOT_DISABLED, sbReason)));
        Duration fleetLag =
            b.waitFor(
                row("good-host")
                    + ".dataset.status === 'SECURE_BOOT_DISABLED' && "
                    + row("good-host")
                    + ".querySelector('.reason').textContent === '"
                    + sbReason
                    + "'",
                LIVE);
        b.screenshot(SHOTS.resolve("04-fleet-updated.png"));

        // open the failing host's page through its link
        // by keyboard: from the filter box, Tab reaches the first host's link, Enter opens it
        b.eval("document.getElementById('filter').focus()");
        b.key("Tab", "Tab", 9);
        assertThat(b.eval("document.activeElement.textContent").asText()).isEqualTo("bad-host");
        b.key("Enter", "Enter", 13);
        b.waitFor("!document.getElementById('host-view').hidden", LIVE);
        b.waitFor(
            "[...document.querySelectorAll('#host-reasons li')].some(l => l.textContent === '"
                + pcrReason
                + "')",
            LIVE);
        assertThat(b.eval("document.getElementById('host-title').textContent").asText())
            .isEqualTo("Host bad-host");
        assertThat(b.eval("document.querySelectorAll('#timeline li.failing').length").asInt())
            .isEqualTo(1);
        b.screenshot(SHOTS.resolve("05-host.png"));

        // the host fails again for another reason: the detail page follows within 5 s
        String eventLogReason = "EVENT_LOG_MISMATCH: the replayed event log does not give PCR 7";
        record(server, Map.of("bad-host", outcome(HostStatus.ATTESTATION_FAILED, eventLogReason)));
        Duration detailLag =
            b.waitFor(
                "document.querySelector('#host-reasons li').textContent === '"
                    + eventLogReason
                    + "' && document.querySelectorAll('#timeline li.failing').length === 2",
                LIVE);
        b.screenshot(SHOTS.resolve("06-host-updated.png"));

        // attest now asks first; Escape cancels and sends nothing
        TestServers.Client api = new TestServers.Client(server.baseUri());
        String due = api.get("/api/v1/hosts/bad-host", true).json().path("next_due").asText();
        b.eval("document.getElementById('attest-now').click()");
        b.waitFor("document.getElementById('confirm').open", LIVE);
        assertThat(b.eval("document.activeElement.id").asText()).isEqualTo("confirm-cancel");
        b.screenshot(SHOTS.resolve("07-confirm.png"));
        b.key("Escape", "Escape", 27);
        b.waitFor("!document.getElementById('confirm').open", LIVE);
        assertThat(api.get("/api/v1/hosts/bad-host", true).json().path("next_due").asText())
            .isEqualTo(due);
        // by keyboard: Tab from Cancel to Confirm, Enter queues the attestation
        b.eval("document.getElementById('attest-now').click()");
        b.waitFor("document.getElementById('confirm').open", LIVE);
        b.key("Tab", "Tab", 9);
        assertThat(b.eval("document.activeElement.id").asText()).isEqualTo("confirm-ok");
        b.key("Enter", "Enter", 13);
        b.waitFor(
            "document.getElementById('status').textContent === 'Attestation of bad-host queued.'",
            LIVE);
        assertThat(
                Instant.parse(
                    api.get("/api/v1/hosts/bad-host", true).json().path("next_due").asText()))
            .isBefore(Instant.parse(due));

        pages(server, b);

        // log out, then in again as a user with a password: a wrong one is refused, the right
        // one yields a JWT that logging out revokes
        b.eval("document.getElementById('logout').click()");
        b.waitFor("!document.getElementById('login-view').hidden", LIVE);
        b.eval(passwordLogin("not-the-password"));
        b.waitFor(
            "document.getElementById('status').textContent.includes('refused the name or password')"
                + " && document.getElementById('fleet-view').hidden",
            LIVE);
        b.eval(passwordLogin(PASSWORD));
        b.waitFor(
            // back on the page it was showing, now with the user's token
            "sessionStorage.getItem('vouch.console.token') !== null"
                + " && document.getElementById('login-view').hidden"
                + " && !document.getElementById('audit-view').hidden",
            LIVE);
        String jwt = b.eval("sessionStorage.getItem('vouch.console.token')").asText();
        assertThat(jwt.split("\\.")).hasSize(3);
        assertThat(b.eval("document.getElementById('password').value").asText()).isEmpty();
        assertThat(hostsWith(server, jwt).statusCode()).isEqualTo(200);
        b.eval("document.getElementById('logout').click()");
        b.waitFor("!document.getElementById('login-view').hidden", LIVE);
        HttpResponse<String> revoked = hostsWith(server, jwt);
        assertThat(revoked.statusCode()).isEqualTo(401);
        assertThat(revoked.body()).contains("\"reason\":\"revoked\"");

        System.out.printf(
            "ConsoleBrowserTest: backend failure visible in the fleet page after %d ms, in the"
                + " host page after %d ms (poll 2000 ms)%n",
            fleetLag.toMillis(), detailLag.toMillis());
      }
    }
  }

  /** A JavaScript string literal for {@code text}. */
  private static String js(String text) throws Exception {
    return TestServers.JSON.writeValueAsString(text);
  }

  private static void setValue(HeadlessChromium b, String id, String text) throws Exception {
    b.eval(
        "(() => { document.getElementById('"
            + id
            + "').value = "
            + js(text)
            + "; return true; })()");
  }

  /** Follows a main navigation link by keyboard focus and Enter, as a keyboard user would. */
  private static void open(HeadlessChromium b, String hash, String view) throws Exception {
    b.eval("document.querySelector('header nav a[href=\"" + hash + "\"]').focus()");
    b.key("Enter", "Enter", 13);
    b.waitFor(
        "!document.getElementById('"
            + view
            + "').hidden && document.querySelector('header nav a[href=\""
            + hash
            + "\"]').getAttribute('aria-current') === 'page'",
        LIVE);
  }

  /**
   * A signed trust report with a failing PLATFORM rule is the failing host's last report: the host
   * page links to it, and the report page shows the failing rule first with its fault.
   */
  private static void report(VouchServer server, HeadlessChromium b) throws Exception {
    UUID id = UUID.randomUUID();
    Instant now = Instant.now();
    String fault = "PCR 0 (sha256) is " + "bb".repeat(32) + ", the flavor has " + "aa".repeat(32);
    FlavorRuleResult passed =
        new FlavorRuleResult(
            FlavorRuleResult.PCR_MATCHES_CONSTANT,
            FlavorPart.PLATFORM,
            Optional.empty(),
            OptionalInt.of(7),
            Optional.of(HashAlg.SHA256),
            Optional.of("cc".repeat(32)),
            true,
            List.of());
    FlavorRuleResult failed =
        new FlavorRuleResult(
            FlavorRuleResult.PCR_MATCHES_CONSTANT,
            FlavorPart.PLATFORM,
            Optional.empty(),
            OptionalInt.of(0),
            Optional.of(HashAlg.SHA256),
            Optional.of("aa".repeat(32)),
            false,
            List.of(new Fault(Fault.PCR_VALUE_MISMATCH, fault, OptionalInt.of(0), List.of())));
    TrustReport report =
        new TrustReport(
            id,
            "bad-host",
            new HostFacts("bad-host", "hw-uuid", "Debian", "13", "EDK II", "1.0", "2.0"),
            Optional.of(true),
            HostStatus.ATTESTATION_FAILED,
            false,
            Map.of(
                FlavorPart.PLATFORM,
                new PartTrust(FlavorPart.PLATFORM, false, List.of(passed, failed))),
            List.of(),
            "PLATFORM flavor rule failed",
            now,
            now.plusSeconds(3600));
    server
        .monitor()
        .reports()
        .add(
            report,
            TrustReports.sign(
                report, server.monitor().identity().key(), server.monitor().identity().chain()));
    record(
        server,
        Map.of(
            "bad-host",
            new AttestationOutcome(
                HostStatus.ATTESTATION_FAILED,
                List.of("PLATFORM flavor rule failed: PCR 0 (sha256) differs from the flavor"),
                Optional.of(id.toString()),
                OptionalLong.empty(),
                Optional.empty())));
    b.eval("(() => { location.hash = '#/hosts/bad-host'; return true; })()");
    b.waitFor("document.getElementById('last-report')", LIVE);
    b.eval("document.getElementById('last-report').focus()");
    b.key("Enter", "Enter", 13);
    b.waitFor("!document.getElementById('report-view').hidden", LIVE);
    String first = "document.querySelector('#report-rules tbody tr')";
    b.waitFor(first + " && " + first + ".dataset.trusted === 'false'", LIVE);
    assertThat(b.eval(first + ".textContent").asText())
        .contains("PcrMatchesConstant (PCR 0 SHA256)")
        .contains("failed")
        .contains("PcrValueMismatch: " + fault);
    assertThat(b.eval("document.querySelectorAll('#report-rules tbody tr').length").asInt())
        .isEqualTo(2);
    assertThat(b.eval("document.getElementById('report-title').textContent").asText())
        .isEqualTo("Trust report for bad-host");
    b.screenshot(SHOTS.resolve("07b-report.png"));
  }

  /**
   * The operator's other pages: a policy dry run explained rule by rule (and a broken one refused),
   * flavor groups, reference values, the KBS's resources and releases, the audit log filtered.
   */
  private static void pages(VouchServer server, HeadlessChromium b) throws Exception {
    TestServers.Client api = new TestServers.Client(server.baseUri());
    report(server, b);
    assertThat(
            api.put(
                    "/api/v1/flavor-groups/edge",
                    "{\"PLATFORM\":{\"match_type\":\"ALL_OF\",\"required\":\"REQUIRED\"}}",
                    true)
                .status())
        .isEqualTo(200);
    String pcr7 = "ab".repeat(32);
    assertThat(api.registerSample(Map.of("tpm.pcr.sha256.7", List.of(pcr7))).status())
        .isEqualTo(200);
    // a guest asking for a secret without attesting: refused, and recorded as a release attempt
    assertThat(api.get("/kbs/v0/resource/default/key/one", false).status()).isEqualTo(401);

    open(b, "#/policies", "policies-view");
    b.waitFor("document.querySelector('[data-policy-id=\"default-tpm\"]')", LIVE);
    // every field of the tester is labelled
    assertThat(
            b.eval(
                    "[...document.querySelectorAll('#policies-view textarea')]"
                        + ".every(t => t.labels.length === 1)")
                .asBoolean())
        .isTrue();
    b.eval("document.querySelector('[data-policy-id=\"default-tpm\"]').click()");
    b.waitFor("document.getElementById('policy-source').value.includes('secure_boot_on')", LIVE);
    assertThat(b.eval("document.activeElement.id").asText()).isEqualTo("policy-claims");
    setValue(
        b, "policy-claims", "{\"tpm.secure_boot\": false, \"tpm.pcr.sha256.7\": \"" + pcr7 + "\"}");
    setValue(b, "policy-reference", "{\"tpm.pcr.sha256.7\": [\"" + pcr7 + "\"]}");
    b.eval("document.getElementById('policy-run').click()");
    String sbRow = "document.querySelector('#policy-rules tr[data-rule=\"secure_boot_on\"]')";
    b.waitFor(sbRow + " && !document.getElementById('policy-rules').hidden", LIVE);
    assertThat(b.eval(sbRow + ".dataset.outcome").asText()).isEqualTo("failed");
    assertThat(b.eval(sbRow + ".querySelector('.explanation').textContent").asText())
        .contains("tpm.secure_boot")
        .contains("false");
    assertThat(
            b.eval(
                    "document.querySelector('#policy-rules tr[data-rule=\"boot_pcr_7\"]')"
                        + ".dataset.outcome")
                .asText())
        .isEqualTo("passed");
    assertThat(b.eval("document.getElementById('policy-summary').dataset.status").asText())
        .isEqualTo("contraindicated");
    b.screenshot(SHOTS.resolve("08-policy-test.png"));
    // claims that are not JSON never leave the page; a policy that does not compile is refused
    setValue(b, "policy-claims", "{not json");
    b.eval("document.getElementById('policy-run').click()");
    b.waitFor(
        "document.getElementById('policy-summary').textContent.startsWith('Claims is not JSON')"
            + " && document.getElementById('policy-claims').getAttribute('aria-invalid') === 'true'",
        LIVE);
    setValue(b, "policy-claims", "{}");
    setValue(
        b,
        "policy-source",
        "rules:\n  - name: broken\n    category: configuration\n    expr: claims[\n");
    b.eval("document.getElementById('policy-run').click()");
    b.waitFor(
        "document.getElementById('policy-summary').textContent.startsWith('The policy does not"
            + " compile') && document.getElementById('policy-rules').hidden",
        LIVE);

    open(b, "#/flavors", "flavors-view");
    b.waitFor(
        "document.querySelector('#groups [data-group=\"edge\"] tr[data-part=\"PLATFORM\"]')", LIVE);
    assertThat(
            b.eval(
                    "document.querySelector('#groups [data-group=\"edge\"] tr[data-part=\"PLATFORM\"]')"
                        + ".textContent")
                .asText())
        .contains("ALL_OF")
        .contains("REQUIRED");
    b.screenshot(SHOTS.resolve("09-flavors.png"));

    open(b, "#/reference-values", "refvalues-view");
    b.waitFor("document.querySelector('#refvalues tr[data-name=\"tpm.pcr.sha256.7\"]')", LIVE);
    assertThat(
            b.eval(
                    "document.querySelector('#refvalues tr[data-name=\"tpm.pcr.sha256.7\"]').textContent")
                .asText())
        .contains(pcr7);
    b.screenshot(SHOTS.resolve("10-reference-values.png"));

    open(b, "#/kbs", "kbs-view");
    b.waitFor("document.querySelector('#releases tr[data-outcome=\"denied\"]')", LIVE);
    assertThat(
            b.eval("document.querySelector('#releases tr[data-outcome=\"denied\"]').textContent")
                .asText())
        .contains("default/key/one");
    assertThat(b.eval("document.getElementById('resources').textContent").asText())
        .isEqualTo("no resources");
    b.screenshot(SHOTS.resolve("11-kbs.png"));

    open(b, "#/audit", "audit-view");
    b.waitFor("document.querySelectorAll('#audit-log tbody tr[data-seq]').length > 0", LIVE);
    b.eval("document.getElementById('audit-action').focus()");
    b.type("kbs.release");
    b.key("Enter", "Enter", 13);
    b.waitFor(
        "(() => { const rows = [...document.querySelectorAll('#audit-log tbody tr[data-seq]')];"
            + " return rows.length === 1 && rows[0].dataset.action === 'kbs.release'; })()",
        LIVE);
    assertThat(b.eval("document.getElementById('audit-next').disabled").asBoolean()).isTrue();
    b.screenshot(SHOTS.resolve("12-audit.png"));

    // paging: 55 refused calls (and the wrong token at login) make two pages of admin.refused
    // records, 50 then the rest
    for (int i = 0; i < 55; i++) {
      assertThat(api.get("/api/v1/hosts", false).status()).isEqualTo(401);
    }
    int refused =
        api.get("/api/v1/audit?action=admin.refused&limit=1000", true).json().get("records").size();
    assertThat(refused).isBetween(55, 99);
    setValue(b, "audit-action", "admin.refused");
    b.eval("document.getElementById('audit-filter').requestSubmit()");
    String rows = "document.querySelectorAll('#audit-log tbody tr[data-action=\"admin.refused\"]')";
    b.waitFor(rows + ".length === 50 && !document.getElementById('audit-next').disabled", LIVE);
    long firstSeq = b.eval(rows + "[0].dataset.seq").asLong();
    b.eval("document.getElementById('audit-next').focus()");
    b.key("Enter", "Enter", 13);
    b.waitFor(
        rows
            + ".length === "
            + (refused - 50)
            + " && document.getElementById('audit-next').disabled",
        LIVE);
    assertThat(b.eval(rows + "[0].dataset.seq").asLong()).isGreaterThan(firstSeq + 49);
    b.eval("document.getElementById('audit-prev').click()");
    b.waitFor(rows + ".length === 50 && " + rows + "[0].dataset.seq === '" + firstSeq + "'", LIVE);
  }
}
