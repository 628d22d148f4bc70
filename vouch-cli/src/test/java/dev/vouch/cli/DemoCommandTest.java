package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class DemoCommandTest {
  @Test
  void runsEveryStepAndRejectsTheTamperedEvidence() {
    if (!dev.vouch.agent.tpm.SoftwareTpm.installed()) {
      if (Boolean.getBoolean("vouch.require.tools")) {
        throw new AssertionError("swtpm is required under bin/test");
      }
      Assumptions.abort("swtpm not installed");
    }
    CliRun r = CliRun.of("demo");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(0);
    assertThat(r.out())
        .contains("AK certified by Google's TPM root: true")
        .contains("REJECTED as expected (one bit flipped in the event log): EVENT_LOG_MISMATCH")
        .contains(
            "REJECTED as expected (Secure Boot data changed, digests kept): EVENT_DIGEST_MISMATCH")
        .contains("IMA entries quoted: 3 (per_bank)")
        .contains("NONCE_MISMATCH")
        .contains("first attestation: VERIFIED")
        .contains("signature VALID against the report CA, overall trust true, Secure Boot on")
        .contains("after an unexpected extend of PCR 1: ATTESTATION_FAILED (EVENT_LOG_MISMATCH)")
        .contains("its signed report says overall trust false")
        .contains(
            "the failed host's agent breaks: still ATTESTATION_FAILED (agent-unreachable),"
                + " failed report kept: true")
        .contains(
            "after a reboot into changed firmware (TOFU): VERIFIED; baseline-changed event: SHA256"
                + " PCR 1 (1 event added, EV_PLATFORM_CONFIG_FLAGS")
        .contains(
            "with an approved PLATFORM flavor, the genuine firmware is VERIFIED and the changed"
                + " one ATTESTATION_FAILED (golden flavors REFUSED)")
        .contains(
            "strict mode (production): changed firmware ATTESTATION_FAILED, genuine firmware"
                + " VERIFIED")
        .contains("RELEASED: the guest attested (TPM quote, Secure Boot log, IMA) and decrypted")
        .contains("secret matches what was stored")
        .contains("REFUSED as expected (a PCR value changed in the evidence): 401 AttestationError")
        .contains("PCR_DIGEST_MISMATCH")
        .contains(
            "REFUSED as expected (a resource policy that denies every release): 403 PolicyDeny")
        .contains("releases_frozen")
        .contains("VALID: quote signed by a PCK chaining to Intel's pinned root")
        .contains("TCB UpToDate")
        .contains("REJECTED as expected (one bit flipped in MRTD): SIGNATURE_INVALID")
        .contains(
            "REJECTED as expected (the same quote without its collateral): COLLATERAL_MISSING")
        .contains("REJECTED as expected (the same collateral two years later): COLLATERAL_EXPIRED")
        .contains("5/5. An Intel TDX quote verified with its collateral")
        .contains("every check behaved as expected")
        .contains("Where to look next:")
        .doesNotContain("skipped")
        .doesNotContain(DemoKbs.SECRET);
  }

  @Test
  void keepLeavesTheDemoServerServingUntilInterruptedThenStopsIt() throws Exception {
    if (!dev.vouch.agent.tpm.SoftwareTpm.installed()) {
      Assumptions.abort("swtpm not installed");
    }
    java.io.StringWriter out = new java.io.StringWriter();
    java.util.concurrent.atomic.AtomicInteger exit =
        new java.util.concurrent.atomic.AtomicInteger(-1);
    Thread demo =
        new Thread(
            () ->
                exit.set(
                    Main.run(
                        new java.io.PrintWriter(out, true),
                        new java.io.PrintWriter(new java.io.StringWriter(), true),
                        "demo",
                        "--keep")));
    demo.start();
    java.util.regex.Pattern running =
        java.util.regex.Pattern.compile("keeps running \\(Ctrl-C stops it\\): (\\S+)");
    java.util.regex.Matcher m = running.matcher("");
    long deadline = System.nanoTime() + java.time.Duration.ofMinutes(3).toNanos();
    while (System.nanoTime() < deadline && demo.isAlive()) {
      m = running.matcher(out.toString());
      if (m.find()) {
        break;
      }
      Thread.sleep(200);
    }
    assertThat(m.hasMatch()).as(out.toString()).isTrue();
    java.net.URI url = java.net.URI.create(m.group(1));
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    java.net.http.HttpResponse<String> health =
        http.send(
            java.net.http.HttpRequest.newBuilder(url.resolve("/healthz")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(out.toString()).contains("every check behaved as expected");

    demo.interrupt();
    demo.join(java.time.Duration.ofSeconds(30));
    assertThat(demo.isAlive()).isFalse();
    assertThat(exit.get()).isZero();
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                http.send(
                    java.net.http.HttpRequest.newBuilder(url.resolve("/healthz")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.io.IOException.class);
  }
}
