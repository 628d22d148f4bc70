package dev.vouch.server.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.agent.trust.NatsServer;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import dev.vouch.evidence.tpm.protocol.QuoteResponse;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import dev.vouch.server.hosts.AgentChannel;
import dev.vouch.server.hosts.HostAttestation;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.ImaProgress;
import dev.vouch.server.hosts.NatsAgentChannel;
import dev.vouch.server.hosts.QuotePlan;
import dev.vouch.server.registrar.InMemoryEnrollmentStore;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link HostAttestor} continuing a checkpoint against a real swtpm host and trust agent over
 * nats-server, with an agent answer altered in transit: every continuation that fails a check is
 * discarded and the whole list verified, and what fails then fails the attestation.
 */
class IncrementalImaAttestorTest {
  @TempDir Path dir;
  private NatsServer nats;
  private Connection verifierSide;
  private SwtpmHost host;
  private InMemoryEnrollmentStore store;

  @BeforeEach
  void start() throws Exception {
    nats = NatsServer.start();
    verifierSide = Nats.connect(nats.url());
    store = new InMemoryEnrollmentStore();
    host =
        SwtpmHost.start(
            "inc-1",
            SwtpmHost.SECURE_BOOT_LOG,
            Optional.of(SwtpmHost.IMA_LIST),
            dir,
            store,
            nats.url());
  }

  @AfterEach
  void stop() throws Exception {
    host.close();
    verifierSide.close();
    nats.close();
  }

  /** An attestor whose agent answers pass through {@code edit} (an attacker on the path). */
  private HostAttestor attestor(UnaryOperator<QuoteResponse> edit) {
    return attestor(edit, QuotePlan.firmwareAndIma());
  }

  private HostAttestor attestor(UnaryOperator<QuoteResponse> edit, QuotePlan plan) {
    AgentChannel real = new NatsAgentChannel(verifierSide, Duration.ofSeconds(10));
    AgentChannel channel = (id, request) -> edit.apply(real.quote(id, request));
    return new HostAttestor(store, channel, plan, Clock.systemUTC(), new SecureRandom());
  }

  private static QuoteResponse withSoftware(
      QuoteResponse r, Optional<java.util.List<SoftwareMeasurement>> software) {
    return new QuoteResponse(r.hostId(), r.evidence(), r.host(), r.imaOffset(), software);
  }

  @Test
  void softwareMeasurementsCountOnlyWhenTheyReplayToTheQuotedPcr15() throws Exception {
    java.nio.file.Path tool = java.nio.file.Files.writeString(dir.resolve("tool"), "tool v1");
    host.restartAgentWithSoftware(
        java.nio.file.Files.writeString(dir.resolve("manifest"), tool + "\n"));
    QuotePlan plan = QuotePlan.firmwareAndIma().withSoftware();
    HostAttestation honest = attestor(r -> r, plan).attest("inc-1");
    assertThat(honest.software().orElseThrow())
        .extracting(SoftwareMeasurement::path)
        .containsExactly(tool.toString());
    // a plan without software neither asks nor keeps them
    assertThat(attestor(r -> r).attest("inc-1").software()).isEmpty();

    SoftwareMeasurement forged =
        new SoftwareMeasurement(
            tool.toString(), HashAlg.SHA256.digest("tool v0".getBytes(StandardCharsets.UTF_8)));
    assertThatThrownBy(
            () ->
                attestor(r -> withSoftware(r, Optional.of(java.util.List.of(forged))), plan)
                    .attest("inc-1"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("software measurements replay to")
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.EVENT_LOG_MISMATCH);
    assertThatThrownBy(
            () ->
                attestor(r -> withSoftware(r, Optional.of(java.util.List.of())), plan)
                    .attest("inc-1"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the 0 software measurements replay to");
    assertThatThrownBy(() -> attestor(r -> withSoftware(r, Optional.empty()), plan).attest("inc-1"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("the agent sent no software measurements");
  }

  private static byte[] files(String... paths) {
    ImaListWriter w = new ImaListWriter(HashAlg.SHA1, false);
    for (String p : paths) {
      w.ng(10, "sha256", HashAlg.SHA256.digest(p.getBytes(StandardCharsets.UTF_8)), p);
    }
    return w.binary();
  }

  private static QuoteResponse withIma(QuoteResponse r, byte[] ima, long offset) {
    TpmEvidenceBundle e = r.evidence();
    return new QuoteResponse(
        r.hostId(),
        new TpmEvidenceBundle(
            e.ak(),
            e.akCert(),
            e.akChain(),
            e.quotes(),
            e.pcrs(),
            e.eventLog(),
            Optional.of(ima),
            Optional.empty()),
        r.host(),
        offset);
  }

  @Test
  void anHonestContinuationCarriesOnlyTheNewEntriesAndNoRestart() throws Exception {
    HostAttestor a = attestor(r -> r);
    HostAttestation first = a.attest("inc-1");
    ImaProgress p = first.imaProgress().orElseThrow();
    host.appendIma(files("/usr/bin/new-1", "/usr/bin/new-2"));
    HostAttestation next = a.attest("inc-1", Optional.of(p));
    assertThat(next.imaRestart()).isEmpty();
    assertThat(next.imaOffset()).isEqualTo(p.checkpoint().entries());
    assertThat(next.imaLog().orElseThrow()).isEqualTo(files("/usr/bin/new-1", "/usr/bin/new-2"));
    assertThat(next.imaProgress().orElseThrow().checkpoint().entries())
        .isEqualTo(p.checkpoint().entries() + 2);
    // nothing new: no entries sent, PCR 10 still the checkpoint's
    HostAttestation same = a.attest("inc-1", next.imaProgress());
    assertThat(same.imaRestart()).isEmpty();
    assertThat(same.imaLog()).isEmpty();
    assertThat(same.imaProgress()).isEqualTo(next.imaProgress());
  }

  @Test
  void theContinuationTravelsOverMutualTlsHttpsToo() throws Exception {
    dev.vouch.agent.trust.TestPki pki = dev.vouch.agent.trust.TestPki.create("Vouch agents CA");
    dev.vouch.agent.trust.TestPki.Issued agentCert = pki.issueTls("agent inc-1");
    dev.vouch.agent.trust.TestPki.Issued verifier = pki.issueTls("verifier");
    String url =
        host.serveHttps(
            dev.vouch.agent.trust.Tls.context(
                agentCert.keys().getPrivate(),
                java.util.List.of(agentCert.certificate()),
                java.util.List.of(pki.certificate())));
    AgentChannel https =
        new dev.vouch.server.hosts.HttpsAgentChannel(
            dev.vouch.agent.trust.Tls.context(
                verifier.keys().getPrivate(),
                java.util.List.of(verifier.certificate()),
                java.util.List.of(pki.certificate())),
            id -> Optional.of(java.net.URI.create(url)),
            Duration.ofSeconds(10));
    HostAttestor a =
        new HostAttestor(
            store, https, QuotePlan.firmwareAndIma(), Clock.systemUTC(), new SecureRandom());
    ImaProgress p = a.attest("inc-1").imaProgress().orElseThrow();
    host.appendIma(files("/usr/bin/over-https"));
    HostAttestation next = a.attest("inc-1", Optional.of(p));
    assertThat(next.imaRestart()).isEmpty();
    assertThat(next.imaOffset()).isEqualTo(p.checkpoint().entries());
    assertThat(next.imaLog().orElseThrow()).isEqualTo(files("/usr/bin/over-https"));
  }

  @Test
  void aContinuationFromAnotherOffsetIsDiscardedForTheWholeList() throws Exception {
    ImaProgress p = attestor(r -> r).attest("inc-1").imaProgress().orElseThrow();
    host.appendIma(files("/usr/bin/new-1"));
    // the first answer claims another offset; the whole-list answer after it is left alone
    boolean[] edited = {false};
    HostAttestor a =
        attestor(
            r -> {
              if (r.imaOffset() == 0 || edited[0]) {
                return r;
              }
              edited[0] = true;
              return withIma(r, r.evidence().imaLog().orElseThrow(), r.imaOffset() + 1);
            });
    HostAttestation h = a.attest("inc-1", Optional.of(p));
    assertThat(h.imaRestart())
        .hasValueSatisfying(s -> assertThat(s).startsWith("mismatch: MALFORMED"));
    assertThat(h.imaOffset()).isZero();
    assertThat(h.imaProgress().orElseThrow().checkpoint().entries())
        .isEqualTo(p.checkpoint().entries() + 1);
  }

  @Test
  void newEntriesThatDoNotExtendTheCheckpointFailOnceTheWholeListIsReadToo() throws Exception {
    ImaProgress p = attestor(r -> r).attest("inc-1").imaProgress().orElseThrow();
    host.appendIma(files("/usr/bin/really-run"));
    // the agent's answers are rewritten to hide the file that ran: a harmless name in its place
    byte[] hidden = files("/usr/bin/harmless");
    HostAttestor a = attestor(r -> r.imaOffset() == 0 ? r : withIma(r, hidden, r.imaOffset()));
    HostAttestation h = a.attest("inc-1", Optional.of(p));
    // the continuation failed; the whole list (unaltered here) shows what really ran
    assertThat(h.imaRestart())
        .hasValueSatisfying(s -> assertThat(s).startsWith("mismatch: EVENT_LOG_MISMATCH"));
    assertThat(new String(h.imaLog().orElseThrow(), StandardCharsets.ISO_8859_1))
        .contains("/usr/bin/really-run");

    // an attacker who alters the whole list as well gets the attestation refused
    byte[] flipped = files("/usr/bin/really-run");
    flipped[flipped.length - 2] ^= 0x01;
    HostAttestor both =
        attestor(
            r -> {
              byte[] all = r.evidence().imaLog().orElseThrow();
              if (r.imaOffset() != 0) {
                return withIma(r, flipped, r.imaOffset());
              }
              byte[] copy = all.clone();
              copy[copy.length - 2] ^= 0x01;
              return withIma(r, copy, 0);
            });
    assertThatThrownBy(() -> both.attest("inc-1", Optional.of(p)))
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.TEMPLATE_HASH_MISMATCH);
  }
}
