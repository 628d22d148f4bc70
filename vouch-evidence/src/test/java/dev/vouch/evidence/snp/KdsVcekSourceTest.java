package dev.vouch.evidence.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.Expectations;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A VCEK that neither the evidence nor the collateral holds is fetched from a KDS (here a local
 * stand-in serving the virtee-sev Milan VCEK and chain at AMD's paths), and what it serves is
 * checked like any supplied certificate.
 */
class KdsVcekSourceTest {
  private HttpServer server;
  private final List<String> asked = new CopyOnWriteArrayList<>();

  private URI serve(Map<String, byte[]> byPath) throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().toString();
          asked.add(path);
          byte[] body = byPath.get(ex.getRequestURI().getPath());
          ex.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
          if (body != null) {
            ex.getResponseBody().write(body);
          }
          ex.close();
        });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  /** The chip ID and reported TCB of report_milan.hex as vectors/sev-snp/expected.json has them. */
  private static final String HWID =
      "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc"
          + "15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6";

  private static final String VCEK_PATH = "/vcek/v1/Milan/" + HWID;

  private static SnpSamples.Sample milan() {
    return new SnpSamples.Sample("virtee-sev/report_milan.hex", List.of());
  }

  @Test
  void aVcekMissingFromTheEvidenceIsFetchedAtTheChipAndTcbOfTheReport() throws Exception {
    URI kds =
        serve(
            Map.of(
                VCEK_PATH,
                SnpSamples.bytes("virtee-sev/vcek_milan.der"),
                "/vcek/v1/Milan/cert_chain",
                SnpSamples.bytes("virtee-sev/cert_chain_milan")));
    SnpEvidenceVerifier v =
        // the recorded Milan sample comes without AMD's CRL: revocation is off, explicitly
        new SnpEvidenceVerifier(AmdRoots.builtIn(), java.util.Optional.of(new KdsVcekSource(kds)))
            .withoutRevocation();
    VerifiedEvidence e = v.verify(milan().evidenceBytes(), milan().expectations());
    assertThat(e.claims().get(SnpClaims.HOST_DATA)).isNotNull();
    // reported TCB bootloader 3, tee 0, snp 8, microcode 115 (expected.json reported_tcb_decoded)
    assertThat(asked).contains(VCEK_PATH + "?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115");
    // the same chip at the same TCB is not asked for again
    v.verify(milan().evidenceBytes(), milan().expectations());
    assertThat(asked.stream().filter(p -> p.startsWith(VCEK_PATH))).hasSize(1);
  }

  @Test
  void withoutTheKdsTheMissingVcekIsCollateralMissing() throws Exception {
    URI kds = serve(Map.of());
    SnpEvidenceVerifier v =
        // the recorded Milan sample comes without AMD's CRL: revocation is off, explicitly
        new SnpEvidenceVerifier(AmdRoots.builtIn(), java.util.Optional.of(new KdsVcekSource(kds)))
            .withoutRevocation();
    assertThatThrownBy(() -> v.verify(milan().evidenceBytes(), milan().expectations()))
        .isInstanceOfSatisfying(
            VerificationException.class,
            x -> assertThat(x.failure()).isEqualTo(Failure.COLLATERAL_MISSING));
  }

  @Test
  void aVcekOfAnotherChipServedByTheKdsIsRefused() throws Exception {
    URI kds =
        serve(
            Map.of(
                VCEK_PATH,
                SnpSamples.bytes("trustee/test-vcek.der"),
                "/vcek/v1/Milan/cert_chain",
                SnpSamples.bytes("virtee-sev/cert_chain_milan")));
    SnpEvidenceVerifier v =
        // the recorded Milan sample comes without AMD's CRL: revocation is off, explicitly
        new SnpEvidenceVerifier(AmdRoots.builtIn(), java.util.Optional.of(new KdsVcekSource(kds)))
            .withoutRevocation();
    assertThatThrownBy(() -> v.verify(milan().evidenceBytes(), milan().expectations()))
        .isInstanceOfSatisfying(
            VerificationException.class,
            x -> assertThat(x.failure()).isEqualTo(Failure.KEY_MISMATCH));
  }

  /** A synthetic Milan hierarchy, so that the KDS can serve a CRL its ARK signed. */
  private static byte[] syntheticChip() {
    byte[] chip = new byte[64];
    for (int i = 0; i < 64; i++) {
      chip[i] = (byte) (0x30 + i);
    }
    return chip;
  }

  private static final TestAmdPki.Tcb SYNTHETIC_TCB = new TestAmdPki.Tcb(0, 4, 0, 22, 213);

  private static byte[] syntheticReport(TestAmdPki pki) throws Exception {
    TestAmdPki.ReportSpec spec = new TestAmdPki.ReportSpec();
    spec.tcb = TcbVersion.encode(SnpProduct.MILAN, java.util.OptionalInt.empty(), 4, 0, 22, 213);
    spec.chipId = syntheticChip();
    return pki.report(spec);
  }

  /** A verifier under the test hierarchy whose KDS serves {@code byPath}. */
  private SnpEvidenceVerifier withKds(TestAmdPki pki, Map<String, byte[]> byPath) throws Exception {
    return new SnpEvidenceVerifier(
        pki.roots(), java.util.Optional.of(new KdsVcekSource(serve(byPath))));
  }

  /** The synthetic VCEK as collateral, and no CRL: the verifier must ask the KDS for it. */
  private static Expectations vcekOnly(TestAmdPki pki) throws Exception {
    return new Expectations(
        java.util.Optional.empty(),
        TestAmdPki.AT,
        List.of(pki.vcek(SYNTHETIC_TCB, syntheticChip())));
  }

  private static final String CRL_PATH = "/vcek/v1/Milan/crl";

  @Test
  void theArkCrlIsFetchedFromTheKdsWhenNoFolderHoldsOneAndRevocationIsChecked() throws Exception {
    TestAmdPki pki = new TestAmdPki(SnpProduct.MILAN);
    SnpEvidenceVerifier v =
        withKds(
            pki,
            Map.of(
                CRL_PATH, pki.crl(true, TestAmdPki.NOT_AFTER, java.math.BigInteger.valueOf(99))));
    VerifiedEvidence verified = v.verify(syntheticReport(pki), vcekOnly(pki));
    assertThat(verified.claims().get(SnpClaims.REVOCATION_CHECKED)).isEqualTo(true);
    assertThat(asked).contains(CRL_PATH);
    // held until its next update: not asked again
    v.verify(syntheticReport(pki), vcekOnly(pki));
    assertThat(asked.stream().filter(p -> p.equals(CRL_PATH))).hasSize(1);
  }

  @Test
  void anAskRevokedInTheCrlTheKdsServesIsRejected() throws Exception {
    TestAmdPki pki = new TestAmdPki(SnpProduct.MILAN);
    SnpEvidenceVerifier v =
        withKds(
            pki, Map.of(CRL_PATH, pki.crl(true, TestAmdPki.NOT_AFTER, java.math.BigInteger.TWO)));
    assertThatThrownBy(() -> v.verify(syntheticReport(pki), vcekOnly(pki)))
        .isInstanceOfSatisfying(
            VerificationException.class,
            x -> assertThat(x.failure()).isEqualTo(Failure.CERT_REVOKED));
  }

  @Test
  void aKdsThatServesNoCrlLeavesRevocationUnknownAndTheReportRefused() throws Exception {
    TestAmdPki pki = new TestAmdPki(SnpProduct.MILAN);
    SnpEvidenceVerifier v = withKds(pki, Map.of());
    assertThatThrownBy(() -> v.verify(syntheticReport(pki), vcekOnly(pki)))
        .isInstanceOfSatisfying(
            VerificationException.class,
            x -> assertThat(x.failure()).isEqualTo(Failure.COLLATERAL_MISSING));
  }
}
