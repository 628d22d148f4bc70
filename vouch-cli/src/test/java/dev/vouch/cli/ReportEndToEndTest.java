package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.monitor.SwtpmHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI end to end with a monitored host: an swtpm host with a trust agent on a real nats-server,
 * registered with {@code vouch host add}, attested by the server's scheduler; its report fetched
 * with {@code vouch report get} and checked offline with {@code vouch report verify} against the CA
 * from {@code vouch report ca}.
 */
class ReportEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private NatsServer nats;
  private VouchServer server;
  private AutoCloseable host;
  private Path tokenFile;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (host != null) {
      host.close();
    }
    if (nats != null) {
      nats.close();
    }
  }

  private CliRun admin(String... args) {
    return CliRun.admin(server.baseUri(), tokenFile, args);
  }

  @Test
  void aHostsSignedReportVerifiesAndOneFlippedCharacterDoesNot() throws Exception {
    nats = NatsServer.start();
    ServerConfig.Hosts hosts = ServerConfig.Hosts.defaults().withNatsUrl(nats.url());
    server = VouchServer.start(TestServers.plain(dir.resolve("server")).withHosts(hosts));
    tokenFile = Files.writeString(dir.resolve("admin.token"), TestServers.ADMIN);
    host =
        SwtpmHost.start(
            "cli-e2e", SwtpmHost.SECURE_BOOT_LOG, dir, server.enrollments(), nats.url());

    CliRun add = admin("host", "add", "cli-e2e", "--connection", "nats");
    assertThat(add.exit()).as(add.err()).isZero();
    JsonNode verified = awaitStatus("cli-e2e", "VERIFIED");
    assertThat(admin("host", "show", "cli-e2e").out()).contains("Host cli-e2e: VERIFIED");

    CliRun list = admin("report", "list", "--host", "cli-e2e", "--limit", "5", "--json");
    assertThat(list.exit()).as(list.err()).isZero();
    JsonNode newest = list.json().path("reports").get(0);
    assertThat(newest.path("id").asText()).isEqualTo(verified.path("last_report_id").asText());
    assertThat(newest.path("status").asText()).isEqualTo("VERIFIED");

    Path report = dir.resolve("report.jws");
    CliRun get = admin("report", "get", newest.path("id").asText(), "-o", report.toString());
    assertThat(get.exit()).as(get.err()).isZero();
    Path ca = dir.resolve("ca.pem");
    CliRun fetched =
        CliRun.of("report", "ca", "--server", server.baseUri().toString(), "-o", ca.toString());
    assertThat(fetched.exit()).as(fetched.err()).isZero();

    CliRun valid =
        CliRun.of("report", "verify", report.toString(), "--ca", ca.toString(), "--json");
    assertThat(valid.exit()).as(valid.out() + valid.err()).isEqualTo(ExitCodes.OK);
    assertThat(valid.json().path("report").path("host_id").asText()).isEqualTo("cli-e2e");
    assertThat(valid.json().path("report").path("id").asText())
        .isEqualTo(newest.path("id").asText());

    String[] parts = Files.readString(report).split("\\.");
    assertThat(parts).hasSize(3);
    char[] payload = parts[1].toCharArray();
    int i = payload.length / 2;
    payload[i] = payload[i] == 'A' ? 'B' : 'A';
    Path tampered =
        Files.writeString(
            dir.resolve("tampered.jws"), parts[0] + "." + new String(payload) + "." + parts[2]);
    CliRun bad =
        CliRun.of("report", "verify", tampered.toString(), "--ca", ca.toString(), "--json");
    assertThat(bad.exit()).as(bad.out() + bad.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(bad.json().path("errors").get(0).path("code").asText())
        .isEqualTo("SIGNATURE_INVALID");

    CliRun attest = admin("host", "attest", "cli-e2e");
    assertThat(attest.exit()).as(attest.err()).isZero();
    assertThat(attest.out()).contains("attestation of host cli-e2e queued");
  }

  @Test
  void hostFlavorsPartsOsMakesOneOsFlavorAndTheHostIsJudgedByIt() throws Exception {
    nats = NatsServer.start();
    ServerConfig.Hosts hosts = ServerConfig.Hosts.defaults().withNatsUrl(nats.url());
    server = VouchServer.start(TestServers.plain(dir.resolve("server")).withHosts(hosts));
    tokenFile = Files.writeString(dir.resolve("admin.token"), TestServers.ADMIN);
    host =
        SwtpmHost.start("cli-os", SwtpmHost.SECURE_BOOT_LOG, dir, server.enrollments(), nats.url());
    assertThat(admin("host", "add", "cli-os", "--connection", "nats").exit()).isZero();

    CliRun made = admin("host", "flavors", "cli-os", "--parts", "OS", "--json");
    assertThat(made.exit()).as(made.out() + made.err()).isZero();
    assertThat(made.json().path("flavors")).hasSize(1);
    JsonNode os = made.json().path("flavors").get(0);
    assertThat(os.path("flavor_part").asText()).isEqualTo("OS");

    CliRun attested = admin("host", "attest", "cli-os", "--wait", "--timeout", "60");
    assertThat(attested.exit()).as(attested.out() + attested.err()).isZero();
    assertThat(attested.out()).isEqualTo("host cli-os: VERIFIED\n");
    // the signed report lists the OS flavor among those the host was judged by
    String reportId =
        admin("host", "show", "cli-os", "--json").json().path("last_report_id").asText();
    Path report = dir.resolve("os.jws");
    assertThat(admin("report", "get", reportId, "-o", report.toString()).exit()).isZero();
    Path ca = dir.resolve("ca.pem");
    assertThat(
            CliRun.of("report", "ca", "--server", server.baseUri().toString(), "-o", ca.toString())
                .exit())
        .isZero();
    CliRun verified =
        CliRun.of("report", "verify", report.toString(), "--ca", ca.toString(), "--json");
    assertThat(verified.exit()).as(verified.out() + verified.err()).isEqualTo(ExitCodes.OK);
    assertThat(verified.json().path("report").path("flavors").findValuesAsText("flavor_id"))
        .contains(os.path("id").asText());
  }

  @Test
  void hostFlavorsMakesSoftwareAndImaFlavorsOrRefusesWithTheReason() throws Exception {
    nats = NatsServer.start();
    // hosts.ima and hosts.software, as an operator sets them: IMA lists and software measurements
    ServerConfig.Hosts hosts =
        ConfigLoader.load(
                Optional.empty(),
                Map.of("VOUCH_HOSTS_IMA", "true", "VOUCH_HOSTS_SOFTWARE", "true"),
                Optional.empty(),
                Optional.empty())
            .hosts()
            .withNatsUrl(nats.url());
    assertThat(hosts.ima()).isTrue();
    assertThat(hosts.software()).isTrue();
    server = VouchServer.start(TestServers.plain(dir.resolve("server")).withHosts(hosts));
    tokenFile = Files.writeString(dir.resolve("admin.token"), TestServers.ADMIN);
    SwtpmHost h =
        SwtpmHost.start(
            "cli-sw",
            SwtpmHost.SECURE_BOOT_LOG,
            Optional.of(SwtpmHost.IMA_LIST),
            dir,
            server.enrollments(),
            nats.url());
    host = h;
    assertThat(admin("host", "add", "cli-sw", "--connection", "nats").exit()).isZero();

    // the agent measured no software manifest: nothing to make, refused with the reason
    CliRun none = admin("host", "flavors", "cli-sw", "--parts", "SOFTWARE");
    assertThat(none.exit()).as(none.out() + none.err()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(none.err()).contains("PCR 15 has no verified events");

    Path app = Files.createDirectories(dir.resolve("srv/app"));
    Files.writeString(app.resolve("server.jar"), "application bytes");
    Path manifest = Files.writeString(dir.resolve("manifest.txt"), app + "\n");
    assertThat(h.restartAgentWithSoftware(manifest)).isEqualTo(1);
    CliRun made = admin("host", "flavors", "cli-sw", "--parts", "SOFTWARE,IMA", "--json");
    assertThat(made.exit()).as(made.out() + made.err()).isZero();
    assertThat(made.json().path("flavors").findValuesAsText("flavor_part"))
        .containsExactlyInAnyOrder("SOFTWARE", "IMA");
    CliRun attested = admin("host", "attest", "cli-sw", "--wait", "--timeout", "60");
    assertThat(attested.exit()).as(attested.out() + attested.err()).isZero();
    assertThat(attested.out()).isEqualTo("host cli-sw: VERIFIED\n");
  }

  @Test
  void aFailedHostsGenuineReportVerifiesButExitsOneAsUntrusted() throws Exception {
    nats = NatsServer.start();
    ServerConfig.Hosts hosts = ServerConfig.Hosts.defaults().withNatsUrl(nats.url());
    server = VouchServer.start(TestServers.plain(dir.resolve("server")).withHosts(hosts));
    tokenFile = Files.writeString(dir.resolve("admin.token"), TestServers.ADMIN);
    SwtpmHost h =
        SwtpmHost.start(
            "cli-failed", SwtpmHost.SECURE_BOOT_LOG, dir, server.enrollments(), nats.url());
    host = h;
    assertThat(admin("host", "add", "cli-failed", "--connection", "nats").exit()).isZero();
    JsonNode verified = awaitStatus("cli-failed", "VERIFIED");
    CliRun ok = admin("host", "attest", "cli-failed", "--wait", "--timeout", "60");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).isEqualTo("host cli-failed: VERIFIED\n");
    assertThat(admin("host", "attest", "cli-failed", "--wait", "--timeout", "0").exit())
        .isEqualTo(ExitCodes.BAD_INPUT);
    verified = awaitStatus("cli-failed", "VERIFIED");

    h.tamper(1);
    // --wait prints the new status and exits 1 for a host that is not VERIFIED
    CliRun waited = admin("host", "attest", "cli-failed", "--wait", "--timeout", "60");
    assertThat(waited.exit()).as(waited.out() + waited.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(waited.out()).startsWith("host cli-failed: ATTESTATION_FAILED: ");
    JsonNode failed = awaitStatus("cli-failed", "ATTESTATION_FAILED");
    String reportId = failed.path("last_report_id").asText();
    assertThat(reportId).isNotEqualTo(verified.path("last_report_id").asText());

    Path report = dir.resolve("failed.jws");
    assertThat(admin("report", "get", reportId, "-o", report.toString()).exit()).isZero();
    Path ca = dir.resolve("ca.pem");
    assertThat(
            CliRun.of("report", "ca", "--server", server.baseUri().toString(), "-o", ca.toString())
                .exit())
        .isZero();
    CliRun run = CliRun.of("report", "verify", report.toString(), "--ca", ca.toString(), "--json");
    assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.json().path("valid").asBoolean()).isTrue();
    assertThat(run.json().path("trusted").asBoolean()).isFalse();
    assertThat(run.json().path("report").path("status").asText()).isEqualTo("ATTESTATION_FAILED");
    CliRun text = CliRun.of("report", "verify", report.toString(), "--ca", ca.toString());
    assertThat(text.exit()).isEqualTo(ExitCodes.FAILED);
    assertThat(text.out()).contains("UNTRUSTED", "ATTESTATION_FAILED");
  }

  private JsonNode awaitStatus(String id, String status) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    JsonNode h = null;
    while (System.nanoTime() < deadline) {
      CliRun show = admin("host", "show", id, "--json");
      assertThat(show.exit()).as(show.err()).isZero();
      h = show.json();
      if (status.equals(h.path("status").asText()) && !h.path("last_report_id").isNull()) {
        return h;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("host " + id + " is " + h + ", expected " + status);
  }
}
