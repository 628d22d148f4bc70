package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.server.TestServers;
import dev.vouch.server.http.VouchServer;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log from outside: admin changes and refusals made over HTTP are recorded, {@code vouch
 * audit export} saves them with a signed checkpoint, and {@code vouch audit verify} passes the
 * export against the reporting CA and names the line after an edit, a deletion or a swap.
 */
class AuditCommandTest {
  @TempDir static Path dir;
  static VouchServer server;
  static Path tokenFile;
  static Path export;
  static Path ca;

  @BeforeAll
  static void startServerAndMakeHistory() throws Exception {
    server = VouchServer.start(TestServers.plain(dir.resolve("server")));
    tokenFile = Files.writeString(dir.resolve("admin.token"), TestServers.ADMIN + "\n");
    TestServers.Client http = new TestServers.Client(HttpClient.newHttpClient(), server.baseUri());
    // a refused change (no token), a failed change (not YAML), three deletions of nothing
    assertThat(http.put("/api/v1/policies/p1", "x: [", false).status()).isEqualTo(401);
    assertThat(http.put("/api/v1/policies/p1", "x: [", true).status()).isEqualTo(400);
    for (int i = 0; i < 3; i++) {
      assertThat(http.delete("/api/v1/policies/gone" + i, true).status()).isEqualTo(404);
    }
    export = dir.resolve("audit.jsonl");
    CliRun run = admin("audit", "export", "-o", export.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    ca = dir.resolve("ca.pem");
    CliRun caRun = admin("report", "ca", "-o", ca.toString());
    assertThat(caRun.exit()).as(caRun.err()).isZero();
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  static CliRun admin(String... args) {
    return CliRun.admin(server.baseUri(), tokenFile, args);
  }

  @Test
  void changesAndRefusalsAreListedWithWhoAndOutcome() {
    CliRun list = admin("audit", "list", "--json");
    assertThat(list.exit()).as(list.err()).isZero();
    List<String> seen = new ArrayList<>();
    for (JsonNode r : list.json().path("records")) {
      seen.add(
          r.path("actor").asText()
              + " "
              + r.path("outcome").asText()
              + " "
              + r.path("target").asText());
      assertThat(r.path("source").asText()).isNotEmpty();
    }
    assertThat(seen)
        .contains(
            "anonymous denied PUT /api/v1/policies/p1",
            "admin failure PUT /api/v1/policies/p1",
            "admin failure DELETE /api/v1/policies/gone2");
  }

  @Test
  void anIntactExportVerifiesAgainstTheReportingCa() {
    CliRun v = CliRun.of("audit", "verify", export.toString(), "--ca", ca.toString(), "--json");
    assertThat(v.exit()).as(v.out() + v.err()).isZero();
    assertThat(v.json().path("valid").asBoolean()).isTrue();
    assertThat(v.json().path("records").asLong()).isGreaterThanOrEqualTo(5);
    assertThat(v.json().path("signer_pinned").asBoolean()).isTrue();
  }

  @Test
  void anEditedRecordFailsNamingItsLine() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(export));
    lines.set(1, lines.get(1).replace("\"admin\"", "\"someone-else\""));
    CliRun v = verify(lines);
    assertThat(v.exit()).isEqualTo(1);
    assertThat(v.out()).contains("line 2").contains("AUDIT_RECORD_ALTERED");
  }

  @Test
  void aDeletedRecordFailsNamingItsLine() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(export));
    lines.remove(2);
    CliRun v = verify(lines);
    assertThat(v.exit()).isEqualTo(1);
    assertThat(v.out()).contains("line 3").contains("AUDIT_CHAIN_BROKEN");
  }

  @Test
  void twoSwappedRecordsFailNamingTheLine() throws Exception {
    List<String> lines = new ArrayList<>(Files.readAllLines(export));
    Collections.swap(lines, 2, 3);
    CliRun v = verify(lines);
    assertThat(v.exit()).isEqualTo(1);
    assertThat(v.out()).contains("line 3").contains("AUDIT_CHAIN_BROKEN");
  }

  @Test
  void anUnreadableExportOrCaIsBadInput() {
    assertThat(CliRun.of("audit", "verify", dir.resolve("missing").toString()).exit()).isEqualTo(2);
    assertThat(CliRun.of("audit", "verify", export.toString(), "--ca", export.toString()).exit())
        .isEqualTo(2);
  }

  private static CliRun verify(List<String> lines) throws Exception {
    Path f = Files.createTempFile(dir, "audit", ".jsonl");
    Files.write(f, lines);
    return CliRun.of("audit", "verify", f.toString(), "--ca", ca.toString());
  }
}
