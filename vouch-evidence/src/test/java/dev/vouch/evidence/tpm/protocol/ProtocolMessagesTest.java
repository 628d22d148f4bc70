package dev.vouch.evidence.tpm.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProtocolMessagesTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void assertFailure(byte[] json, Failure failure) {
    assertThatThrownBy(() -> QuoteRequest.parse(json))
        .isInstanceOf(VerificationException.class)
        .satisfies(e -> assertThat(((VerificationException) e).failure()).isEqualTo(failure));
  }

  @Test
  void quoteRequestReadsBackWhatItWrites() throws Exception {
    QuoteRequest r =
        new QuoteRequest(
            new byte[] {1, 2, 3},
            Map.of(
                HashAlg.SHA256,
                new TreeSet<>(List.of(7, 0)),
                HashAlg.SHA1,
                new TreeSet<>(List.of(10))),
            true,
            OptionalLong.of(42));
    assertThat(QuoteRequest.parse(r.toJson())).isEqualTo(r);
    assertThat(new String(r.toJson(), StandardCharsets.UTF_8))
        .contains("\"nonce\":\"010203\"")
        .contains("\"sha256\":[0,7]")
        .contains("\"ima_offset\":42");
  }

  @Test
  void quoteRequestDefaultsToNoLogs() throws Exception {
    QuoteRequest r = QuoteRequest.parse(utf8("{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[0]}}"));
    assertThat(r.includeEventLog()).isFalse();
    assertThat(r.imaOffset()).isEmpty();
    assertThat(r.includeSoftware()).isFalse();
    // an agent of the release before asks-for-software sees the request it knows
    assertThat(new String(r.toJson(), StandardCharsets.UTF_8)).doesNotContain("software");
  }

  @Test
  void softwareMeasurementsAreAskedForAndTravelInOrder() throws Exception {
    QuoteRequest r =
        QuoteRequest.parse(utf8("{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[15]},\"software\":true}"));
    assertThat(r.includeSoftware()).isTrue();
    assertThat(QuoteRequest.parse(r.toJson())).isEqualTo(r);
    List<SoftwareMeasurement> log =
        List.of(
            new SoftwareMeasurement("/opt/a", HashAlg.SHA256.digest(utf8("a"))),
            new SoftwareMeasurement("/opt/b", SoftwareMeasurement.ABSENT));
    byte[] pcr = new byte[32];
    for (SoftwareMeasurement m : log) {
      pcr = PcrValues.extend(HashAlg.SHA256, pcr, m.sha256());
    }
    assertThat(SoftwareMeasurement.replay(log)).isEqualTo(pcr);
    assertThat(SoftwareMeasurement.fromJson(SoftwareMeasurement.toJson(log))).isEqualTo(log);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{}",
        "[{\"path\":\"/a\"}]",
        "[{\"path\":\"\",\"sha256\":\"00\"}]",
        "[{\"path\":\"/a\",\"sha256\":\"00\"}]",
        "[{\"path\":\"/a\",\"sha256\":\"zz\"}]",
        "[{\"path\":1,\"sha256\":\"00\"}]",
        "[{\"path\":\"/a\",\"sha256\":\"%s\",\"size\":1}]",
      })
  void malformedSoftwareMeasurementsAreRefused(String json) {
    String filled = json.replace("%s", "00".repeat(32));
    assertThatThrownBy(() -> SoftwareMeasurement.fromJson(Json.MAPPER.readTree(filled)))
        .isInstanceOf(VerificationException.class)
        .extracting(e -> ((VerificationException) e).failure())
        .isEqualTo(Failure.MALFORMED);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "[]",
        "{}",
        "{\"nonce\":\"0g\",\"pcrs\":{\"sha256\":[0]}}",
        "{\"nonce\":\"\",\"pcrs\":{\"sha256\":[0]}}",
        "{\"nonce\":\"00\",\"pcrs\":{}}",
        "{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[]}}",
        "{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[24]}}",
        "{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[-1]}}",
        "{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[\"1\"]}}",
        "{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[0]},\"ima_offset\":-1}",
        "{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[0]},\"event_log\":\"yes\"}",
        "{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[0]},\"extra\":1}",
        "{\"nonce\":\"00\",\"nonce\":\"01\",\"pcrs\":{\"sha256\":[0]}}",
        "{\"nonce\":\"00\",\"pcrs\":{\"sha256\":[0]}} {}",
      })
  void malformedQuoteRequestsAreRefused(String json) {
    assertFailure(utf8(json), Failure.MALFORMED);
  }

  @Test
  void nonceLongerThanTpm2QuoteTakesIsRefused() {
    assertFailure(
        utf8("{\"nonce\":\"" + "00".repeat(65) + "\",\"pcrs\":{\"sha256\":[0]}}"),
        Failure.MALFORMED);
  }

  @Test
  void unknownBankIsUnsupported() {
    assertFailure(utf8("{\"nonce\":\"00\",\"pcrs\":{\"md5\":[0]}}"), Failure.UNSUPPORTED);
  }

  @Test
  void quoteResponseCarriesTheBundleUnchanged() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    TpmEvidenceBundle bundle =
        new TpmEvidenceBundle(
            AkKeys.of(g.generateKeyPair().getPublic()),
            Optional.empty(),
            List.of(),
            List.of(new TpmEvidenceBundle.Quote(new byte[] {1, 2}, new byte[] {3, 4})),
            PcrValues.builder().put(HashAlg.SHA256, 0, new byte[32]).build(),
            Optional.of(new byte[] {9, 9}),
            Optional.empty(),
            Optional.empty());
    HostInfo host =
        new HostInfo(
            "Debian",
            "12",
            "6.1",
            "",
            "",
            "IBM",
            "SW   TPM",
            "1.2.3.4",
            "4c4c4544-0042-3510-8052-b4c04f4d3232");
    QuoteResponse r = new QuoteResponse("node-1", bundle, host, 5);
    QuoteResponse back = QuoteResponse.parse(r.toJson());
    assertThat(back.hostId()).isEqualTo("node-1");
    assertThat(back.host()).isEqualTo(host);
    assertThat(back.imaOffset()).isEqualTo(5);
    assertThat(back.evidence().toJson()).isEqualTo(bundle.toJson());
    assertThat(AgentProblem.isProblem(r.toJson())).isFalse();
  }

  @Test
  void theAgentsDiskEncryptionClaimTravelsOnlyWhenKnown() throws Exception {
    HostInfo unknown = new HostInfo("Fedora", "41", "6.11", "", "", "IBM", "SW", "1.2.3.4", "");
    HostInfo luks =
        new HostInfo(
            "Fedora", "41", "6.11", "", "", "IBM", "SW", "1.2.3.4", "", "rd.luks.uuid=luks-1");
    // left out when unknown, so that a server older than the member still accepts the answer
    assertThat(new String(unknown.toJsonNode().toString())).doesNotContain("disk_encryption");
    assertThat(HostInfo.fromJsonNode(luks.toJsonNode())).isEqualTo(luks);
    assertThat(HostInfo.fromJsonNode(unknown.toJsonNode()).diskEncryption()).isEmpty();
    assertThatThrownBy(
            () ->
                HostInfo.fromJsonNode(
                    Json.MAPPER.readTree("{\"disk_encryption\":1,\"os_name\":\"x\"}")))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void quoteResponseWithAnInvalidHostIdIsRefused() {
    assertThatThrownBy(
            () -> QuoteResponse.parse(utf8("{\"host_id\":\"a.b\",\"evidence\":{},\"host\":{}}")))
        .isInstanceOf(VerificationException.class)
        .satisfies(
            e -> assertThat(((VerificationException) e).failure()).isEqualTo(Failure.MALFORMED));
  }

  @Test
  void problemDocumentsReadBackAndAreToldApartFromResponses() throws Exception {
    AgentProblem p = new AgentProblem("TPM_ERROR", 500, "TPM2_Quote failed");
    assertThat(AgentProblem.isProblem(p.toJson())).isTrue();
    assertThat(AgentProblem.parse(p.toJson())).isEqualTo(p);
    assertThat(p.type()).isEqualTo("urn:vouch:agent:tpm_error");
    assertThat(AgentProblem.isProblem(utf8("not json"))).isFalse();
  }

  @Test
  void announcementReadsBackAndRefusesBadHostIdsAndCounters() throws Exception {
    AgentAnnouncement a = new AgentAnnouncement("node_1-a", 12, 3);
    assertThat(AgentAnnouncement.parse(a.toJson())).isEqualTo(a);
    for (String bad :
        List.of(
            "{\"host_id\":\"x y\",\"reset_count\":1,\"restart_count\":0}",
            "{\"host_id\":\"x\",\"reset_count\":-1,\"restart_count\":0}",
            "{\"host_id\":\"x\",\"reset_count\":1.5,\"restart_count\":0}",
            "{\"host_id\":\"x\",\"reset_count\":1}")) {
      assertThatThrownBy(() -> AgentAnnouncement.parse(utf8(bad)))
          .as(bad)
          .isInstanceOf(VerificationException.class);
    }
  }

  @Test
  void hostIdsAreOneNatsTokenOfSafeCharacters() {
    assertThat(HostIds.isValid("node-1_A")).isTrue();
    assertThat(HostIds.isValid("a".repeat(128))).isTrue();
    for (String bad : new String[] {"", "a".repeat(129), "a.b", "a*", "a>", "a b", "ü", null}) {
      assertThat(HostIds.isValid(bad)).as(String.valueOf(bad)).isFalse();
    }
  }
}
