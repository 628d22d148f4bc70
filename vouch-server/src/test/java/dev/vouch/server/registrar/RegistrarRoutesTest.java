package dev.vouch.server.registrar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.tpm.EkTemplate;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.agent.trust.NatsCredentials;
import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.tpm.protocol.NatsSubjects;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.Problem;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.manager.Host;
import dev.vouch.server.manager.HostRegistry;
import dev.vouch.server.nats.NatsAuthority;
import dev.vouch.server.store.Sealer;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registrar's HTTP routes in a running server, with enrollment material from two real swtpm
 * instances (whose EK certificates chain to the swtpm local CA) and the TPM recovering the secret.
 */
class RegistrarRoutesTest {
  private static final String ENROLL = "/api/v1/registrar/enrollments";

  static Swtpm swtpmA;
  static Swtpm swtpmB;
  static TpmClient tpmA;
  static TpmClient tpmB;
  static Enrollment enrollmentA;
  static Enrollment enrollmentB;
  static Enrollment.Material materialA;
  static Enrollment.Material materialB;

  @TempDir Path dir;

  @BeforeAll
  static void startTpms() throws Exception {
    swtpmA = Swtpm.start();
    swtpmB = Swtpm.start();
    tpmA = swtpmA.client();
    tpmB = swtpmB.client();
    enrollmentA = Enrollment.withDefaults(tpmA);
    // swtpm instances start from one manufactured state and share its EKs: the second "TPM" is the
    // P-384 EK, whose certificate differs from the RSA one
    enrollmentB =
        new Enrollment(
            tpmB, EkTemplate.ECC_NIST_P384, KeyTemplate.akEccP256(), Enrollment.DEFAULT_AK_HANDLE);
    materialA = enrollmentA.prepare();
    materialB = enrollmentB.prepare();
  }

  @AfterAll
  static void stopTpms() throws Exception {
    for (TpmClient c : new TpmClient[] {tpmA, tpmB}) {
      if (c != null) {
        c.close();
      }
    }
    for (Swtpm s : new Swtpm[] {swtpmA, swtpmB}) {
      if (s != null) {
        s.close();
      }
    }
  }

  private VouchServer server(List<Path> roots, List<Path> intermediates) throws Exception {
    return VouchServer.start(
        TestServers.plain(dir.resolve("data"))
            .withRegistrar(
                new ServerConfig.Registrar(roots, intermediates, Duration.ofSeconds(60))));
  }

  /** swtpm's local CA cannot sign CRLs (keyCertSign only): revocation is off, explicitly. */
  private VouchServer swtpmTrustingServer() throws Exception {
    List<Path> ca = Swtpm.localCaCertificates();
    return VouchServer.start(
        TestServers.plain(dir.resolve("data"))
            .withRegistrar(
                new ServerConfig.Registrar(
                        List.of(ca.get(0)), List.of(ca.get(1)), Duration.ofSeconds(60))
                    .withEkRevocation(false)));
  }

  private static ObjectNode enrollment(String hostId, Enrollment.Material m) {
    ObjectNode n = TestServers.JSON.createObjectNode();
    n.put("host_id", hostId);
    n.put("ek_public", Base64.getEncoder().encodeToString(m.ekPublic()));
    n.put("ek_certificate", Base64.getEncoder().encodeToString(m.ekCertificate()));
    n.put("ak_public", Base64.getEncoder().encodeToString(m.akPublic()));
    return n;
  }

  private static String secretJson(byte[] secret) {
    return "{\"secret\":\"" + Base64.getEncoder().encodeToString(secret) + "\"}";
  }

  /** The TPM behind {@code enrollment} opens the challenge in {@code reply}. */
  private static byte[] recover(Enrollment enrollment, Reply reply) throws Exception {
    JsonNode c = reply.json();
    return enrollment.activate(
        new Enrollment.Challenge(
            c.get("challenge_id").asText(),
            Base64.getDecoder().decode(c.get("credential_blob").asText()),
            Base64.getDecoder().decode(c.get("encrypted_secret").asText())));
  }

  private static String activation(Reply begun) {
    return ENROLL + "/" + begun.json().get("challenge_id").asText() + "/activation";
  }

  private static void assertProblem(Reply r, int status, String code) {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/problem+json");
    assertThat(r.json().get("type").asText()).isEqualTo(Problem.TYPE_PREFIX + code);
  }

  private static int rows(VouchServer s, String table) {
    return s.services()
        .database()
        .read(
            c -> {
              try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table);
                  ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
              }
            });
  }

  @Test
  void agentEnrollsAndTheHostJoinsTheAttestationManager() throws Exception {
    try (VouchServer s = swtpmTrustingServer()) {
      Client http = new Client(s.baseUri());
      ObjectNode req = enrollment("node-1", materialA);
      req.put("host_group", "edge");
      req.put("connection", "https://10.1.2.3:9443");
      req.putArray("flavor_groups").add("gold");
      Reply begun = http.post(ENROLL, req.toString(), false);
      assertThat(begun.status()).as(begun.body()).isEqualTo(201);
      JsonNode c = begun.json();
      assertThat(c.get("challenge_id").asText()).matches("[0-9a-f]{32}");
      assertThat(Instant.parse(c.get("expires").asText()))
          .isBetween(Instant.now().plusSeconds(50), Instant.now().plusSeconds(61));

      Reply done = http.post(activation(begun), secretJson(recover(enrollmentA, begun)), false);
      assertThat(done.status()).as(done.body()).isEqualTo(200);
      JsonNode host = done.json();
      assertThat(host.get("host_id").asText()).isEqualTo("node-1");
      assertThat(host.get("ak_name").asText()).isEqualTo(Hex.encode(enrollmentA.ak().name()));
      assertThat(host.get("host_group").asText()).isEqualTo("edge");
      assertThat(host.get("connection").asText()).isEqualTo("https://10.1.2.3:9443");
      assertThat(host.get("status").asText()).isEqualTo("UNKNOWN");

      Host managed = new HostRegistry(s.services().database()).get("node-1").orElseThrow();
      assertThat(managed.group()).isEqualTo("edge");
      assertThat(managed.connection()).isEqualTo("https://10.1.2.3:9443");
      // the flavor group the agent asked for, recorded as the agent's choice
      assertThat(s.monitor().flavors().assignments("node-1"))
          .extracting(a -> a.group() + "/" + a.by())
          .containsExactly("gold/AGENT");
      assertThat(s.registrar().store().host("node-1").orElseThrow().akName())
          .isEqualTo(enrollmentA.ak().name());

      Reply fetched = http.get("/api/v1/registrar/hosts/node-1", true);
      assertThat(fetched.status()).isEqualTo(200);
      assertThat(fetched.json().get("ak_name").asText()).isEqualTo(host.get("ak_name").asText());

      // the same TPM enrolling again (an agent restart, now over NATS, asking for another group)
      // is accepted, keeps the host scheduled in its group and reaches it where the agent now
      // serves, at once
      ObjectNode moved = enrollment("node-1", materialA);
      moved.put("host_group", "lab");
      moved.put("connection", "nats");
      moved.putArray("flavor_groups").add("lenient");
      Reply again = http.post(ENROLL, moved.toString(), false);
      assertThat(again.status()).isEqualTo(201);
      assertThat(
              http.post(activation(again), secretJson(recover(enrollmentA, again)), false).status())
          .isEqualTo(200);
      List<Host> scheduled = new HostRegistry(s.services().database()).list();
      assertThat(scheduled).hasSize(1);
      assertThat(scheduled.get(0).group()).isEqualTo("edge");
      assertThat(scheduled.get(0).connection()).isEqualTo("nats");
      assertThat(scheduled.get(0).nextDue()).isBeforeOrEqualTo(java.time.Instant.now());
      // a re-enrolling agent cannot move its host into other flavor groups
      assertThat(s.monitor().flavors().assignments("node-1"))
          .extracting(a -> a.group())
          .containsExactly("gold");

      JsonNode paths = http.get("/api/v1/openapi.json", false).json().get("paths");
      assertThat(paths.has(ENROLL)).isTrue();
      assertThat(paths.has(ENROLL + "/{challenge_id}/activation")).isTrue();
      assertThat(paths.get("/api/v1/registrar/hosts/{id}").has("delete")).isTrue();
    }
  }

  /**
   * Two TPMs enroll over HTTP with their agents' own NATS user keys on a server whose NATS runs
   * with the server-issued operator and account: each gets a JWT for its own key, connects with it,
   * and cannot read the other's requests; a bad key is refused before the challenge is used up.
   */
  @Test
  void agentsEnrollingWithANatsUserKeyGetCredentialsConfinedToTheirHost() throws Exception {
    Path data = dir.resolve("data");
    Path natsDir = dir.resolve("nats-auth");
    // the operator as the server keeps it (under the KEK it will find in the data dir), so that
    // nats-server can be started from the file the server writes before the server connects
    NatsAuthority.loadOrCreate(natsDir, Sealer.load(Optional.empty(), data.resolve("kek")));
    List<Path> ca = Swtpm.localCaCertificates();
    try (NatsServer nats =
            NatsServer.withConfig(
                Files.readString(natsDir.resolve(NatsAuthority.SERVER_CONFIG_FILE)));
        VouchServer s =
            VouchServer.start(
                TestServers.plain(data)
                    .withRegistrar(
                        new ServerConfig.Registrar(
                                List.of(ca.get(0)), List.of(ca.get(1)), Duration.ofSeconds(60))
                            .withEkRevocation(false))
                    .withHosts(
                        ServerConfig.Hosts.defaults()
                            .withNatsUrl(nats.url())
                            .withNatsAuthDir(natsDir)))) {
      Client http = new Client(s.baseUri());
      NatsCredentials keyA = NatsCredentials.generate();
      NatsCredentials keyB = NatsCredentials.generate();

      Reply begunA = http.post(ENROLL, enrollment("node-a", materialA).toString(), false);
      byte[] secretA = recover(enrollmentA, begunA);
      ObjectNode badKey = TestServers.JSON.createObjectNode();
      badKey.put("secret", Base64.getEncoder().encodeToString(secretA));
      badKey.put("nats_user_key", keyA.publicKey().replace('U', 'A'));
      assertProblem(http.post(activation(begunA), badKey.toString(), false), 400, "bad-request");
      Reply doneA = http.post(activation(begunA), activationWithKey(secretA, keyA), false);
      assertThat(doneA.status()).as(doneA.body()).isEqualTo(200);
      Reply begunB = http.post(ENROLL, enrollment("node-b", materialB).toString(), false);
      Reply doneB =
          http.post(
              activation(begunB), activationWithKey(recover(enrollmentB, begunB), keyB), false);
      assertThat(doneB.status()).as(doneB.body()).isEqualTo(200);

      String jwtA = doneA.json().get("nats_jwt").asText();
      JsonNode claims =
          TestServers.JSON.readTree(Base64.getUrlDecoder().decode(jwtA.split("\\.")[1]));
      assertThat(claims.get("sub").asText()).isEqualTo(keyA.publicKey());
      assertThat(claims.at("/nats/sub/allow").toString())
          .isEqualTo("[\"" + NatsSubjects.quote("node-a") + "\"]");
      assertThat(claims.at("/nats/pub/allow").toString())
          .isEqualTo("[\"" + NatsSubjects.announce("node-a") + "\"]");

      java.util.Queue<String> errors = new java.util.concurrent.ConcurrentLinkedQueue<>();
      try (Connection a =
              Nats.connect(
                  new Options.Builder()
                      .server(nats.url())
                      .authHandler(keyA.authHandler(jwtA))
                      .errorListener(
                          new ErrorListener() {
                            @Override
                            public void errorOccurred(Connection conn, String error) {
                              errors.add(error);
                            }
                          })
                      .build());
          Connection b =
              Nats.connect(
                  new Options.Builder()
                      .server(nats.url())
                      .authHandler(keyB.authHandler(doneB.json().get("nats_jwt").asText()))
                      .build())) {
        b.subscribe(NatsSubjects.quote("node-b"));
        b.flush(Duration.ofSeconds(5));
        a.subscribe(NatsSubjects.quote("node-b"));
        a.flush(Duration.ofSeconds(5));
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (errors.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(errors)
            .anyMatch(e -> e.contains("Permissions Violation for Subscription to \"vouch.agent"));
      }
    }
  }

  private static String activationWithKey(byte[] secret, NatsCredentials key) {
    ObjectNode n = TestServers.JSON.createObjectNode();
    n.put("secret", Base64.getEncoder().encodeToString(secret));
    n.put("nats_user_key", key.publicKey());
    return n.toString();
  }

  @Test
  void malformedRequestsAre400ProblemsAndStoreNothing() throws Exception {
    try (VouchServer s = swtpmTrustingServer()) {
      Client http = new Client(s.baseUri());
      assertProblem(http.post(ENROLL, "{\"host_id\":", false), 400, "malformed-json");
      assertProblem(http.post(ENROLL, "[]", false), 400, "malformed-json");

      ObjectNode badB64 = enrollment("node-1", materialA);
      badB64.put("ek_certificate", "not*base64!");
      assertProblem(http.post(ENROLL, badB64.toString(), false), 400, "bad-request");

      ObjectNode missing = enrollment("node-1", materialA);
      missing.remove("ak_public");
      assertProblem(http.post(ENROLL, missing.toString(), false), 400, "bad-request");

      ObjectNode extra = enrollment("node-1", materialA);
      extra.put("ek_private", "AA==");
      assertProblem(http.post(ENROLL, extra.toString(), false), 400, "bad-request");

      ObjectNode notDer = enrollment("node-1", materialA);
      notDer.put("ek_certificate", "MAMBAgM=");
      assertProblem(http.post(ENROLL, notDer.toString(), false), 400, "malformed-request");

      ObjectNode badHost = enrollment("node.1", materialA);
      assertProblem(http.post(ENROLL, badHost.toString(), false), 400, "malformed-request");

      ObjectNode badGroup = enrollment("node-1", materialA);
      badGroup.put("host_group", "a b");
      assertProblem(http.post(ENROLL, badGroup.toString(), false), 400, "malformed-request");

      ObjectNode hostUnique = enrollment("node-1", materialA);
      hostUnique.putArray("flavor_groups").add("host_unique");
      assertProblem(http.post(ENROLL, hostUnique.toString(), false), 400, "malformed-request");

      ObjectNode groupsNotNames = enrollment("node-1", materialA);
      groupsNotNames.putArray("flavor_groups").add(7);
      assertProblem(http.post(ENROLL, groupsNotNames.toString(), false), 400, "malformed-request");

      ObjectNode groupsNotList = enrollment("node-1", materialA);
      groupsNotList.put("flavor_groups", "gold");
      assertProblem(http.post(ENROLL, groupsNotList.toString(), false), 400, "malformed-request");

      ObjectNode plainHttp = enrollment("node-1", materialA);
      plainHttp.put("connection", "http://10.0.0.1:9443");
      assertProblem(http.post(ENROLL, plainHttp.toString(), false), 400, "malformed-request");

      ObjectNode akIsEk = enrollment("node-1", materialA);
      akIsEk.put("ak_public", Base64.getEncoder().encodeToString(materialA.ekPublic()));
      assertProblem(http.post(ENROLL, akIsEk.toString(), false), 422, "ak-not-restricted-signing");

      Reply begun = http.post(ENROLL, enrollment("node-1", materialA).toString(), false);
      assertProblem(http.post(activation(begun), "{\"secret\":\"%%\"}", false), 400, "bad-request");
      assertProblem(http.post(activation(begun), "{}", false), 400, "bad-request");

      assertThat(rows(s, "enrollment_challenges")).as("only the well-formed request").isEqualTo(1);
      assertThat(rows(s, "enrolled_hosts")).isZero();
      assertThat(rows(s, "hosts")).isZero();
    }
  }

  @Test
  void unknownWrongAndReplayedAnswersAreRefused() throws Exception {
    try (VouchServer s = swtpmTrustingServer()) {
      Client http = new Client(s.baseUri());
      assertProblem(
          http.post(
              ENROLL + "/" + "00".repeat(16) + "/activation", secretJson(new byte[32]), false),
          404,
          "challenge-unknown");

      Reply begun = http.post(ENROLL, enrollment("node-1", materialA).toString(), false);
      byte[] secret = recover(enrollmentA, begun);
      byte[] wrong = secret.clone();
      wrong[0] ^= 1;
      Reply refused = http.post(activation(begun), secretJson(wrong), false);
      assertProblem(refused, 422, "activation-failed");
      assertThat(refused.json().get("error").asText()).isEqualTo("ACTIVATION_FAILED");
      // the challenge is spent by the wrong answer: the right one comes too late
      assertProblem(
          http.post(activation(begun), secretJson(secret), false), 409, "challenge-replayed");
      assertThat(s.registrar().store().host("node-1")).isEmpty();
      assertThat(new HostRegistry(s.services().database()).get("node-1")).isEmpty();

      Reply second = http.post(ENROLL, enrollment("node-1", materialA).toString(), false);
      byte[] ok = recover(enrollmentA, second);
      assertThat(http.post(activation(second), secretJson(ok), false).status()).isEqualTo(200);
      assertProblem(
          http.post(activation(second), secretJson(ok), false), 409, "challenge-replayed");
    }
  }

  @Test
  void ekCertificatesOutsideTheConfiguredRootsAreRefused() throws Exception {
    Path otherRoot = dir.resolve("other-root.pem");
    Files.writeString(otherRoot, selfSignedPem());
    try (VouchServer s = server(List.of(otherRoot), List.of())) {
      Reply r = new Client(s.baseUri()).post(ENROLL, enrollment("n", materialA).toString(), false);
      assertProblem(r, 422, "ek-chain-untrusted");
      assertThat(r.json().get("failure").asText()).isEqualTo("CHAIN_UNTRUSTED");
      assertThat(rows(s, "enrollment_challenges")).isZero();
    }
  }

  @Test
  void byDefaultAnEkWhoseIssuersPublishNoCrlIsRefusedAsRevocationUnknown() throws Exception {
    List<Path> ca = Swtpm.localCaCertificates();
    try (VouchServer s = server(List.of(ca.get(0)), List.of(ca.get(1)))) {
      Reply r = new Client(s.baseUri()).post(ENROLL, enrollment("n", materialA).toString(), false);
      assertThat(r.status()).as(r.body()).isEqualTo(422);
      assertThat(r.json().get("failure").asText()).isEqualTo("COLLATERAL_MISSING");
      assertThat(rows(s, "enrollment_challenges")).isZero();
    }
  }

  @Test
  void withoutRootsTheRegistrarRunsAndRefusesEveryEnrollmentClearly() throws Exception {
    try (VouchServer s = server(List.of(), List.of())) {
      Reply r = new Client(s.baseUri()).post(ENROLL, enrollment("n", materialA).toString(), false);
      assertProblem(r, 422, "ek-roots-not-configured");
      assertThat(r.json().get("detail").asText()).contains("registrar.ek_roots");
    }
  }

  @Test
  void adminRoutesNeedTheTokenAndAnotherTpmNeedsTheOldEnrollmentRemoved() throws Exception {
    try (VouchServer s = swtpmTrustingServer()) {
      Client http = new Client(s.baseUri());
      Reply a = http.post(ENROLL, enrollment("node-1", materialA).toString(), false);
      assertThat(http.post(activation(a), secretJson(recover(enrollmentA, a)), false).status())
          .isEqualTo(200);

      assertProblem(http.get("/api/v1/registrar/hosts/node-1", false), 401, "unauthorized");
      assertProblem(http.delete("/api/v1/registrar/hosts/node-1", false), 401, "unauthorized");
      assertProblem(http.get("/api/v1/registrar/hosts/nobody", true), 404, "host-not-enrolled");

      Reply other = http.post(ENROLL, enrollment("node-1", materialB).toString(), false);
      assertProblem(other, 409, "host-bound-to-other-tpm");

      assertThat(http.delete("/api/v1/registrar/hosts/node-1", true).status()).isEqualTo(204);
      assertProblem(http.get("/api/v1/registrar/hosts/node-1", true), 404, "host-not-enrolled");
      assertProblem(http.delete("/api/v1/registrar/hosts/node-1", true), 404, "host-not-enrolled");

      Reply b = http.post(ENROLL, enrollment("node-1", materialB).toString(), false);
      assertThat(b.status()).as(b.body()).isEqualTo(201);
      Reply done = http.post(activation(b), secretJson(recover(enrollmentB, b)), false);
      assertThat(done.status()).isEqualTo(200);
      assertThat(done.json().get("ak_name").asText())
          .isEqualTo(Hex.encode(enrollmentB.ak().name()));
    }
  }

  private static String selfSignedPem() throws Exception {
    var g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    var k = g.generateKeyPair();
    X500Name n = new X500Name("CN=Not the swtpm CA");
    byte[] der =
        new JcaX509v3CertificateBuilder(
                n,
                BigInteger.TWO,
                Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plusSeconds(3600)),
                n,
                k.getPublic())
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate()))
            .getEncoded();
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END CERTIFICATE-----\n";
  }
}
