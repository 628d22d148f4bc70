package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.flavor.Flavor;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorMeta;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorSigner;
import dev.vouch.policy.flavor.PcrRule;
import dev.vouch.policy.flavor.SignedFlavor;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.TlsCertificates;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.monitor.RuntimePolicyStore;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch host|flavor|report} admin verbs against a real in-process server (plain HTTP, H2 in
 * a temporary directory).
 */
class AdminVerbsTest {
  @TempDir static Path dir;
  static VouchServer server;
  static Path tokenFile;
  // a partner whose flavor-signing key the server is configured to accept
  static java.security.KeyPair partner;

  @BeforeAll
  static void startServer() throws Exception {
    var keys = KeyPairGenerator.getInstance("EC");
    keys.initialize(new ECGenParameterSpec("secp256r1"));
    partner = keys.generateKeyPair();
    Path partnerKey =
        Files.writeString(
            dir.resolve("partner.pub.pem"),
            "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(partner.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
    server =
        VouchServer.start(
            TestServers.plain(dir.resolve("server"))
                .withHosts(
                    ServerConfig.Hosts.defaults().withFlavorSigningKeys(List.of(partnerKey))));
    tokenFile = Files.writeString(dir.resolve("admin.token"), TestServers.ADMIN + "\n");
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  /** Runs an admin verb against the test server with the admin token. */
  static CliRun admin(String... args) {
    return CliRun.admin(server.baseUri(), tokenFile, args);
  }

  private static List<String> hostIds() {
    CliRun list = admin("host", "list", "--json");
    assertThat(list.exit()).as(list.err()).isZero();
    List<String> ids = new ArrayList<>();
    list.json().path("hosts").forEach(h -> ids.add(h.path("id").asText()));
    return ids;
  }

  @Test
  void reportListForAnUnknownHostExitsTwoAndForAKnownHostWithoutReportsZero() {
    CliRun unknown = admin("report", "list", "--host", "nohost");
    assertThat(unknown.exit()).as(unknown.out()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(unknown.err()).startsWith("error: not-found: ").contains("nohost");
    CliRun unknownJson = admin("report", "list", "--host", "nohost", "--json");
    assertThat(unknownJson.exit()).isEqualTo(ExitCodes.BAD_INPUT);

    CliRun add = admin("host", "add", "cli-r0", "--connection", "nats");
    assertThat(add.exit()).as(add.err()).isZero();
    CliRun none = admin("report", "list", "--host", "cli-r0");
    assertThat(none.exit()).as(none.err()).isZero();
    assertThat(none.out()).contains("no reports for host cli-r0");
    assertThat(admin("host", "remove", "cli-r0").exit()).isZero();
  }

  @Test
  void aHostIsAddedListedShownAndRemoved() {
    CliRun add =
        admin("host", "add", "cli-h1", "--connection", "nats", "--group", "rack-1", "--json");
    assertThat(add.exit()).as(add.err()).isZero();
    assertThat(add.json().path("id").asText()).isEqualTo("cli-h1");
    assertThat(add.json().path("group").asText()).isEqualTo("rack-1");

    CliRun https = admin("host", "add", "cli-h2", "--connection", "https://agent-2:9443");
    assertThat(https.exit()).as(https.err()).isZero();
    assertThat(https.out()).contains("registered host cli-h2", "https://agent-2:9443");

    assertThat(hostIds()).contains("cli-h1", "cli-h2");
    CliRun table = admin("host", "list");
    assertThat(table.out()).contains("cli-h1", "rack-1", "nats");

    CliRun show = admin("host", "show", "cli-h1", "--json");
    assertThat(show.exit()).as(show.err()).isZero();
    assertThat(show.json().path("connection").asText()).isEqualTo("nats");
    assertThat(show.json().path("history").isArray()).isTrue();
    assertThat(show.json().path("golden_audit").isArray()).isTrue();
    assertThat(admin("host", "show", "cli-h1").out())
        .contains("Host cli-h1", "group rack-1", "History", "Golden-flavor audit");

    CliRun again = admin("host", "add", "cli-h1", "--connection", "nats");
    assertThat(again.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(again.err()).contains("error: host-exists: host 'cli-h1' exists");

    CliRun remove = admin("host", "remove", "cli-h1");
    assertThat(remove.exit()).as(remove.err()).isZero();
    assertThat(hostIds()).doesNotContain("cli-h1").contains("cli-h2");
    CliRun gone = admin("host", "show", "cli-h1");
    assertThat(gone.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(gone.err()).contains("error: not-found: no host 'cli-h1'");
    CliRun goneJson = admin("host", "remove", "cli-h1", "--json");
    assertThat(goneJson.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(goneJson.json().path("error").path("status").asInt()).isEqualTo(404);
    assertThat(goneJson.json().path("error").path("code").asText()).isEqualTo("not-found");
  }

  /** A Keylime runtime policy file allowing /usr/bin/bash with SHA-256 {@code hex}. */
  private Path keylimePolicy(String file, String hex) throws java.io.IOException {
    return Files.writeString(
        dir.resolve(file),
        """
        {"meta": {"version": 1}, "digests": {"/usr/bin/bash": ["%s"]}, "excludes": [],
         "keyrings": {}, "ima": {"ignored_keyrings": [], "log_hash_alg": "sha1"},
         "ima-buf": {}, "verification-keys": ""}
        """
            .formatted(hex));
  }

  @Test
  void aRuntimePolicyIsStoredAsTheNextVersionAndAssignedToTheHost() throws Exception {
    assertThat(admin("host", "add", "cli-rp", "--connection", "nats").exit()).isZero();
    Path policy = keylimePolicy("runtime-policy.json", "ab".repeat(32));
    CliRun first =
        admin("host", "runtime-policy", "cli-rp", "--policy", policy.toString(), "--json");
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(first.json().path("name").asText()).isEqualTo("cli-rp");
    assertThat(first.json().path("version").asInt()).isEqualTo(1);
    assertThat(first.json().path("host").asText()).isEqualTo("cli-rp");
    CliRun second =
        admin("host", "runtime-policy", "cli-rp", "--policy", policy.toString(), "--name", "web");
    assertThat(second.exit()).as(second.err()).isZero();
    assertThat(second.out()).contains("host cli-rp: runtime policy web version 1 (sha256 ");

    // bad input never reaches the server: exit 2, nothing stored
    Path broken = Files.writeString(dir.resolve("broken-policy.json"), "{\"digests\": 5}");
    CliRun bad = admin("host", "runtime-policy", "cli-rp", "--policy", broken.toString());
    assertThat(bad.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(bad.err()).contains("not a Keylime runtime policy");
    CliRun badName =
        admin("host", "runtime-policy", "cli-rp", "--policy", policy.toString(), "--name", "a/b");
    assertThat(badName.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    CliRun unknown = admin("host", "runtime-policy", "nohost", "--policy", policy.toString());
    assertThat(unknown.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(unknown.err()).contains("not-found");
    assertThat(server.monitor().runtimePolicies().latest("nohost")).isEmpty();
    assertThat(server.monitor().runtimePolicies().latest("cli-rp").orElseThrow().version())
        .isEqualTo(1);
    assertThat(admin("host", "remove", "cli-rp").exit()).isZero();
  }

  @Test
  void aGroupsRuntimePolicyAppliesToItsHostsUntilAHostHasItsOwnAndRemoveEndsEither()
      throws Exception {
    assertThat(admin("host", "add", "cli-g1", "--connection", "nats", "--group", "edge").exit())
        .isZero();
    Path policy = keylimePolicy("group-policy.json", "cd".repeat(32));
    CliRun group =
        admin("host", "runtime-policy", "--group", "edge", "--policy", policy.toString(), "--json");
    assertThat(group.exit()).as(group.err()).isZero();
    assertThat(group.json().path("group").asText()).isEqualTo("edge");
    assertThat(group.json().path("name").asText()).isEqualTo("edge");
    RuntimePolicyStore store = server.monitor().runtimePolicies();
    assertThat(store.effective("cli-g1", "edge").orElseThrow().ref()).isEqualTo("edge@1");

    // the host's own assignment wins over its group's; removing it falls back to the group's
    CliRun own =
        admin("host", "runtime-policy", "cli-g1", "--policy", policy.toString(), "--name", "own");
    assertThat(own.exit()).as(own.err()).isZero();
    assertThat(store.effective("cli-g1", "edge").orElseThrow().ref()).isEqualTo("own@1");
    CliRun removed = admin("host", "runtime-policy", "cli-g1", "--remove", "--json");
    assertThat(removed.exit()).as(removed.err()).isZero();
    assertThat(removed.json().path("removed").asBoolean()).isTrue();
    assertThat(store.effective("cli-g1", "edge").orElseThrow().ref()).isEqualTo("edge@1");
    CliRun groupRemoved = admin("host", "runtime-policy", "--group", "edge", "--remove");
    assertThat(groupRemoved.exit()).as(groupRemoved.err()).isZero();
    assertThat(groupRemoved.out()).contains("host group edge: runtime policy assignment removed");
    assertThat(store.effective("cli-g1", "edge")).isEmpty();

    // removing what is not assigned is refused by the server; bad combinations never reach it
    CliRun again = admin("host", "runtime-policy", "--group", "edge", "--remove");
    assertThat(again.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(again.err()).contains("not-found");
    for (String[] bad :
        List.of(
            new String[] {"host", "runtime-policy", "--remove"},
            new String[] {"host", "runtime-policy", "cli-g1", "--group", "edge", "--remove"},
            new String[] {"host", "runtime-policy", "cli-g1"},
            new String[] {
              "host", "runtime-policy", "cli-g1", "--remove", "--policy", policy.toString()
            },
            new String[] {"host", "runtime-policy", "--group", "a/b", "--remove"})) {
      CliRun r = admin(bad);
      assertThat(r.exit()).as(String.join(" ", bad)).isEqualTo(ExitCodes.BAD_INPUT);
    }
    assertThat(admin("host", "remove", "cli-g1").exit()).isZero();
  }

  @Test
  void badInputExitsTwoAndChangesNothing() {
    List<String> before = hostIds();
    CliRun badId = admin("host", "add", "bad id!", "--connection", "nats");
    assertThat(badId.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(badId.err()).contains("host id 'bad id!'");
    CliRun badConnection = admin("host", "add", "cli-bad", "--connection", "ftp://agent");
    assertThat(badConnection.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(badConnection.err()).contains("--connection must be 'nats'");
    CliRun badGroup =
        admin("host", "add", "cli-bad", "--connection", "nats", "--group", "no spaces allowed");
    assertThat(badGroup.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(badGroup.err()).contains("error: bad-request: group must be");
    CliRun badParts = admin("host", "flavors", "cli-bad", "--parts", "PLATFORM,BOGUS");
    assertThat(badParts.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(badParts.err()).contains("unknown flavor part 'BOGUS'", "HOST_UNIQUE");
    assertThat(admin("flavor", "delete", "not-a-uuid").exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(admin("report", "list", "--host", "cli-bad", "--limit", "0").exit())
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(hostIds()).isEqualTo(before).doesNotContain("cli-bad");

    assumeTrue(System.getenv(AdminOptions.SERVER_ENV) == null, "VOUCH_SERVER is set");
    CliRun noServer = CliRun.of("host", "add", "cli-bad", "--connection", "nats", "--token", "x");
    assertThat(noServer.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(noServer.err())
        .contains("no server: give --server URL, set VOUCH_SERVER or run vouch login");
    CliRun notUrl = CliRun.of("host", "list", "--server", "vouch:8443", "--token", "x");
    assertThat(notUrl.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(hostIds()).isEqualTo(before);
  }

  @Test
  void aWrongTokenExitsTwoAndShowsTheServersProblem() throws Exception {
    Path wrong = Files.writeString(dir.resolve("wrong.token"), "not-the-admin-token");
    CliRun run =
        CliRun.of(
            "host",
            "add",
            "cli-wrong",
            "--connection",
            "nats",
            "--server",
            server.baseUri().toString(),
            "--token-file",
            wrong.toString());
    assertThat(run.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(run.err())
        .contains(
            "error: unauthorized: unknown API key; send a token from POST /api/v1/auth/token or an"
                + " API key as 'Authorization: Bearer <token>'");
    assertThat(hostIds()).doesNotContain("cli-wrong");

    assumeTrue(System.getenv(AdminOptions.TOKEN_ENV) == null, "VOUCH_ADMIN_TOKEN is set");
    CliRun none = CliRun.of("host", "list", "--server", server.baseUri().toString());
    assertThat(none.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(none.err()).contains("no admin token");
  }

  @Test
  void anUnreachableServerExitsThree() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CliRun run = CliRun.of("host", "list", "--server", "http://127.0.0.1:" + port, "--token", "x");
    assertThat(run.exit()).isEqualTo(ExitCodes.INTERNAL);
    assertThat(run.err()).contains("error: connection-failed: http://127.0.0.1:" + port);
    CliRun ca = CliRun.of("report", "ca", "--server", "http://127.0.0.1:" + port, "--json");
    assertThat(ca.exit()).isEqualTo(ExitCodes.INTERNAL);
    assertThat(ca.json().path("error").path("code").asText()).isEqualTo("connection-failed");
  }

  @Test
  void flavorsWhoseSignatureDoesNotVerifyAreRefusedUnlessImportedUnsignedAndThenNotApproved()
      throws Exception {
    var keys = KeyPairGenerator.getInstance("EC");
    keys.initialize(new ECGenParameterSpec("secp256r1"));
    ECPrivateKey stranger = (ECPrivateKey) keys.generateKeyPair().getPrivate();
    SignedFlavor foreign =
        FlavorSigner.sign(flavor(UUID.randomUUID(), FlavorPart.PLATFORM, "cc"), stranger);
    Path foreignFile =
        Files.write(dir.resolve("foreign.json"), FlavorJson.writeSigned(List.of(foreign)));
    CliRun refused = admin("flavor", "import", foreignFile.toString(), "--json");
    assertThat(refused.exit()).as(refused.out() + refused.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(refused.json().path("error").path("code").asText()).isEqualTo("signature-invalid");

    // a partner-signed flavor changed after signing: its signature no longer verifies
    SignedFlavor signed =
        FlavorSigner.sign(
            flavor(UUID.randomUUID(), FlavorPart.PLATFORM, "dd"),
            (ECPrivateKey) partner.getPrivate());
    Flavor changed = flavor(signed.flavor().meta().id(), FlavorPart.PLATFORM, "de");
    Path changedFile =
        Files.write(
            dir.resolve("changed.json"),
            FlavorJson.writeSigned(List.of(new SignedFlavor(changed, signed.signature()))));
    assertThat(admin("flavor", "import", changedFile.toString()).exit())
        .isEqualTo(ExitCodes.FAILED);

    Flavor bare = flavor(UUID.randomUUID(), FlavorPart.PLATFORM, "ee");
    Path bareFile =
        Files.write(
            dir.resolve("bare.json"), FlavorJson.writeSigned(List.of(SignedFlavor.unsigned(bare))));
    CliRun noSignature = admin("flavor", "import", bareFile.toString());
    assertThat(noSignature.exit()).isEqualTo(ExitCodes.FAILED);
    assertThat(noSignature.err()).contains("malformed", "--unsigned");
    assertThat(admin("flavor", "list", "--json").json().path("flavors").toString())
        .doesNotContain(foreign.flavor().meta().id().toString(), bare.meta().id().toString());

    CliRun explicit = admin("flavor", "import", bareFile.toString(), "--unsigned");
    assertThat(explicit.exit()).as(explicit.err()).isZero();
    assertThat(explicit.out()).contains("WARNING", "NOT approved");
    JsonNode stored =
        admin("flavor", "list", "--json").json().path("flavors").findParents("id").stream()
            .filter(f -> f.path("id").asText().equals(bare.meta().id().toString()))
            .findFirst()
            .orElseThrow();
    assertThat(stored.path("origin").asText()).isEqualTo("IMPORT_UNSIGNED");
    assertThat(stored.path("approved").asBoolean()).isFalse();
    assertThat(admin("flavor", "delete", bare.meta().id().toString()).exit()).isZero();

    // the server's own flavor key is downloadable and accepted on import
    Path key = dir.resolve("flavor-key.pem");
    CliRun fetched =
        CliRun.of("flavor", "key", "--server", server.baseUri().toString(), "-o", key.toString());
    assertThat(fetched.exit()).as(fetched.err()).isZero();
    assertThat(Files.readString(key)).startsWith("-----BEGIN CERTIFICATE-----");
    assertThat(ReportCommand.certificates(Files.readAllBytes(key), key).get(0))
        .isEqualTo(server.monitor().identity().chain().get(0));
    SignedFlavor ownSigned =
        FlavorSigner.sign(
            flavor(UUID.randomUUID(), FlavorPart.PLATFORM, "ff"),
            server.monitor().identity().key());
    Path own = Files.write(dir.resolve("own.json"), FlavorJson.writeSigned(List.of(ownSigned)));
    assertThat(CliRun.of("flavor", "verify", own.toString(), "--key", key.toString()).exit())
        .isEqualTo(ExitCodes.OK);
    CliRun ownImport = admin("flavor", "import", own.toString(), "--json");
    assertThat(ownImport.exit()).as(ownImport.err()).isZero();
    assertThat(ownImport.json().path("flavors").get(0).path("approved").asBoolean()).isTrue();
    assertThat(admin("flavor", "delete", ownSigned.flavor().meta().id().toString()).exit())
        .isZero();
  }

  @Test
  void importedFlavorsExportWithTheSameIdsAndTheServersSignatures() throws Exception {
    ECPrivateKey ours = (ECPrivateKey) partner.getPrivate();
    List<SignedFlavor> mine =
        List.of(
            FlavorSigner.sign(flavor(UUID.randomUUID(), FlavorPart.PLATFORM, "aa"), ours),
            FlavorSigner.sign(flavor(UUID.randomUUID(), FlavorPart.HOST_UNIQUE, "bb"), ours));
    Path in = Files.write(dir.resolve("mine.json"), FlavorJson.writeSigned(mine));

    CliRun imported = admin("flavor", "import", in.toString(), "--host", "cli-f1", "--json");
    assertThat(imported.exit()).as(imported.err()).isZero();
    assertThat(imported.json().path("flavors")).hasSize(2);
    CliRun twice = admin("flavor", "import", in.toString(), "--host", "cli-f1");
    assertThat(twice.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(twice.err()).contains("error: flavor-exists:");

    Path out = dir.resolve("exported.json");
    CliRun export = admin("flavor", "export", "--host", "cli-f1", "-o", out.toString());
    assertThat(export.exit()).as(export.err()).isZero();
    assertThat(export.out()).contains("exported 2 flavor(s)");
    List<SignedFlavor> back = FlavorJson.readSigned(Files.readAllBytes(out));
    assertThat(back)
        .extracting(f -> f.flavor().meta().id())
        .containsExactlyInAnyOrderElementsOf(
            mine.stream().map(f -> f.flavor().meta().id()).toList());
    assertThat(back)
        .extracting(f -> f.signature().orElseThrow())
        .doesNotContainAnyElementsOf(mine.stream().map(f -> f.signature().orElseThrow()).toList());

    // the export verifies with the server's signing certificate, and our originals do not
    Path signer =
        Files.writeString(
            dir.resolve("signer.pem"),
            "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder()
                    .encodeToString(server.monitor().identity().chain().get(0).getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    assertThat(CliRun.of("flavor", "verify", out.toString(), "--key", signer.toString()).exit())
        .isEqualTo(ExitCodes.OK);
    assertThat(CliRun.of("flavor", "verify", in.toString(), "--key", signer.toString()).exit())
        .isEqualTo(ExitCodes.FAILED);

    CliRun list = admin("flavor", "list", "--host", "cli-f1", "--json");
    assertThat(list.json().path("flavors"))
        .extracting(f -> f.path("origin").asText())
        .containsOnly("IMPORT");
    String first = mine.get(0).flavor().meta().id().toString();
    assertThat(admin("flavor", "list", "--host", "cli-f1").out()).contains(first, "PLATFORM");
    assertThat(admin("flavor", "delete", first).exit()).isZero();
    assertThat(admin("flavor", "list", "--host", "cli-f1", "--json").json().path("flavors"))
        .extracting(f -> f.path("id").asText())
        .containsExactly(mine.get(1).flavor().meta().id().toString());
    CliRun deletedTwice = admin("flavor", "delete", first);
    assertThat(deletedTwice.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(deletedTwice.err()).contains("error: not-found:");

    Path junk = Files.writeString(dir.resolve("junk.json"), "{\"flavor\": 1}");
    assertThat(admin("flavor", "import", junk.toString()).exit()).isEqualTo(ExitCodes.BAD_INPUT);
  }

  @Test
  void aFlavorGroupIsPutShownListedAndDeleted() throws Exception {
    Path policies =
        Files.writeString(
            dir.resolve("group.json"),
            "{\"PLATFORM\":{\"match_type\":\"ANY_OF\",\"required\":\"REQUIRED\"},"
                + "\"HOST_UNIQUE\":{\"match_type\":\"ALL_OF\",\"required\":\"REQUIRED_IF_DEFINED\"}}");
    CliRun put = admin("flavor", "group", "put", "cli-g1", policies.toString());
    assertThat(put.exit()).as(put.err()).isZero();
    assertThat(put.out()).contains("stored group cli-g1");

    JsonNode shown = admin("flavor", "group", "show", "cli-g1", "--json").json();
    assertThat(shown.path("policies"))
        .isEqualTo(TestServers.JSON.readTree(Files.readString(policies)));
    assertThat(admin("flavor", "group", "show", "cli-g1").out())
        .contains("PLATFORM", "ANY_OF", "REQUIRED_IF_DEFINED");
    List<String> names = new ArrayList<>();
    admin("flavor", "group", "list", "--json")
        .json()
        .path("groups")
        .forEach(g -> names.add(g.path("name").asText()));
    assertThat(names).contains("cli-g1", "automatic", "host_unique");

    Path bad =
        Files.writeString(
            dir.resolve("bad-group.json"),
            "{\"PLATFORM\":{\"match_type\":\"SOME_OF\",\"required\":\"REQUIRED\"}}");
    CliRun refused = admin("flavor", "group", "put", "cli-g1", bad.toString());
    assertThat(refused.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(refused.err()).contains("error: flavor-group-invalid:");
    assertThat(admin("flavor", "group", "show", "cli-g1", "--json").json()).isEqualTo(shown);

    assertThat(admin("flavor", "group", "delete", "cli-g1").exit()).isZero();
    assertThat(admin("flavor", "group", "show", "cli-g1").exit()).isEqualTo(ExitCodes.BAD_INPUT);
  }

  @Test
  void aFlavorJoinsAndLeavesAGroupAndAHostIsAssignedAndUnassigned() throws Exception {
    Path policies =
        Files.writeString(
            dir.resolve("group-m.json"),
            "{\"PLATFORM\":{\"match_type\":\"ANY_OF\",\"required\":\"REQUIRED\"}}");
    assertThat(admin("flavor", "group", "put", "cli-gm", policies.toString()).exit()).isZero();
    SignedFlavor f =
        FlavorSigner.sign(
            flavor(UUID.randomUUID(), FlavorPart.PLATFORM, "cc"),
            (ECPrivateKey) partner.getPrivate());
    Path in = Files.write(dir.resolve("member.json"), FlavorJson.writeSigned(List.of(f)));
    CliRun unknownGroup = admin("flavor", "import", in.toString(), "--flavor-group", "nope");
    assertThat(unknownGroup.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(unknownGroup.err()).contains("error: flavor-group-unknown:");
    assertThat(admin("flavor", "import", in.toString(), "--flavor-group", "automatic").exit())
        .isZero();
    String id = f.flavor().meta().id().toString();

    CliRun added = admin("flavor", "group", "add-flavor", "cli-gm", id);
    assertThat(added.exit()).as(added.err()).isZero();
    assertThat(added.out()).contains("automatic", "cli-gm");
    assertThat(admin("flavor", "group", "show", "cli-gm", "--json").json().path("flavors"))
        .extracting(JsonNode::asText)
        .containsExactly(id);
    CliRun notUuid = admin("flavor", "group", "add-flavor", "cli-gm", "not-a-uuid");
    assertThat(notUuid.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    CliRun hostUnique = admin("flavor", "group", "add-flavor", "host_unique", id);
    assertThat(hostUnique.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(hostUnique.err()).contains("error: flavor-group-invalid:");

    assertThat(admin("host", "add", "cli-gh", "--connection", "nats").exit()).isZero();
    CliRun assigned = admin("host", "assign", "cli-gh", "--group", "cli-gm");
    assertThat(assigned.exit()).as(assigned.err()).isZero();
    assertThat(assigned.out()).contains("[cli-gm]");
    CliRun unknown = admin("host", "assign", "cli-gh", "--group", "nope");
    assertThat(unknown.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(unknown.err()).contains("error: flavor-group-unknown:");
    assertThat(admin("flavor", "group", "delete", "cli-gm").exit()).isEqualTo(ExitCodes.BAD_INPUT);
    CliRun unassigned = admin("host", "unassign", "cli-gh", "--group", "cli-gm", "--json");
    assertThat(unassigned.exit()).as(unassigned.err()).isZero();
    assertThat(unassigned.json().path("flavor_groups").get(0).path("name").asText())
        .isEqualTo("automatic");

    assertThat(admin("flavor", "group", "remove-flavor", "cli-gm", id).exit()).isZero();
    assertThat(admin("flavor", "group", "remove-flavor", "cli-gm", id).exit())
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(admin("flavor", "group", "delete", "cli-gm").exit()).isZero();
    assertThat(admin("host", "remove", "cli-gh").exit()).isZero();
  }

  @Test
  void theReportCaNeedsNoToken() throws Exception {
    Path out = dir.resolve("ca.pem");
    CliRun run =
        CliRun.of("report", "ca", "--server", server.baseUri().toString(), "-o", out.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(Files.readString(out)).isEqualTo(server.monitor().identity().caPem());
    CliRun doc = CliRun.of("report", "ca", "--server", server.baseUri().toString(), "--json");
    assertThat(doc.json().path("subject").asText()).isEqualTo("CN=Vouch report CA");
  }

  @Test
  void aSelfSignedServerIsTrustedOnlyWithItsCertificateAsCacert() throws Exception {
    Path data = dir.resolve("tls-server");
    ServerConfig cfg = TestServers.config(data, ServerConfig.TlsMode.SELF_SIGNED, Optional.empty());
    try (VouchServer tls = VouchServer.start(cfg)) {
      String url = tls.baseUri().toString();
      Path cert = TlsCertificates.selfSignedCert(data.toAbsolutePath());
      CliRun trusted =
          CliRun.admin(
              tls.baseUri(), tokenFile, "host", "list", "--cacert", cert.toString(), "--json");
      assertThat(trusted.exit()).as(trusted.err()).isZero();
      assertThat(trusted.json().path("hosts").isArray()).isTrue();
      CliRun untrusted = CliRun.admin(tls.baseUri(), tokenFile, "host", "list");
      assertThat(untrusted.exit()).isEqualTo(ExitCodes.INTERNAL);
      assertThat(untrusted.err()).contains("error: tls-untrusted: " + url, "--cacert");
      CliRun notPem =
          CliRun.admin(tls.baseUri(), tokenFile, "host", "list", "--cacert", tokenFile.toString());
      assertThat(notPem.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    }
  }

  @Test
  void theHelpShowsTheAdminVerbs() {
    CliRun help = CliRun.of("--help");
    assertThat(help.out()).contains("host ", "Manage the hosts", "VOUCH_SERVER", "--cacert");
    CliRun host = CliRun.of("host");
    assertThat(host.out())
        .contains(
            "list", "show", "add", "remove", "attest", "onboard", "flavors", "runtime-policy");
    CliRun flavor = CliRun.of("flavor", "group");
    assertThat(flavor.out()).contains("list", "show", "put", "delete");
    CliRun report = CliRun.of("report", "get", "--help");
    assertThat(report.out()).contains("--server", "--token-file", "--cacert", "--output");
  }

  @Test
  void anUnknownReportIsNotFound() {
    CliRun run = admin("report", "get", UUID.randomUUID().toString());
    assertThat(run.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(run.err()).contains("error: not-found: no report");
    // a host the server does not know is not found either (issue 16: it used to list nothing)
    CliRun none = admin("report", "list", "--host", "cli-nobody");
    assertThat(none.exit()).isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(none.err()).contains("error: not-found: ", "cli-nobody");
  }

  static Flavor flavor(UUID id, FlavorPart part, String digestByte) {
    var description = JsonNodeFactory.instance.objectNode().put("flavor_part", part.name());
    return new Flavor(
        new FlavorMeta(id, part, "cli-" + part, "VOUCH", description, Optional.empty()),
        List.of(
            new PcrRule(
                0,
                HashAlg.SHA256,
                digestByte.repeat(32),
                true,
                Optional.empty(),
                Optional.empty())),
        Optional.empty(),
        Map.of());
  }
}
