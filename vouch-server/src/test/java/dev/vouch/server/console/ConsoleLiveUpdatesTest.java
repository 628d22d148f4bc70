package dev.vouch.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.TestServers;
import dev.vouch.server.aas.AasTestSupport;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.kbs.KbsAdminAndPassportTest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator pages of the console in headless Chromium follow changes made through the API
 * without a reload (flavor groups, policies, reference values, KBS releases, audit log), and a
 * policy uploaded from the page becomes a version the API serves; a reader's upload is refused with
 * a message naming the missing permission, and the reader stays logged in. Screenshots go to
 * target/console-screenshots.
 */
class ConsoleLiveUpdatesTest {
  private static final Path SHOTS = Path.of("target", "console-screenshots");
  private static final Duration LIVE = Duration.ofSeconds(5);
  private static final String PASSWORD = "console-password-0123";
  private static final String POLICY_V1 =
      "rules:\n  - name: debug_off\n    category: configuration\n"
          + "    expr: claims[\"sample.debug\"] == false\n";
  private static final String POLICY_V2 =
      POLICY_V1
          + "  - name: svn_known\n    category: hardware\n"
          + "    expr: claims[\"sample.svn\"] in reference[\"sample.svn\"]\n";

  @TempDir Path dir;

  @Test
  void operatorPagesFollowApiChangesAndAPolicyUploadedFromThePageIsAVersion() throws Exception {
    Path chromium = HeadlessChromium.required();
    // the KBS admin key that stores a resource through Trustee's admin API while the page is open
    java.security.KeyPair kbsAdmin = KbsAdminAndPassportTest.ed25519();
    Path kbsAdminPem = dir.resolve("kbs-admin.pub");
    java.nio.file.Files.writeString(kbsAdminPem, KbsAdminAndPassportTest.pem(kbsAdmin));
    try (VouchServer server =
        VouchServer.start(
            TestServers.plain(dir)
                .withAdmin(TestServers.adminWithPassword(PASSWORD))
                .withKbs(
                    new ServerConfig.Kbs(
                        true,
                        Duration.ofMinutes(5),
                        List.of(kbsAdminPem),
                        java.util.EnumSet.of(dev.vouch.core.Tee.TPM),
                        Optional.empty())))) {
      AasTestSupport.addUser(server.baseUri(), "reader-1", PASSWORD, "reader");
      try (HeadlessChromium b = new HeadlessChromium(chromium, 1280, 800)) {
        try {
          Map<String, Duration> lags = live(server, b, kbsAdmin);
          upload(server, b);
          readerIsRefused(server, b);
          System.out.println(
              "ConsoleLiveUpdatesTest: API change visible in the page after " + lags);
        } catch (AssertionError e) {
          b.screenshot(SHOTS.resolve("live-failure.png"));
          throw new AssertionError(
              e.getMessage()
                  + " (page status: '"
                  + b.eval("document.getElementById('status').textContent").asText()
                  + "', see live-failure.png)",
              e);
        }
      }
    }
  }

  /** Opens a page by its hash and waits until its view shows and {@code ready} holds. */
  private static void open(HeadlessChromium b, String hash, String view, String ready)
      throws Exception {
    b.eval("(() => { location.hash = " + js(hash) + "; return true; })()");
    b.waitFor("!document.getElementById('" + view + "').hidden && (" + ready + ")", LIVE);
  }

  /**
   * With each page open, a change made through the API (by another operator, the CLI or a guest)
   * appears within 5 s, with no reload: the page keeps its JavaScript state throughout.
   */
  private static Map<String, Duration> live(
      VouchServer server, HeadlessChromium b, java.security.KeyPair kbsAdmin) throws Exception {
    TestServers.Client api = new TestServers.Client(server.baseUri());
    b.navigate(server.baseUri().resolve("/console").toString());
    b.waitFor("document.activeElement && document.activeElement.id === 'token'", LIVE);
    b.type(server.adminToken());
    b.key("Enter", "Enter", 13);
    b.waitFor("!document.getElementById('fleet-view').hidden", LIVE);
    // a marker that a reload would wipe
    b.eval("(() => { window.vouchNoReload = 1; return true; })()");
    Map<String, Duration> lags = new LinkedHashMap<>();

    open(b, "#/flavors", "flavors-view", "document.querySelector('#groups [data-group]')");
    assertThat(
            api.put(
                    "/api/v1/flavor-groups/live-group",
                    "{\"OS\":{\"match_type\":\"ANY_OF\",\"required\":\"REQUIRED\"}}",
                    true)
                .status())
        .isEqualTo(200);
    lags.put(
        "flavors",
        b.waitFor(
            "document.querySelector('#groups [data-group=\"live-group\"] tr[data-part=\"OS\"]')",
            LIVE));
    b.screenshot(SHOTS.resolve("live-01-flavors.png"));

    open(
        b, "#/reference-values", "refvalues-view", "document.querySelector('#refvalues tbody tr')");
    String digest = "cd".repeat(32);
    assertThat(api.registerSample(Map.of("sample.launch_digest", List.of(digest))).status())
        .isEqualTo(200);
    lags.put(
        "reference values",
        b.waitFor(
            "(document.querySelector('#refvalues tr[data-name=\"sample.launch_digest\"]') || {})"
                + ".textContent?.includes('"
                + digest
                + "')",
            LIVE));
    b.screenshot(SHOTS.resolve("live-02-reference-values.png"));

    open(b, "#/kbs", "kbs-view", "document.querySelector('#releases tbody tr')");
    // a guest asking for a secret without attesting: refused and recorded as a release attempt
    assertThat(api.get("/kbs/v0/resource/default/key/live", false).status()).isEqualTo(401);
    lags.put(
        "kbs releases",
        b.waitFor(
            "[...document.querySelectorAll('#releases tr[data-outcome=\"denied\"]')]"
                + ".some(r => r.textContent.includes('default/key/live'))",
            LIVE));
    // a resource stored through the KBS admin API joins the list (names only)
    java.net.http.HttpResponse<String> stored =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        server.baseUri().resolve("/kbs/v0/resource/default/key/live"))
                    .header(
                        "Authorization",
                        "Bearer "
                            + KbsAdminAndPassportTest.edToken(
                                kbsAdmin, java.time.Instant.now().plusSeconds(60)))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("live-secret-4e1f"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
    lags.put(
        "kbs resources",
        b.waitFor(
            "document.querySelector('#resources li[data-resource=\"default/key/live\"]')", LIVE));
    assertThat(b.eval("document.getElementById('kbs-view').textContent").asText())
        .doesNotContain("live-secret-4e1f");
    b.screenshot(SHOTS.resolve("live-03-kbs.png"));

    open(b, "#/audit", "audit-view", "document.querySelector('#audit-log tbody tr[data-seq]')");
    assertThat(
            api.put(
                    "/api/v1/flavor-groups/audit-probe",
                    "{\"OS\":{\"match_type\":\"ANY_OF\",\"required\":\"REQUIRED\"}}",
                    true)
                .status())
        .isEqualTo(200);
    lags.put(
        "audit",
        b.waitFor(
            "[...document.querySelectorAll('#audit-log tbody tr[data-seq]')]"
                + ".some(r => r.textContent.includes('audit-probe'))",
            LIVE));
    b.screenshot(SHOTS.resolve("live-04-audit.png"));

    open(
        b,
        "#/policies",
        "policies-view",
        "document.querySelector('[data-policy-id=\"default-tpm\"]')");
    assertThat(
            AasTestSupport.send(
                    server.baseUri(),
                    "PUT",
                    "/api/v1/policies/from-api",
                    "application/yaml",
                    POLICY_V1,
                    TestServers.ADMIN)
                .status())
        .isEqualTo(200);
    lags.put(
        "policies", b.waitFor("document.querySelector('[data-policy-id=\"from-api\"]')", LIVE));
    b.screenshot(SHOTS.resolve("live-05-policies.png"));

    assertThat(b.eval("window.vouchNoReload").asInt()).as("the page was never reloaded").isOne();
    return lags;
  }

  private static void setValue(HeadlessChromium b, String id, String text) throws Exception {
    b.eval(
        "(() => { document.getElementById('"
            + id
            + "').value = "
            + js(text)
            + "; return true; })()");
  }

  private static String saveResult() {
    return "document.getElementById('policy-save-result')";
  }

  /** Fills id and document, submits the upload form and waits for its outcome. */
  private static String save(HeadlessChromium b, String id, String source, String outcome)
      throws Exception {
    setValue(b, "policy-id", id);
    setValue(b, "policy-source", source);
    b.eval(
        "(() => { delete "
            + saveResult()
            + ".dataset.outcome; "
            + "document.getElementById('policy-save-form').requestSubmit(); return true; })()");
    b.waitFor(saveResult() + ".dataset.outcome === '" + outcome + "'", LIVE);
    return b.eval(saveResult() + ".textContent").asText();
  }

  /** Uploads from the page: each save is the next version through the API; a broken one is not. */
  private static void upload(VouchServer server, HeadlessChromium b) throws Exception {
    TestServers.Client api = new TestServers.Client(server.baseUri());
    assertThat(b.eval("document.getElementById('policy-id').labels.length === 1").asBoolean())
        .isTrue();
    assertThat(save(b, "console-upload", POLICY_V1, "saved")).contains("version 1");
    JsonNode p = api.get("/api/v1/policies/console-upload", true).json();
    assertThat(p.path("latest").asInt()).isEqualTo(1);
    assertThat(p.at("/versions/0/source").asText()).isEqualTo(POLICY_V1);
    // the new id joins the list without a reload
    b.waitFor("document.querySelector('[data-policy-id=\"console-upload\"]')", LIVE);

    assertThat(save(b, "console-upload", POLICY_V2, "saved")).contains("version 2");
    p = api.get("/api/v1/policies/console-upload", true).json();
    assertThat(p.path("latest").asInt()).isEqualTo(2);
    assertThat(p.at("/versions/1/source").asText()).isEqualTo(POLICY_V2);
    b.screenshot(SHOTS.resolve("live-06-policy-saved.png"));

    // a document that does not compile is refused with the compiler's position; nothing is stored
    String broken = "rules:\n  - name: broken\n    category: configuration\n    expr: claims[\n";
    assertThat(save(b, "console-upload", broken, "error"))
        .startsWith("Not saved. The policy does not compile")
        .contains("line");
    assertThat(api.get("/api/v1/policies/console-upload", true).json().path("latest").asInt())
        .isEqualTo(2);
    b.screenshot(SHOTS.resolve("live-07-policy-refused.png"));
  }

  /** A reader may read and test policies but not store them: the 403 is said, the session kept. */
  private static void readerIsRefused(VouchServer server, HeadlessChromium b) throws Exception {
    b.eval("document.getElementById('logout').click()");
    b.waitFor("!document.getElementById('login-view').hidden", LIVE);
    b.eval(
        "(() => { document.getElementById('username').value = 'reader-1';"
            + " document.getElementById('password').value = "
            + js(PASSWORD)
            + "; document.getElementById('password-form').requestSubmit(); return true; })()");
    b.waitFor(
        "!document.getElementById('policies-view').hidden"
            + " && document.querySelector('[data-policy-id=\"console-upload\"]')",
        LIVE);
    String text = save(b, "reader-try", POLICY_V1, "forbidden");
    assertThat(text).startsWith("Not saved.").contains("'policies:write'");
    // still logged in, on the same page, with the token kept
    assertThat(b.eval("document.getElementById('login-view').hidden").asBoolean()).isTrue();
    assertThat(b.eval("document.getElementById('policies-view').hidden").asBoolean()).isFalse();
    assertThat(b.eval("sessionStorage.getItem('vouch.console.token') !== null").asBoolean())
        .isTrue();
    TestServers.Client api = new TestServers.Client(server.baseUri());
    assertThat(api.get("/api/v1/policies/reader-try", true).status()).isEqualTo(404);
    assertThat(api.get("/api/v1/policies", true).json().path("policies").toString())
        .doesNotContain("reader-try");
    b.screenshot(SHOTS.resolve("live-08-reader-refused.png"));
  }

  /** A JavaScript string literal for {@code text}. */
  private static String js(String text) throws Exception {
    return TestServers.JSON.writeValueAsString(text);
  }
}
