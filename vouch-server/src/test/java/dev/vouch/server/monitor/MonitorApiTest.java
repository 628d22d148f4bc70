package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.policy.flavor.Flavor;
import dev.vouch.policy.flavor.FlavorFactory;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorSigner;
import dev.vouch.policy.flavor.HostEvidence;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.server.TestServers;
import dev.vouch.server.http.VouchServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host, flavor, group and report APIs: bad input is refused with problem+json, changing
 * nothing.
 */
class MonitorApiTest {
  @TempDir Path dir;
  private VouchServer server;
  private TestServers.Client http;

  @BeforeEach
  void start() throws Exception {
    server = VouchServer.start(TestServers.plain(dir));
    http = new TestServers.Client(server.baseUri());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static void assertProblem(TestServers.Reply r, int status, String code) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().path("type").asText()).endsWith("/" + code);
  }

  @Test
  void hostsRegisterOnceAndBadRequestsChangeNothing() {
    assertProblem(
        http.post("/api/v1/hosts", "{\"id\":\"h1\",\"connection\":\"nats\"}", false),
        401,
        "unauthorized");
    assertProblem(http.post("/api/v1/hosts", "{not json", true), 400, "malformed-json");
    assertProblem(
        http.post("/api/v1/hosts", "{\"id\":\"bad id!\",\"connection\":\"nats\"}", true),
        400,
        "bad-request");
    assertProblem(
        http.post("/api/v1/hosts", "{\"id\":\"h1\",\"connection\":\"ftp://x\"}", true),
        400,
        "bad-request");
    assertProblem(
        http.post("/api/v1/hosts", "{\"id\":\"h1\",\"connection\":\"nats\",\"x\":1}", true),
        400,
        "bad-request");
    assertProblem(
        http.post(
            "/api/v1/hosts", "{\"id\":\"h1\",\"group\":\"../x\",\"connection\":\"nats\"}", true),
        400,
        "bad-request");
    assertThat(server.monitor().registry().list()).isEmpty();

    TestServers.Reply ok =
        http.post(
            "/api/v1/hosts",
            "{\"id\":\"h1\",\"group\":\"edge\",\"connection\":\"https://10.0.0.5:9443\"}",
            true);
    assertThat(ok.status()).as(ok.body()).isEqualTo(201);
    assertThat(ok.json().path("status").asText()).isEqualTo("UNKNOWN");
    assertProblem(
        http.post("/api/v1/hosts", "{\"id\":\"h1\",\"connection\":\"nats\"}", true),
        409,
        "host-exists");
    assertThat(server.monitor().registry().get("h1").orElseThrow().connection())
        .isEqualTo("https://10.0.0.5:9443");

    assertThat(http.get("/api/v1/hosts", true).json().path("hosts")).hasSize(1);
    assertProblem(http.get("/api/v1/hosts/nope", true), 404, "not-found");
    assertProblem(http.post("/api/v1/hosts/nope/attest", "", true), 404, "not-found");
    assertThat(http.post("/api/v1/hosts/h1/attest", "", true).status()).isEqualTo(202);
    assertProblem(
        http.post("/api/v1/hosts/h1/flavors", "{\"parts\":[\"BIOS\"]}", true), 400, "bad-request");
    assertProblem(
        http.post("/api/v1/hosts/h1/flavors", "{\"parts\":[]}", true), 400, "bad-request");
    assertThat(http.delete("/api/v1/hosts/h1", true).status()).isEqualTo(204);
    assertProblem(http.delete("/api/v1/hosts/h1", true), 404, "not-found");
  }

  @Test
  void importedFlavorsAreResignedByTheServerAndDuplicatesOrGarbageAreRefused() throws Exception {
    assertProblem(http.post("/api/v1/flavors", "{\"flavor\": 5}", true), 400, "flavor-invalid");
    assertProblem(http.post("/api/v1/flavors", "[]", true), 400, "flavor-invalid");
    assertThat(server.monitor().flavors().list(Optional.empty(), true)).isEmpty();

    Flavor f = flavor();
    // signed with the server's own flavor key: the signature verifies, the flavor is approved
    String body =
        new String(
            FlavorJson.writeSigned(
                List.of(FlavorSigner.sign(f, server.monitor().identity().key()))),
            StandardCharsets.UTF_8);
    TestServers.Reply imported = http.post("/api/v1/flavors", body, true);
    assertThat(imported.status()).as(imported.body()).isEqualTo(201);
    assertThat(imported.json().path("flavors").get(0).path("signature_verified").asBoolean())
        .isTrue();
    assertProblem(http.post("/api/v1/flavors", body, true), 409, "flavor-exists");

    JsonNode shown = http.get("/api/v1/flavors/" + f.meta().id(), true).json();
    assertThat(shown.path("origin").asText()).isEqualTo("IMPORT");
    assertThat(shown.path("approved").asBoolean()).isTrue();
    // the stored signature is the server's: it verifies with the report CA's signing certificate
    dev.vouch.policy.flavor.SignedFlavor stored = FlavorJson.readSigned(shown.path("signed"));
    FlavorSigner.verify(stored, List.of(server.monitor().identity().chain().get(0).getPublicKey()));

    assertProblem(http.get("/api/v1/flavors/not-a-uuid", true), 400, "bad-request");
    assertProblem(http.get("/api/v1/flavors/" + UUID.randomUUID(), true), 404, "not-found");
    assertThat(http.delete("/api/v1/flavors/" + f.meta().id(), true).status()).isEqualTo(204);
    assertThat(http.get("/api/v1/flavors", true).json().path("flavors")).isEmpty();
  }

  @Test
  void unsignedOrBadlySignedFlavorsAreRefusedUnlessExplicitlyImportedUnapproved() throws Exception {
    Flavor f = flavor();
    String unsigned =
        new String(
            FlavorJson.writeSigned(List.of(dev.vouch.policy.flavor.SignedFlavor.unsigned(f))),
            StandardCharsets.UTF_8);
    assertProblem(http.post("/api/v1/flavors", unsigned, true), 422, "malformed");
    // signed by the server key, then changed: the signature no longer verifies
    dev.vouch.policy.flavor.SignedFlavor good =
        FlavorSigner.sign(f, server.monitor().identity().key());
    Flavor other =
        new Flavor(
            f.meta(),
            List.of(
                new dev.vouch.policy.flavor.PcrRule(
                    0,
                    dev.vouch.core.crypto.HashAlg.SHA256,
                    "ab".repeat(32),
                    true,
                    Optional.empty(),
                    Optional.empty())),
            Optional.empty(),
            java.util.Map.of());
    String forged =
        new String(
            FlavorJson.writeSigned(
                List.of(new dev.vouch.policy.flavor.SignedFlavor(other, good.signature()))),
            StandardCharsets.UTF_8);
    assertProblem(http.post("/api/v1/flavors", forged, true), 422, "signature-invalid");
    assertThat(server.monitor().flavors().list(Optional.empty(), true)).isEmpty();
    assertProblem(http.post("/api/v1/flavors?unsigned=yes", unsigned, true), 400, "bad-request");

    TestServers.Reply explicit = http.post("/api/v1/flavors?unsigned=true", forged, true);
    assertThat(explicit.status()).as(explicit.body()).isEqualTo(201);
    JsonNode summary = explicit.json().path("flavors").get(0);
    assertThat(summary.path("signature_verified").asBoolean()).isFalse();
    assertThat(summary.path("approved").asBoolean()).isFalse();
    JsonNode shown = http.get("/api/v1/flavors/" + f.meta().id(), true).json();
    assertThat(shown.path("origin").asText()).isEqualTo("IMPORT_UNSIGNED");
    assertThat(shown.path("approved").asBoolean()).isFalse();

    // the flavor-signing certificate is served without the admin token
    TestServers.Reply key = http.get("/api/v1/flavors/key", false);
    assertThat(key.status()).isEqualTo(200);
    assertThat(key.body())
        .startsWith("-----BEGIN CERTIFICATE-----")
        .contains(server.monitor().identity().caPem().strip());
    assertThat(http.get("/api/v1/openapi.json", false).body()).contains("/api/v1/flavors/key");
  }

  @Test
  void aConfiguredFlavorSigningKeyThatIsNoKeyStopsTheServer() throws Exception {
    Path junk = java.nio.file.Files.writeString(dir.resolve("junk.pem"), "not a key");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                VouchServer.start(
                        TestServers.plain(dir.resolve("other"))
                            .withHosts(
                                dev.vouch.server.config.ServerConfig.Hosts.defaults()
                                    .withFlavorSigningKeys(List.of(junk))))
                    .close())
        .hasStackTraceContaining("hosts.flavor_signing_keys");
  }

  @Test
  void flavorGroupsAreValidatedAndTheBuiltInDefaultIsListed() {
    JsonNode groups = http.get("/api/v1/flavor-groups", true).json().path("groups");
    assertThat(groups)
        .extracting(g -> g.path("name").asText())
        .containsExactly("automatic", "host_unique");
    assertProblem(
        http.put(
            "/api/v1/flavor-groups/edge",
            "{\"PLATFORM\":{\"match_type\":\"MOST\",\"required\":\"REQUIRED\"}}",
            true),
        400,
        "flavor-group-invalid");
    assertProblem(http.put("/api/v1/flavor-groups/bad%20name", "{}", true), 400, "bad-request");
    assertThat(server.monitor().flavors().groups()).isEmpty();
    TestServers.Reply put =
        http.put(
            "/api/v1/flavor-groups/edge",
            "{\"PLATFORM\":{\"match_type\":\"ALL_OF\",\"required\":\"REQUIRED\"}}",
            true);
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    assertThat(
            http.get("/api/v1/flavor-groups/edge", true)
                .json()
                .path("policies")
                .path("PLATFORM")
                .path("match_type")
                .asText())
        .isEqualTo("ALL_OF");
    assertThat(http.delete("/api/v1/flavor-groups/edge", true).status()).isEqualTo(204);
    assertProblem(http.get("/api/v1/flavor-groups/edge", true), 404, "not-found");
  }

  @Test
  void flavorsJoinGroupsAndHostsAreAssignedWhileBadMembershipsAreRefusedChangingNothing()
      throws Exception {
    TestServers.Reply put =
        http.put(
            "/api/v1/flavor-groups/edge",
            "{\"PLATFORM\":{\"match_type\":\"ANY_OF\",\"required\":\"REQUIRED\"}}",
            true);
    assertThat(put.status()).as(put.body()).isEqualTo(200);
    Flavor f = flavor();
    String body =
        new String(
            FlavorJson.writeSigned(
                List.of(FlavorSigner.sign(f, server.monitor().identity().key()))),
            StandardCharsets.UTF_8);
    // an import naming an unknown group, or host_unique for a shared part, stores nothing
    assertProblem(http.post("/api/v1/flavors?group=nope", body, true), 400, "flavor-group-unknown");
    assertProblem(
        http.post("/api/v1/flavors?group=host_unique", body, true), 400, "flavor-group-invalid");
    assertThat(server.monitor().flavors().list(Optional.empty(), true)).isEmpty();
    TestServers.Reply imported = http.post("/api/v1/flavors?group=edge", body, true);
    assertThat(imported.status()).as(imported.body()).isEqualTo(201);
    String id = f.meta().id().toString();
    assertThat(http.get("/api/v1/flavors/" + id, true).json().path("flavor_groups").toString())
        .isEqualTo("[\"edge\"]");

    // membership: a shared flavor may join automatic, never host_unique; unknown ids are 404
    assertThat(http.put("/api/v1/flavor-groups/automatic/flavors/" + id, "", true).status())
        .isEqualTo(200);
    assertProblem(
        http.put("/api/v1/flavor-groups/host_unique/flavors/" + id, "", true),
        400,
        "flavor-group-invalid");
    assertProblem(
        http.put("/api/v1/flavor-groups/edge/flavors/" + UUID.randomUUID(), "", true),
        404,
        "not-found");
    assertProblem(http.put("/api/v1/flavor-groups/nope/flavors/" + id, "", true), 404, "not-found");
    assertProblem(
        http.put("/api/v1/flavor-groups/edge/flavors/not-a-uuid", "", true), 400, "bad-request");
    assertThat(server.monitor().flavors().groupsOf(f.meta().id()))
        .containsExactly("automatic", "edge");
    assertThat(http.delete("/api/v1/flavor-groups/automatic/flavors/" + id, true).status())
        .isEqualTo(204);
    assertProblem(
        http.delete("/api/v1/flavor-groups/automatic/flavors/" + id, true), 404, "not-found");

    // assignment: at registration or later; unknown groups and host_unique are refused
    assertProblem(
        http.post(
            "/api/v1/hosts",
            "{\"id\":\"h1\",\"connection\":\"nats\",\"flavor_groups\":[\"nope\"]}",
            true),
        400,
        "flavor-group-unknown");
    assertThat(server.monitor().registry().get("h1")).isEmpty();
    TestServers.Reply added =
        http.post(
            "/api/v1/hosts",
            "{\"id\":\"h1\",\"connection\":\"nats\",\"flavor_groups\":[\"edge\"]}",
            true);
    assertThat(added.status()).as(added.body()).isEqualTo(201);
    assertThat(added.json().path("flavor_groups").toString()).isEqualTo("[\"edge\"]");
    assertProblem(
        http.put("/api/v1/hosts/h1/flavor-groups/host_unique", "", true),
        400,
        "flavor-group-invalid");
    assertProblem(
        http.put("/api/v1/hosts/h1/flavor-groups/nope", "", true), 400, "flavor-group-unknown");
    assertProblem(http.put("/api/v1/hosts/h2/flavor-groups/edge", "", true), 404, "not-found");
    assertProblem(http.delete("/api/v1/flavor-groups/edge", true), 409, "flavor-group-in-use");
    assertThat(http.delete("/api/v1/hosts/h1/flavor-groups/edge", true).status()).isEqualTo(204);
    assertProblem(http.delete("/api/v1/hosts/h1/flavor-groups/edge", true), 404, "not-found");
    // a host in no group is judged by automatic
    assertThat(http.get("/api/v1/hosts/h1/flavor-groups", true).json().toString())
        .contains("\"automatic\"", "\"DEFAULT\"");
    assertThat(http.delete("/api/v1/flavor-groups/edge", true).status()).isEqualTo(204);
    assertThat(server.monitor().flavors().groupsOf(f.meta().id())).isEmpty();
  }

  @Test
  void reportQueriesAreCheckedAndTheCaIsPublicAndStableAcrossRestarts() throws Exception {
    assertProblem(http.get("/api/v1/reports", true), 400, "bad-request");
    assertProblem(http.get("/api/v1/reports?host=h1&limit=0", true), 400, "bad-request");
    assertProblem(http.get("/api/v1/reports?host=h1&limit=x", true), 400, "bad-request");
    assertThat(http.get("/api/v1/reports?host=h1", true).json().path("reports")).isEmpty();
    assertProblem(http.get("/api/v1/reports/" + UUID.randomUUID(), true), 404, "not-found");
    assertProblem(http.get("/api/v1/reports/nope", true), 400, "bad-request");

    TestServers.Reply ca = http.get("/api/v1/reports/ca", false);
    assertThat(ca.status()).isEqualTo(200);
    X509Certificate cert =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(ca.body().getBytes(StandardCharsets.US_ASCII)));
    assertThat(cert.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    server.close();
    server = VouchServer.start(TestServers.plain(dir));
    http = new TestServers.Client(server.baseUri());
    assertThat(http.get("/api/v1/reports/ca", false).body()).isEqualTo(ca.body());
    assertThat(http.get("/api/v1/openapi.json", false).body())
        .contains("/api/v1/hosts/{id}/onboard");
  }

  private static Flavor flavor() throws Exception {
    PcrValues.Builder b = PcrValues.builder();
    for (int i = 0; i < 8; i++) {
      b.put(HashAlg.SHA256, i, new byte[32]);
    }
    HostEvidence e =
        HostEvidence.of(
            new HostFacts("h1", "", "", "", "", "", "2.0"),
            b.build(),
            false,
            Optional.empty(),
            Optional.empty(),
            1);
    return new FlavorFactory(UUID::randomUUID, java.time.Clock.systemUTC())
        .fromHost(e, HostVerifier.defaultTemplate(), EnumSet.of(FlavorPart.PLATFORM))
        .get(0);
  }
}
