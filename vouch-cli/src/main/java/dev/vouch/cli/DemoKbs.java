package dev.vouch.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.kbs.EvidenceException;
import dev.vouch.agent.kbs.EvidenceProvider;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.agent.kbs.TpmEvidenceProvider;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.SoftwareTpm;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.trust.Enrollment;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.EventType;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaListWriter;
import dev.vouch.policy.rvps.Provenance;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.kbs.KbsService;
import dev.vouch.server.kbs.ResourcePath;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Part 4 of {@code vouch demo}: a confidential guest gets its disk key from the KBS of a real
 * {@code vouch server} started in this process on a temporary data dir (plain HTTP on loopback,
 * configured through the same YAML loader as {@code vouch server --config}). The guest's vTPM is a
 * swtpm that measured a real Secure Boot firmware log and an IMA list; the guest attests over
 * Trustee's KBS protocol with TPM evidence, and the secret comes back as a JWE only its ephemeral
 * key opens. Then the refusals: the same guest lying about a PCR, and a resource policy that denies
 * every release.
 */
final class DemoKbs {
  static final String SECRET = "demo-luks-passphrase-4be1";

  private DemoKbs() {}

  static boolean run(PrintWriter out, byte[] firmwareLog, Optional<DemoCommand.Kept> keep)
      throws Exception {
    if (!SoftwareTpm.installed()) {
      out.println("   swtpm is not installed: " + DemoCommand.INSTALL_HINT);
      return true;
    }
    DemoMonitoring.quietLogs();
    Path dir = Files.createTempDirectory("vouch-demo-kbs");
    try {
      KeyPair admin = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      Path adminKey = dir.resolve("kbs-admin.pub");
      Files.writeString(
          adminKey,
          "-----BEGIN PUBLIC KEY-----\n"
              + Base64.getMimeEncoder().encodeToString(admin.getPublic().getEncoded())
              + "\n-----END PUBLIC KEY-----\n");
      Path yaml = dir.resolve("vouch.yaml");
      // the same keys an operator writes; monitoring is off because no host is enrolled here
      Files.writeString(
          yaml,
          String.join(
              "\n",
              "data_dir: " + dir.resolve("data"),
              "http: {host: 127.0.0.1, port: 0}",
              "tls: {mode: \"off\"}",
              "hosts: {enabled: false}",
              "kbs: {enabled: true, tees: [tpm], admin_key_files: [" + adminKey + "]}",
              ""));
      ServerConfig config =
          ConfigLoader.load(Optional.of(yaml), Map.of(), Optional.empty(), Optional.empty());

      Path state = dir.resolve("tpm");
      SoftwareTpm.manufacture(state, null);
      Path log = dir.resolve("binary_bios_measurements");
      Path ima = dir.resolve("binary_runtime_measurements");
      Files.write(log, firmwareLog);
      Files.write(ima, imaList());
      SoftwareTpm swtpm = SoftwareTpm.start(state, false);
      List<AutoCloseable> open = new ArrayList<>(List.of(swtpm));
      try {
        TpmClient tpm = swtpm.client();
        open.add(tpm);
        VouchServer server = VouchServer.start(config);
        open.add(server);
        measureWholeLog(tpm, firmwareLog);
        SoftwareTpm.measureIma(tpm, Files.readAllBytes(ima));
        Enrollment enrollment = Enrollment.withDefaults(tpm);
        enrollment.prepare();
        PersistentKey ak = enrollment.ak();
        out.printf(
            "   vouch server (AS + RVPS + KBS) on %s, data dir %s%n",
            server.baseUri(), dir.resolve("data"));
        KbsService kbs = server.kbs().orElseThrow();
        String adminAuth = "Bearer " + KbsAdminToken.mint(admin.getPrivate(), Clock.systemUTC());
        kbs.putResource(
            Optional.of(adminAuth),
            new ResourcePath("default", "key", "luks"),
            SECRET.getBytes(StandardCharsets.UTF_8));
        trustGuest(server, tpm, ak);
        out.println(
            "   stored resource default/key/luks (sealed); reference values: the guest's AK and"
                + " PCRs 0, 2, 4, 7");

        TpmEvidenceProvider evidence =
            TpmEvidenceProvider.measuredBoot(tpm, ak, Optional.of(log), Optional.of(ima));
        String released =
            new String(
                KbsClient.create(server.baseUri(), evidence).getResource("default", "key", "luks"),
                StandardCharsets.UTF_8);
        boolean ok = released.equals(SECRET);
        out.printf(
            "   RELEASED: the guest attested (TPM quote, Secure Boot log, IMA) and decrypted the"
                + " JWE: %s%n",
            ok ? "secret matches what was stored" : "WRONG SECRET");

        ok &=
            refused(
                out,
                "a PCR value changed in the evidence",
                server,
                tamperedPcr(evidence),
                401,
                "PCR_DIGEST_MISMATCH");

        String deny =
            "rules:\n"
                + "  - name: releases_frozen\n"
                + "    category: sourced_data\n"
                + "    expr: 'false'\n"
                + "    description: An operator froze every release.\n";
        kbs.setPolicy(
            Optional.of(adminAuth),
            ("{\"policy\":\""
                    + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(deny.getBytes(StandardCharsets.UTF_8))
                    + "\"}")
                .getBytes(StandardCharsets.UTF_8));
        ok &=
            refused(
                out,
                "a resource policy that denies every release",
                server,
                evidence,
                403,
                "releases_frozen");
        if (keep.isPresent()) {
          // --keep: the server, its TPM and the folder outlive this part; the demo closes them
          keep.get().hold(server.baseUri(), dir.resolve("data"), dir, open);
          open = List.of();
        }
        return ok;
      } finally {
        closeAll(open);
      }
    } finally {
      if (keep.isEmpty() || !keep.get().holds(dir)) {
        SoftwareTpm.deleteTree(dir);
      }
    }
  }

  /** Closes in reverse order of opening; a failure to close is no reason to stop closing. */
  static void closeAll(List<AutoCloseable> open) {
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        // best effort: the demo is ending
      }
    }
  }

  /** Tries a release that must fail with {@code status}; prints the refusal. */
  private static boolean refused(
      PrintWriter out,
      String what,
      VouchServer server,
      EvidenceProvider evidence,
      int status,
      String mustMention)
      throws EvidenceException {
    try {
      byte[] got =
          KbsClient.create(server.baseUri(), evidence).getResource("default", "key", "luks");
      out.printf("   UNEXPECTED: released %d bytes for %s%n", got.length, what);
      return false;
    } catch (KbsException e) {
      boolean ok =
          e.status() == status
              && e.getMessage().contains(mustMention)
              && !e.getMessage().contains(SECRET);
      out.printf(
          "   REFUSED as expected (%s): %d %s: %s%n",
          what, e.status(), e.kind(), firstLine(e.getMessage()));
      return ok;
    }
  }

  private static String firstLine(String s) {
    String one = s.lines().findFirst().orElse("");
    return one.length() > 140 ? one.substring(0, 140) + "..." : one;
  }

  /** The guest's evidence with SHA-256 PCR 4 (the boot loader) claimed to be something else. */
  private static EvidenceProvider tamperedPcr(TpmEvidenceProvider real) {
    return new EvidenceProvider() {
      @Override
      public String tee() {
        return real.tee();
      }

      @Override
      public JsonNode evidence(byte[] digest) throws EvidenceException {
        ObjectNode e = (ObjectNode) real.evidence(digest);
        ((ObjectNode) e.get("pcrs").get("sha256")).put("4", "11".repeat(32));
        return e;
      }
    };
  }

  /** Registers the guest's AK and boot PCRs as reference values, as a provisioning step would. */
  private static void trustGuest(VouchServer server, TpmClient tpm, PersistentKey ak)
      throws Exception {
    String akDigest =
        Hex.encode(HashAlg.SHA256.digest(AkKeys.parse(ak.publicArea()).publicKey().getEncoded()));
    PcrValues pcrs = tpm.pcrRead(List.of(PcrSelection.of(HashAlg.SHA256, 0, 2, 4, 7)));
    Provenance p = new Provenance(Provenance.Kind.SAMPLE, null, Instant.now());
    List<ReferenceValue> values = new ArrayList<>();
    values.add(new ReferenceValue("tpm.trusted_aks", List.of(akDigest), p, null, null));
    for (int i : new int[] {0, 2, 4, 7}) {
      values.add(
          new ReferenceValue(
              "tpm.pcr.sha256." + i,
              List.of(Hex.encode(pcrs.get(HashAlg.SHA256, i).orElseThrow())),
              p,
              null,
              null));
    }
    server.services().referenceValues().putAll(values);
  }

  /**
   * Extends every measured event of the firmware log, all PCRs (the GCE log also measures the
   * kernel command line and initrd into PCRs 8 and 9), as the guest's firmware and boot loader did:
   * the guest quotes PCRs 0-23 and the verifier replays the whole log against them.
   */
  private static void measureWholeLog(TpmClient tpm, byte[] firmwareLog) throws Exception {
    for (TcgEvent e : TcgEventLog.parse(firmwareLog).events()) {
      if (e.header().type() == EventType.EV_NO_ACTION.code()) {
        continue;
      }
      tpm.pcrExtend(
          e.header().pcr(),
          Map.of(HashAlg.SHA256, e.header().digest(HashAlg.SHA256).orElseThrow()));
    }
  }

  /** A small IMA list (ima-ng, SHA-256 file digests) as a booted guest's kernel would keep. */
  private static byte[] imaList() {
    ImaListWriter ima = new ImaListWriter(HashAlg.SHA1, false);
    for (String file : List.of("/usr/bin/kata-agent", "/usr/lib/libc.so.6", "/etc/fstab")) {
      ima.ng(10, "sha256", HashAlg.SHA256.digest(file.getBytes(StandardCharsets.UTF_8)), file);
    }
    return ima.binary();
  }
}
