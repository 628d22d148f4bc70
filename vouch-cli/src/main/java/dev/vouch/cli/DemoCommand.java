package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.tpm.Attestation;
import dev.vouch.agent.tpm.EkTemplate;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.SoftwareTpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.agent.tpm.TransientKey;
import dev.vouch.core.Claims;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.AkCertificateVerifier;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.TpmClaims;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import dev.vouch.evidence.tpm.eventlog.DigestBinding;
import dev.vouch.evidence.tpm.eventlog.EfiVariableEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;

/**
 * {@code vouch demo}: shows what Vouch verifies on this machine, in five parts: recorded cloud TPM
 * evidence, a live software TPM driven by Vouch's own Java TPM client, continuous host monitoring
 * of an enrolled swtpm host, a confidential guest getting a secret from the KBS of an in-process
 * {@code vouch server}, and an Intel TDX quote with its collateral. Parts 2-4 need swtpm ({@code
 * bin/vouch demo} installs it when it can); without it they say the one command to run.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description =
        "Walk through attestation end to end on this machine: recorded TPM evidence, a live swtpm,"
            + " host monitoring, the KBS releasing a secret, and a TDX quote.")
final class DemoCommand implements Callable<Integer> {
  private static final String RES = "/dev/vouch/cli/demo/";
  private static final int PARTS = 5;

  /** The one command that makes parts 2-4 possible on Debian and Ubuntu. */
  static final String INSTALL_HINT =
      "run 'sudo apt-get install -y swtpm swtpm-tools tpm2-tools' (or 'bin/vouch demo' as root,"
          + " which installs them), then run the demo again";

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @picocli.CommandLine.Option(
      names = "--keep",
      description =
          "keep part 4's vouch server (and its swtpm) running at the end, for trying the CLI"
              + " against it; Ctrl-C stops it")
  boolean keep;

  /** What {@code --keep} holds open until the demo is stopped. */
  static final class Kept {
    private java.net.URI url;
    private java.nio.file.Path dataDir;
    private java.nio.file.Path dir;
    private List<AutoCloseable> open = List.of();

    synchronized void hold(
        java.net.URI url,
        java.nio.file.Path dataDir,
        java.nio.file.Path dir,
        List<AutoCloseable> open) {
      this.url = url;
      this.dataDir = dataDir;
      this.dir = dir;
      this.open = List.copyOf(open);
    }

    synchronized boolean holds(java.nio.file.Path folder) {
      return folder.equals(dir);
    }

    synchronized void close() {
      DemoKbs.closeAll(open);
      open = List.of();
      if (dir != null) {
        SoftwareTpm.deleteTree(dir);
        dir = null;
      }
    }
  }

  /** One numbered part of the demo; {@code true} when every check in it behaved as expected. */
  private interface Part {
    boolean run(PrintWriter out) throws Exception;
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    long start = System.nanoTime();
    boolean swtpm = SoftwareTpm.installed();
    out.println(
        swtpm
            ? "Vouch demo: 5 parts; swtpm found, every part runs (well under a minute)."
            : "Vouch demo: swtpm is missing, parts 2-4 cannot run: " + INSTALL_HINT + ".");
    out.flush();
    byte[] firmware = firmwareLog();
    Kept kept = keep ? new Kept() : null;
    boolean ok =
        part(
            out,
            1,
            "Real evidence from a Google Compute Engine VM (vTPM, three quotes, event log)",
            DemoCommand::realCloudEvidence);
    ok &=
        part(
            out,
            2,
            "Live software TPM (swtpm) driven by Vouch's Java TPM 2.0 client",
            DemoCommand::liveSoftwareTpm);
    ok &=
        part(
            out,
            3,
            "Continuous monitoring: golden flavors, signed trust reports, tampering, reboot",
            o -> DemoMonitoring.run(o, firmware));
    ok &=
        part(
            out,
            4,
            "Confidential guest and the KBS: attest with TPM evidence, get a secret",
            o -> DemoKbs.run(o, firmware, Optional.ofNullable(kept)));
    ok &= part(out, 5, "An Intel TDX quote verified with its collateral", DemoTee::run);
    out.println();
    double secs = (System.nanoTime() - start) / 1e9;
    if (!ok) {
      out.printf("Demo found a problem (%.1f s).%n", secs);
    } else if (!swtpm) {
      out.printf(
          "Demo incomplete (%.1f s): parts 1 and 5 passed; parts 2-4 need swtpm: %s.%n",
          secs, INSTALL_HINT);
    } else {
      out.printf("Demo finished in %.1f s: every check behaved as expected.%n", secs);
    }
    whereNext(out);
    out.flush();
    if (kept != null) {
      keepRunning(out, kept);
    }
    return ok ? ExitCodes.OK : ExitCodes.FAILED;
  }

  /** Serves until Ctrl-C (or an interrupt), then closes what part 4 left open. */
  private static void keepRunning(PrintWriter out, Kept kept) {
    if (kept.url == null) {
      out.println("--keep: nothing to keep (part 4 did not run)");
      out.flush();
      return;
    }
    java.nio.file.Path token = kept.dataDir.resolve("admin-token");
    out.println();
    out.println("The demo's vouch server keeps running (Ctrl-C stops it): " + kept.url);
    out.println("  bin/vouch report ca --server " + kept.url);
    out.println("  bin/vouch flavor list --server " + kept.url + " --token-file " + token);
    out.println(
        "  curl -s " + kept.url.resolve("/api/v1/openapi.json") + "   # the HTTP API it serves");
    out.flush();
    Thread hook = new Thread(kept::close, "vouch-demo-keep");
    Runtime.getRuntime().addShutdownHook(hook);
    boolean interrupted = false;
    try {
      new java.util.concurrent.CountDownLatch(1).await();
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      // closed with the interrupt flag clear, so that the server's orderly stop is not cut short
      kept.close();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run: nothing left to do
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean part(PrintWriter out, int n, String title, Part body) throws Exception {
    out.println();
    out.printf("%d/%d. %s%n", n, PARTS, title);
    out.flush();
    long t = System.nanoTime();
    boolean ok = body.run(out);
    out.printf("   (part %d: %.1f s)%n", n, (System.nanoTime() - t) / 1e9);
    out.flush();
    return ok;
  }

  private static void whereNext(PrintWriter out) {
    out.println();
    out.println("Where to look next:");
    out.println("  docs/quickstart.md          the demo's parts and how to run each by hand");
    out.println("  docs/first-host.md          an swtpm host from nothing to VERIFIED");
    out.println("  docs/configuration.md       every vouch.yaml key, type and default");
    out.println(
        "  docs/cli.md                 every command and option (also: vouch <verb> --help)");
    out.println(
        "  bin/vouch server --data-dir DIR              run the server (admin token in DIR)");
    out.println("  bin/vouch verify --tee tdx --evidence FILE --collateral DIR   verify a quote");
    out.println(
        "  bin/vouch host list --server URL --cacert DIR/tls/server.crt  the monitored fleet");
  }

  /** Part 1: a real Google vTPM quote, certified AK, replayed firmware event log. */
  private static boolean realCloudEvidence(PrintWriter out) throws IOException {
    byte[] evidence = resource("gce-cos-85-bundle.json");
    byte[] root = resource("google-tpm-ek-root-1.cer");
    try {
      // the recorded sample comes without Google's CRLs: revocation is off, and the claims say so
      TpmEvidenceVerifier verifier =
          TpmEvidenceVerifier.withAkRoots(
              AkCertificateVerifier.ofEncodedRoots(List.of(root)).withoutRevocation());
      // the sample was quoted without a nonce and its AK certificate is checked at quote time
      Claims c = verifier.verify(evidence, Expectations.none()).claims();
      out.printf(
          "   VALID: AK certified by Google's TPM root: %s (revocation checked: %s); AK name %s%n",
          c.get(TpmClaims.AK_CERTIFIED),
          c.get(TpmClaims.AK_REVOCATION_CHECKED),
          c.get(TpmClaims.AK_NAME));
      out.printf(
          "   firmware event log (%s events) reproduces quoted PCRs %s; Secure Boot %s%n",
          c.get(TpmClaims.EVENTLOG_EVENTS),
          c.get(TpmClaims.EVENTLOG_PCRS),
          Boolean.TRUE.equals(c.get(TpmClaims.SECURE_BOOT)) ? "on" : "off");
      out.printf("   sha256 PCR 7 (Secure Boot policy) = %s%n", c.get("tpm.pcr.sha256.7"));

      TpmEvidenceBundle b = TpmEvidenceVerifier.parseEvidence(evidence);
      TcgEventLog parsed = TcgEventLog.parse(b.eventLog().orElseThrow());
      // a digest of a loaded image changed: only the replay against the quote can tell
      byte[] log = b.eventLog().orElseThrow();
      TcgEvent image =
          parsed.events().stream()
              .filter(e -> DigestBinding.of(e.type()) == DigestBinding.EXTERNAL)
              .reduce((first, second) -> second)
              .orElseThrow();
      flipFirst(log, image.digests().get(HashAlg.SHA256));
      expectRejection(
          out, "one bit flipped in the event log", verifier, withLog(b, log), Expectations.none());
      // the SecureBoot variable's data changed, its digests not: every PCR still replays
      byte[] forged = b.eventLog().orElseThrow();
      EfiVariableEvent secureBoot =
          parsed.events().stream()
              .filter(e -> e instanceof EfiVariableEvent v && v.name().equals("SecureBoot"))
              .map(EfiVariableEvent.class::cast)
              .findFirst()
              .orElseThrow();
      flipLast(forged, secureBoot.data());
      expectRejection(
          out,
          "Secure Boot data changed, digests kept",
          verifier,
          withLog(b, forged),
          Expectations.none());
      return true;
    } catch (VerificationException e) {
      out.println("   UNEXPECTED FAILURE " + e);
      return false;
    }
  }

  /** Part 2: swtpm, Vouch's Java TPM client, an IMA list measured into PCR 10, a fresh nonce. */
  private static boolean liveSoftwareTpm(PrintWriter out) throws Exception {
    if (!SoftwareTpm.installed()) {
      out.println("   swtpm is not installed: " + INSTALL_HINT);
      return true;
    }
    java.nio.file.Path state = java.nio.file.Files.createTempDirectory("vouch-demo-tpm");
    SoftwareTpm.manufacture(state, null);
    try (SoftwareTpm tpm = SoftwareTpm.start(state, true);
        TpmClient client = tpm.client()) {
      out.printf("   TPM: %s%n", client.info());
      ImaListWriter ima = new ImaListWriter(HashAlg.SHA1, false);
      SecureRandom random = new SecureRandom();
      for (String file : List.of("/usr/bin/vouch-agent", "/usr/lib/libc.so.6", "/etc/hosts")) {
        byte[] d = new byte[32];
        random.nextBytes(d);
        ima.ng(10, "sha256", d, file);
      }
      byte[] list = ima.binary();
      SoftwareTpm.measureIma(client, list);
      out.println("   measured 3 IMA entries into PCR 10 as a kernel >= 5.x does");
      byte[] nonce = client.getRandom(32);
      List<PcrSelection> sel = List.of(PcrSelection.of(HashAlg.SHA256, 0, 1, 2, 3, 4, 5, 6, 7, 10));
      TpmEvidenceBundle bundle;
      try (TransientKey ek = client.createEk(EkTemplate.RSA_2048);
          TransientKey ak = client.createAndLoad(ek, KeyTemplate.akEccP256())) {
        Attestation q = client.quote(ak, nonce, sel);
        bundle =
            new TpmEvidenceBundle(
                AkKeys.parse(ak.publicArea()),
                Optional.empty(),
                List.of(),
                List.of(new TpmEvidenceBundle.Quote(q.attest(), q.signature())),
                client.pcrRead(sel),
                Optional.empty(),
                Optional.of(list),
                Optional.empty());
      }
      TpmEvidenceVerifier verifier = TpmEvidenceVerifier.trustingSuppliedAk();
      Claims c = verifier.verify(bundle, Expectations.withNonce(nonce)).claims();
      out.printf(
          "   VALID: ECDSA P-256 AK quote with nonce %s..., IMA entries quoted: %s (%s)%n",
          Hex.encode(nonce).substring(0, 16),
          c.get(TpmClaims.IMA_QUOTED_ENTRIES),
          c.get(TpmClaims.IMA_MODE));
      byte[] other = client.getRandom(32);
      expectRejection(
          out,
          "the same quote replayed for a new nonce",
          verifier,
          bundle,
          Expectations.withNonce(other));
      return true;
    } catch (VerificationException | TpmException e) {
      out.println("   UNEXPECTED FAILURE " + e);
      return false;
    }
  }

  /** The GCE VM's firmware event log from part 1 (Secure Boot on, locality 0). */
  private static byte[] firmwareLog() throws IOException {
    JsonNode bundle = new ObjectMapper().readTree(resource("gce-cos-85-bundle.json"));
    return java.util.Base64.getDecoder().decode(bundle.path("event_log").asText());
  }

  private static void expectRejection(
      PrintWriter out,
      String what,
      TpmEvidenceVerifier verifier,
      TpmEvidenceBundle bundle,
      Expectations expected)
      throws VerificationException {
    try {
      verifier.verify(bundle, expected);
      throw new VerificationException(
          dev.vouch.core.Failure.MALFORMED, "tampered evidence was accepted: " + what);
    } catch (VerificationException e) {
      if (e.getMessage().startsWith("tampered evidence was accepted")) {
        throw e;
      }
      out.printf("   REJECTED as expected (%s): %s%n", what, e.failure().code());
    }
  }

  private static TpmEvidenceBundle withLog(TpmEvidenceBundle b, byte[] log) {
    return new TpmEvidenceBundle(
        b.ak(),
        b.akCert(),
        b.akChain(),
        b.quotes(),
        b.pcrs(),
        Optional.of(log),
        Optional.empty(),
        Optional.empty());
  }

  /** Flips the last byte of the first occurrence of {@code needle}. */
  private static void flipLast(byte[] hay, byte[] needle) {
    flipFirst(hay, needle, needle.length - 1);
  }

  private static void flipFirst(byte[] hay, byte[] needle) {
    flipFirst(hay, needle, 0);
  }

  private static void flipFirst(byte[] hay, byte[] needle, int at) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      hay[i + at] ^= 1;
      return;
    }
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = DemoCommand.class.getResourceAsStream(RES + name)) {
      if (in == null) {
        throw new IOException("missing demo resource " + name);
      }
      return in.readAllBytes();
    }
  }
}
