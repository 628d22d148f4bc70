package dev.vouch.evidence.dcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tdx.TdxClaims;
import dev.vouch.evidence.tdx.TdxEvidenceVerifier;
import dev.vouch.evidence.tdx.TdxVectors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A PCCS-compatible service on 127.0.0.1 (the JDK's HTTP server) serving Intel's real collateral
 * for the dcap-qvl TDX quote in PCS form: signed JSON bodies, percent-encoded issuer chains in
 * response headers, a PEM PCK CRL and a hex root CRL.
 */
class PccsCollateralSourceTest {
  private static final Instant AT = Instant.parse("2025-07-01T00:00:00Z");

  private HttpServer server;
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final AtomicReference<Instant> now = new AtomicReference<>(AT);
  private final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  @BeforeEach
  void start() throws Exception {
    JsonNode b =
        new ObjectMapper().readTree(TdxVectors.bytes("dcap-qvl/tdx_quote_collateral.json"));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    route(
        "/tdx/certification/v4/tcb",
        "fmspc=B0C06F000000",
        signed("tcbInfo", b.get("tcb_info").asText(), b.get("tcb_info_signature").asText()),
        "TCB-Info-Issuer-Chain",
        b.get("tcb_info_issuer_chain").asText());
    route(
        "/tdx/certification/v4/qe/identity",
        null,
        signed(
            "enclaveIdentity",
            b.get("qe_identity").asText(),
            b.get("qe_identity_signature").asText()),
        "SGX-Enclave-Identity-Issuer-Chain",
        b.get("qe_identity_issuer_chain").asText());
    route(
        "/sgx/certification/v4/pckcrl",
        "ca=platform",
        ("-----BEGIN X509 CRL-----\n"
                + Base64.getMimeEncoder().encodeToString(Hex.decode(b.get("pck_crl").asText()))
                + "\n-----END X509 CRL-----\n")
            .getBytes(StandardCharsets.US_ASCII),
        "SGX-PCK-CRL-Issuer-Chain",
        b.get("pck_crl_issuer_chain").asText());
    route(
        "/sgx/certification/v4/rootcacrl",
        null,
        b.get("root_ca_crl").asText().getBytes(StandardCharsets.US_ASCII),
        null,
        null);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static byte[] signed(String member, String json, String signature) {
    return ("{\"" + member + "\":" + json + ",\"signature\":\"" + signature + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private void route(String path, String query, byte[] body, String header, String chain) {
    hits.put(path, new AtomicInteger());
    server.createContext(
        path,
        (HttpExchange x) -> {
          hits.get(path).incrementAndGet();
          String q = x.getRequestURI().getRawQuery();
          if (query != null && !query.equals(q)) {
            x.sendResponseHeaders(404, -1);
            x.close();
            return;
          }
          if (header != null) {
            // as Intel PCS does: RFC 3986 percent-encoding, spaces as %20
            x.getResponseHeaders()
                .add(header, URLEncoder.encode(chain, StandardCharsets.UTF_8).replace("+", "%20"));
          }
          x.sendResponseHeaders(200, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
  }

  private PccsCollateralSource source() {
    return new PccsCollateralSource(
        URI.create("http://127.0.0.1:" + server.getAddress().getPort()),
        HttpClient.newHttpClient(),
        clock);
  }

  @Test
  void fetchedCollateralVerifiesTheQuoteAsSuppliedCollateralWould() throws Exception {
    TdxEvidenceVerifier v =
        new TdxEvidenceVerifier(DcapQuoteVerifier.defaults(), Optional.of(source()));
    VerifiedEvidence e =
        v.verify(TdxVectors.bytes("dcap-qvl/tdx_quote"), new Expectations(Optional.empty(), AT));
    assertThat(e.claims().get(TdxClaims.TCB_STATUS)).isEqualTo("UpToDate");
    assertThat(hits.values()).allSatisfy(h -> assertThat(h.get()).isEqualTo(1));
  }

  @Test
  void responsesAreCachedUntilTheirNextUpdate() throws Exception {
    PccsCollateralSource s = source();
    DcapQuote q = DcapQuote.parse(TdxVectors.bytes("dcap-qvl/tdx_quote"));
    DcapCollateral first = s.collateralFor(q);
    assertThat(first.tcbInfos()).hasSize(1);
    assertThat(first.certificates()).isNotEmpty();
    s.collateralFor(q);
    assertThat(hits.get("/tdx/certification/v4/tcb").get()).isEqualTo(1);
    // the PCK CRL lapses at 2025-07-19T10:00:35Z, the TCB info at 10:16:03Z
    now.set(Instant.parse("2025-07-19T10:05:00Z"));
    s.collateralFor(q);
    assertThat(hits.get("/sgx/certification/v4/pckcrl").get()).isEqualTo(2);
    assertThat(hits.get("/tdx/certification/v4/tcb").get()).isEqualTo(1);
    now.set(Instant.parse("2025-07-20T00:00:00Z"));
    s.collateralFor(q);
    assertThat(hits.get("/tdx/certification/v4/tcb").get()).isEqualTo(2);
  }

  @Test
  void collateralIsFetchedAgainBeforeItsNextUpdateAndKeptWhileTheServiceIsDown() throws Exception {
    PccsCollateralSource s = source();
    DcapQuote q = DcapQuote.parse(TdxVectors.bytes("dcap-qvl/tdx_quote"));
    s.collateralFor(q);
    // the PCK CRL's nextUpdate is 2025-07-19T10:00:35Z: inside the margin it is asked for again
    now.set(Instant.parse("2025-07-19T10:00:35Z").minus(PccsCollateralSource.REFRESH_MARGIN));
    s.collateralFor(q);
    assertThat(hits.get("/sgx/certification/v4/pckcrl").get()).isEqualTo(2);
    assertThat(hits.get("/tdx/certification/v4/tcb").get()).isEqualTo(1);
    // the service goes away: the cached CRL still serves until its nextUpdate, not after
    server.stop(0);
    now.set(Instant.parse("2025-07-19T10:00:30Z"));
    PccsCollateralSource down = source();
    assertThatThrownBy(() -> down.collateralFor(q))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.COLLATERAL_MISSING);
    assertThat(s.collateralFor(q).tcbInfos()).hasSize(1);
    now.set(Instant.parse("2025-07-19T10:00:36Z"));
    assertThatThrownBy(() -> s.collateralFor(q))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }

  @Test
  void aServiceWithoutThePlatformsCollateralIsCollateralMissing() throws IOException {
    PccsCollateralSource s = source();
    byte[] other = TdxVectors.bytes("dcap-qvl/tdx_quote_outdated"); // FMSPC 90C06F000000
    assertThatThrownBy(() -> s.collateralFor(DcapQuote.parse(other)))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("404")
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }

  @Test
  void anUnreachableServiceIsCollateralMissing() throws Exception {
    PccsCollateralSource s =
        new PccsCollateralSource(
            URI.create("http://127.0.0.1:1"), HttpClient.newHttpClient(), clock);
    assertThatThrownBy(
            () -> s.collateralFor(DcapQuote.parse(TdxVectors.bytes("dcap-qvl/tdx_quote"))))
        .extracting(t -> ((VerificationException) t).failure())
        .isEqualTo(Failure.COLLATERAL_MISSING);
  }
}
