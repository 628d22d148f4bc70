package dev.vouch.cli.kbs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.kbs.EvidenceProvider;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.agent.kbs.TpmEvidenceProvider;
import dev.vouch.agent.tpm.MeasuredBoot;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.StartupType;
import dev.vouch.agent.tpm.Swtpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.cli.Main;
import dev.vouch.core.Tee;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.InMemorySessionStore;
import dev.vouch.server.kbs.KbsConfig;
import dev.vouch.server.kbs.KbsRoutes;
import dev.vouch.server.kbs.KbsService;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 5 on a real swtpm: the agent's KBS client and {@code vouch kbs get-resource} against the
 * KBS on its own Javalin app with the server's real attestation service (sample kind explicitly
 * enabled) and the strict default TPM policy, reference values taken from the TPM as enrolled.
 */
class KbsEndToEndTest {
  static final String SECRET = "luks-passphrase-7f3a9c";
  static Swtpm swtpm;
  // a real Secure Boot firmware log and IMA list, measured into the swtpm as firmware and kernel
  // did: the default TPM policy affirms only evidence that carries them
  static final Path LOG =
      Path.of("../vouch-evidence/src/test/resources/vectors/tpm-eventlog/keylime")
          .resolve("binary_bios_measurements-secureboot");
  static final Path IMA =
      Path.of("../vouch-evidence/src/test/resources/vectors/ima/keylime")
          .resolve("ima-log-sha256.binary_runtime_measurements");
  static String akSpkiSha256;
  static PcrValues pcrs;
  RealAttestation backend;
  KbsService service;
  Javalin app;

  @BeforeAll
  static void tpm() throws Exception {
    swtpm = Swtpm.start();
    try (TpmClient c = swtpm.client()) {
      c.startup(StartupType.CLEAR);
      MeasuredBoot.measure(c, Files.readAllBytes(LOG), Files.readAllBytes(IMA));
      Enrollment e = Enrollment.withDefaults(c);
      e.prepare();
      PersistentKey ak = e.ak();
      akSpkiSha256 =
          Hex.encode(HashAlg.SHA256.digest(AkKeys.parse(ak.publicArea()).publicKey().getEncoded()));
      pcrs = c.pcrRead(List.of(PcrSelection.range(HashAlg.SHA256, 0, 23)));
    }
  }

  @AfterAll
  static void stopTpm() {
    if (swtpm != null) {
      swtpm.close();
    }
  }

  @BeforeEach
  void kbs() {
    start(ResourcePolicy.defaultPolicy());
  }

  void start(ResourcePolicy policy) {
    if (app != null) {
      app.stop();
    }
    if (backend != null) {
      backend.close();
    }
    backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
    backend.reference("tpm.trusted_aks", List.of(akSpkiSha256));
    for (int i : new int[] {0, 2, 4, 7}) {
      backend.reference(
          "tpm.pcr.sha256." + i, List.of(Hex.encode(pcrs.get(HashAlg.SHA256, i).orElseThrow())));
    }
    InMemoryResourceStore resources = new InMemoryResourceStore();
    resources.put(new ResourcePath("default", "key", "luks"), SECRET.getBytes());
    service =
        new KbsService(
            KbsConfig.defaults().withTees(EnumSet.of(Tee.TPM, Tee.SAMPLE)),
            Optional.<AttestationBackend>of(backend),
            Optional.empty(),
            new InMemorySessionStore(),
            resources,
            AdminAuth.denyAll(),
            policy,
            Clock.systemUTC(),
            new SecureRandom());
    app = Javalin.create(new KbsRoutes(service)::register).start("127.0.0.1", 0);
  }

  @org.junit.jupiter.api.AfterEach
  void stop() {
    app.stop();
    app = null;
    backend.close();
    backend = null;
  }

  static TpmEvidenceProvider measured(TpmClient c, PersistentKey ak) {
    return TpmEvidenceProvider.measuredBoot(c, ak, Optional.of(LOG), Optional.of(IMA));
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + app.port());
  }

  record Run(int exit, String out, String err) {}

  Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void agentClientGetsTheSecretWithGoodTpmEvidenceAndReusesItsToken() throws Exception {
    try (TpmClient c = swtpm.client()) {
      PersistentKey ak = Enrollment.withDefaults(c).ak();
      KbsClient kbs = KbsClient.create(url(), measured(c, ak));
      assertThat(new String(kbs.getResource("default", "key", "luks"))).isEqualTo(SECRET);
      String token = kbs.token();
      assertThat(new String(kbs.getResource("default", "key", "luks"))).isEqualTo(SECRET);
      assertThat(kbs.token()).isEqualTo(token);
      assertThat(kbs.usableUntil()).isPresent();
    }
  }

  @Test
  void cliPrintsTheSecretForGoodEvidence() {
    Run r =
        cli(
            "kbs",
            "get-resource",
            "--url",
            url().toString(),
            "default/key/luks",
            "--tee",
            "tpm",
            "--tpm",
            "swtpm:127.0.0.1:" + swtpm.port(),
            "--eventlog",
            LOG.toString(),
            "--ima",
            IMA.toString());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(SECRET);
  }

  @Test
  void aPcrThatDiffersFromItsReferenceGets403WithTheRuleAndNoSecret() {
    backend.reference("tpm.pcr.sha256.4", List.of("ff".repeat(32)));
    Run r =
        cli(
            "kbs",
            "get-resource",
            "--url",
            url().toString(),
            "default/key/luks",
            "--tpm",
            "swtpm:127.0.0.1:" + swtpm.port(),
            "--eventlog",
            LOG.toString(),
            "--ima",
            IMA.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("403").contains("PolicyDeny").contains("affirming");
    assertThat(r.out() + r.err()).doesNotContain(SECRET);
  }

  @Test
  void evidenceWithATamperedPcrValueIsRefusedWith401() throws Exception {
    try (TpmClient c = swtpm.client()) {
      PersistentKey ak = Enrollment.withDefaults(c).ak();
      TpmEvidenceProvider real = measured(c, ak);
      EvidenceProvider tampered =
          new EvidenceProvider() {
            @Override
            public String tee() {
              return "tpm";
            }

            @Override
            public JsonNode evidence(byte[] digest) throws dev.vouch.agent.kbs.EvidenceException {
              ObjectNode e = (ObjectNode) real.evidence(digest);
              ((ObjectNode) e.get("pcrs").get("sha256")).put("4", "11".repeat(32));
              return e;
            }
          };
      KbsClient kbs = KbsClient.create(url(), tampered);
      assertThatThrownBy(() -> kbs.getResource("default", "key", "luks"))
          .isInstanceOfSatisfying(
              KbsException.class,
              e -> {
                assertThat(e.status()).isEqualTo(401);
                assertThat(e.kind()).isEqualTo("AttestationError");
                assertThat(e.getMessage()).contains("PCR_DIGEST_MISMATCH").doesNotContain(SECRET);
              });
    }
  }

  @Test
  void aDenyingPolicyGets403() throws Exception {
    start(
        ResourcePolicy.compile(
            "rules:\n  - name: nothing_released\n    category: sourced_data\n    expr: 'false'\n"));
    Run r =
        cli(
            "kbs",
            "get-resource",
            "--url",
            url().toString(),
            "default/key/luks",
            "--tpm",
            "swtpm:127.0.0.1:" + swtpm.port(),
            "--eventlog",
            LOG.toString(),
            "--ima",
            IMA.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("403").contains("nothing_released");
    assertThat(r.out() + r.err()).doesNotContain(SECRET);
  }

  @Test
  void explicitlyChosenSampleEvidenceWorksAgainstAKbsThatAcceptsSample() {
    Run r =
        cli(
            "kbs",
            "get-resource",
            "--url",
            url().toString(),
            "default/key/luks",
            "--tee",
            "sample");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(SECRET);
  }

  @Test
  void aBadPathIsBadInput() {
    Run r =
        cli("kbs", "get-resource", "--url", url().toString(), "default/luks", "--tee", "sample");
    assertThat(r.exit()).isEqualTo(2);
  }
}
