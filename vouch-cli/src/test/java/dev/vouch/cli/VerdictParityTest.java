package dev.vouch.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.server.TestServers;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For the same evidence, collateral and time, {@code POST /api/v1/attest} and {@code vouch verify}
 * give the same verdict, the same failure code and the same claims. Every evidence sample named in
 * the research vectors' {@code expected.json} of {@code tdx}, {@code sev-snp} and {@code cca} goes
 * through both: a server started with the sample's collateral folder ({@code --collateral}) and its
 * clock pinned to the sample's recorded verification time, asked with {@code "freshness": "none"}
 * (recorded evidence cannot bind a fresh nonce), and the CLI with the same folder and {@code --at}.
 */
class VerdictParityTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** When a sample records no verification time: inside every sample certificate's validity. */
  private static final Instant DEFAULT_AT = Instant.parse("2025-07-01T00:00:00Z");

  /** A TDX sample without collateral of its own is given this (so that the server accepts TDX). */
  private static final String TDX_FALLBACK = "dcap-qvl/tdx_quote_collateral.json";

  /**
   * Samples the vectors say verify (with the collateral given here): the parity must not be reached
   * by both sides failing alike on everything.
   */
  private static final Set<String> VALID =
      Set.of(
          "tdx/dcap-qvl/tdx_quote",
          "tdx/sgx/sgx_quote",
          "sev-snp/virtee-sev/report_milan.hex",
          "sev-snp/trustee/test-report.bin",
          "cca/ccatoken/cca_token.cbor",
          "cca/trustee/cca-example-token.cbor");

  /** SEV-SNP: the VEK (and chain) files of each report, as the vectors' MANIFEST names them. */
  private static final Map<String, List<String>> SNP_COLLATERAL =
      Map.of(
          "virtee-sev/report_milan.hex",
          List.of("virtee-sev/vcek_milan.der", "virtee-sev/cert_chain_milan"),
          "trustee/test-report.bin",
          List.of("trustee/test-vcek.der"),
          "trustee/test-vlek-report.bin",
          List.of("trustee/test-vlek.der"));

  /** CCA: the platform key each token's expected.json entry names. */
  private static final Map<String, List<String>> CCA_COLLATERAL =
      Map.of(
          "ccatoken/cca_token.cbor", List.of("ccatoken/cca_platform.pub"),
          "trustee/cca-example-token.cbor", List.of("trustee/cpak-pub.json"),
          "psatoken/psa-2_0_0_sign1.bin", List.of("psatoken/public.pem"),
          "psatoken/psa-iot-1_sign1.bin", List.of("psatoken/public.pem"));

  record Sample(String name, String tee, Path evidence, List<Path> collateral, Instant at) {
    @Override
    public String toString() {
      return name + " (" + tee + " at " + at + ")";
    }
  }

  static Path vectors() {
    return Research.vectors();
  }

  static Stream<Sample> samples() throws IOException {
    Path v = vectors();
    List<Sample> out = new ArrayList<>();
    JsonNode tdx = JSON.readTree(v.resolve("tdx/expected.json").toFile());
    for (Iterator<Map.Entry<String, JsonNode>> it = tdx.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode s = e.getValue();
      if (!s.has("header")) {
        continue; // CC event logs, not evidence
      }
      String tee = s.path("header").path("tee_type").asText().equals("0x81") ? "tdx" : "sgx";
      String dir = e.getKey().substring(0, e.getKey().indexOf('/') + 1);
      Path own = v.resolve("tdx").resolve(dir + s.path("collateral").asText());
      Path named = v.resolve("tdx").resolve(s.path("collateral").asText());
      Path collateral =
          Files.isRegularFile(own)
              ? own
              : Files.isRegularFile(named) ? named : v.resolve("tdx").resolve(TDX_FALLBACK);
      Instant at =
          s.hasNonNull("verification_time_used")
              ? Instant.parse(
                  s.get("verification_time_used").asText().replace(' ', 'T').replace("+00:00", "Z"))
              : DEFAULT_AT;
      out.add(
          new Sample(
              "tdx/" + e.getKey(),
              tee,
              v.resolve("tdx").resolve(e.getKey()),
              List.of(collateral),
              at));
    }
    JsonNode snp = JSON.readTree(v.resolve("sev-snp/expected.json").toFile());
    snp.fieldNames()
        .forEachRemaining(
            n ->
                out.add(
                    new Sample(
                        "sev-snp/" + n,
                        "snp",
                        v.resolve("sev-snp").resolve(n),
                        SNP_COLLATERAL.get(n).stream()
                            .map(c -> v.resolve("sev-snp").resolve(c))
                            .toList(),
                        DEFAULT_AT)));
    JsonNode cca = JSON.readTree(v.resolve("cca/expected.json").toFile());
    cca.fieldNames()
        .forEachRemaining(
            n ->
                out.add(
                    new Sample(
                        "cca/" + n,
                        "cca",
                        v.resolve("cca").resolve(n),
                        CCA_COLLATERAL.get(n).stream()
                            .map(c -> v.resolve("cca").resolve(c))
                            .toList(),
                        DEFAULT_AT)));
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void theServerAndTheCliGiveTheSameVerdict(Sample s, @TempDir Path tmp) throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("collateral"));
    for (Path c : s.collateral()) {
      Files.copy(c, folder.resolve(c.getFileName()));
    }

    // the recorded SEV-SNP samples come without AMD's CRL: both sides turn revocation off
    // explicitly, and both results must say so
    boolean noCrl = s.tee().equals("snp");
    List<String> args =
        new ArrayList<>(
            List.of(
                "verify",
                "--tee",
                s.tee(),
                "--evidence",
                s.evidence().toString(),
                "--collateral",
                folder.toString(),
                "--at",
                s.at().toString(),
                "--json"));
    if (noCrl) {
      args.add("--no-revocation");
    }
    CliRun cli = CliRun.of(args.toArray(String[]::new));
    assertThat(cli.exit()).as(cli.err()).isIn(0, 1);
    JsonNode c = cli.json();

    ServerConfig cfg = TestServers.plain(tmp.resolve("data"));
    cfg =
        cfg.withVerifiers(
            cfg.verifiers().withCollateralDirs(List.of(folder)).withRevocation(!noCrl));
    try (VouchServer server =
        VouchServer.start(cfg, Clock.fixed(s.at(), ZoneOffset.UTC), List.of())) {
      String body =
          JSON.writeValueAsString(
              Map.of(
                  "tee",
                  s.tee(),
                  "evidence",
                  Base64.getEncoder().encodeToString(Files.readAllBytes(s.evidence())),
                  "freshness",
                  "none"));
      Reply r = new Client(server.baseUri()).post("/api/v1/attest", body, false);
      if (c.get("valid").asBoolean()) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        Map<String, Object> cliClaims = JSON.convertValue(c.get("claims"), LinkedHashMap.class);
        Map<String, Object> serverClaims =
            JSON.convertValue(r.json().get("claims"), LinkedHashMap.class);
        assertThat(serverClaims).isEqualTo(cliClaims);
        if (noCrl) {
          assertThat(serverClaims).containsEntry("snp.revocation_checked", false);
        }
      } else if (c.at("/errors/0/code").asText().equals("COLLATERAL_EXPIRED")) {
        // expiry is a claim on both sides: the CLI refuses it as the default policy does, the
        // server's default policy contraindicates it, naming the rule, with the same claims
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().get("status").asText()).isEqualTo("contraindicated");
        assertThat(r.json().at("/claims/" + s.tee() + ".collateral_expiration_status").asText())
            .isEqualTo("1");
        String payload = r.json().get("token").asText().split("\\.")[1];
        assertThat(new String(Base64.getUrlDecoder().decode(payload), UTF_8))
            .contains("collateral_not_expired");
      } else {
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.json().get("failure").asText())
            .as(r.body())
            .isEqualTo(c.at("/errors/0/code").asText());
      }
    }
    if (VALID.contains(s.name())) {
      assertThat(c.get("valid").asBoolean()).as(cli.out()).isTrue();
    }
  }
}
