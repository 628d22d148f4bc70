package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.policy.flavor.Flavor;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorMeta;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorSigner;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.PcrRule;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vouch report show|verify} and {@code vouch flavor verify} over files. */
class ReportCommandTest {
  static final Instant CREATED = Instant.parse("2026-03-01T10:00:00Z");
  static final String AT = "2026-03-01T12:00:00Z";

  @TempDir static Path dir;
  static Path report;
  static Path ca;
  static Path otherCa;
  static Path untrusted;
  static KeyPair key;

  @BeforeAll
  static void signAReport() throws Exception {
    KeyPair rootKey = ec();
    X509Certificate root = cert("Report CA", rootKey, "Report CA", rootKey, true);
    key = ec();
    X509Certificate leaf = cert("Reports", key, "Report CA", rootKey, false);
    KeyPair otherKey = ec();
    X509Certificate other = cert("Other CA", otherKey, "Other CA", otherKey, true);
    TrustReport r =
        new TrustReport(
            new UUID(1, 2),
            "host-1",
            new HostFacts("h1", "", "Ubuntu", "24.04", "EDK II", "1.2", "2.0"),
            Optional.of(true),
            HostStatus.VERIFIED,
            true,
            Map.of(),
            List.of(),
            "Attestation successful",
            CREATED,
            CREATED.plus(Duration.ofHours(24)));
    report =
        Files.writeString(
            dir.resolve("report.jws"), TrustReports.sign(r, key.getPrivate(), List.of(leaf, root)));
    // genuinely signed, and it says the host is not trusted (every flavor part matched)
    TrustReport sbOff =
        new TrustReport(
            new UUID(1, 3),
            "host-1",
            r.host(),
            Optional.of(false),
            HostStatus.SECURE_BOOT_DISABLED,
            true,
            Map.of(),
            List.of(),
            "SecureBoot Disabled",
            CREATED,
            CREATED.plus(Duration.ofHours(24)));
    untrusted =
        Files.writeString(
            dir.resolve("untrusted.jws"),
            TrustReports.sign(sbOff, key.getPrivate(), List.of(leaf, root)));
    ca = Files.writeString(dir.resolve("ca.pem"), pem(root));
    otherCa = Files.writeString(dir.resolve("other.pem"), pem(other));
  }

  @Test
  void aValidReportVerifiesWithExitZero() {
    CliRun run =
        CliRun.of(
            "report", "verify", report.toString(), "--ca", ca.toString(), "--at", AT, "--json");
    assertThat(run.exit()).isEqualTo(ExitCodes.OK);
    assertThat(run.json().path("valid").asBoolean()).isTrue();
    assertThat(run.json().path("trusted").asBoolean()).isTrue();
    assertThat(run.json().path("report").path("status").asText()).isEqualTo("VERIFIED");
    CliRun text =
        CliRun.of("report", "verify", report.toString(), "--ca", ca.toString(), "--at", AT);
    assertThat(text.out()).contains("VALID", "TPM 2.0", "OS Ubuntu 24.04", "BIOS EDK II 1.2");
  }

  @Test
  void aValidlySignedReportOfAnUntrustedHostFailsWithExitOne() {
    CliRun run =
        CliRun.of(
            "report", "verify", untrusted.toString(), "--ca", ca.toString(), "--at", AT, "--json");
    assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.json().path("valid").asBoolean()).isTrue();
    assertThat(run.json().path("trusted").asBoolean()).isFalse();
    assertThat(run.json().path("report").path("status").asText()).isEqualTo("SECURE_BOOT_DISABLED");
    assertThat(run.json().path("report").path("trust_information").path("OVERALL").asBoolean())
        .isFalse();
    CliRun text =
        CliRun.of("report", "verify", untrusted.toString(), "--ca", ca.toString(), "--at", AT);
    assertThat(text.exit()).isEqualTo(ExitCodes.FAILED);
    assertThat(text.out()).contains("VALID", "UNTRUSTED", "SECURE_BOOT_DISABLED");
  }

  @Test
  void aTamperedReportFailsWithExitOne() throws Exception {
    String[] p = Files.readString(report).split("\\.");
    String signed = new String(Base64.getUrlDecoder().decode(p[1]), StandardCharsets.UTF_8);
    String body = signed.replaceFirst("\"host_name\"\\s*:\\s*\"h1\"", "\"host_name\":\"h2\"");
    assertThat(body).isNotEqualTo(signed);
    Path tampered =
        Files.writeString(
            dir.resolve("tampered.jws"),
            p[0]
                + "."
                + Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(body.getBytes(StandardCharsets.UTF_8))
                + "."
                + p[2]);
    CliRun run =
        CliRun.of(
            "report", "verify", tampered.toString(), "--ca", ca.toString(), "--at", AT, "--json");
    assertThat(run.exit()).isEqualTo(ExitCodes.FAILED);
    assertThat(run.json().path("errors").get(0).path("code").asText())
        .isEqualTo("SIGNATURE_INVALID");
  }

  @Test
  void anExpiredOrUntrustedReportFailsWithExitOneAndBadInputWithTwo() throws Exception {
    assertThat(
            CliRun.of(
                    "report",
                    "verify",
                    report.toString(),
                    "--ca",
                    ca.toString(),
                    "--at",
                    "2026-03-05T00:00:00Z")
                .exit())
        .isEqualTo(ExitCodes.FAILED);
    assertThat(
            CliRun.of("report", "verify", report.toString(), "--ca", otherCa.toString(), "--at", AT)
                .exit())
        .isEqualTo(ExitCodes.FAILED);
    Path junk = Files.writeString(dir.resolve("junk.jws"), "hello");
    assertThat(CliRun.of("report", "verify", junk.toString(), "--ca", ca.toString()).exit())
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(CliRun.of("report", "verify", report.toString(), "--ca", junk.toString()).exit())
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(
            CliRun.of(
                    "report",
                    "verify",
                    report.toString(),
                    "--ca",
                    ca.toString(),
                    "--at",
                    "yesterday")
                .exit())
        .isEqualTo(ExitCodes.BAD_INPUT);
    assertThat(
            CliRun.of("report", "verify", dir.resolve("missing").toString(), "--ca", ca.toString())
                .exit())
        .isEqualTo(ExitCodes.BAD_INPUT);
  }

  @Test
  void showDecodesSignedAndPlainReports() {
    CliRun run = CliRun.of("report", "show", report.toString(), "--json");
    assertThat(run.exit()).isEqualTo(ExitCodes.OK);
    assertThat(run.json().path("signed").asBoolean()).isTrue();
    assertThat(run.json().path("verified").asBoolean(true)).isFalse();
    assertThat(run.json().path("header").path("alg").asText()).isEqualTo("ES256");
    assertThat(run.json().path("report").path("host_info").path("os_version").asText())
        .isEqualTo("24.04");
    CliRun isecl =
        CliRun.of(
            "report",
            "show",
            "../vouch-policy/src/test/resources/vectors/ca-data/open-edge/fault_trust_report.json");
    assertThat(isecl.exit()).isEqualTo(ExitCodes.OK);
    assertThat(isecl.out())
        .contains("Unsigned", "ATTESTATION_FAILED", "PcrEventLogInvalid", "VMware ESXi");
  }

  @Test
  void flavorVerifyChecksServerSignatures() throws Exception {
    var d = JsonNodeFactory.instance.objectNode().put("flavor_part", "PLATFORM");
    Flavor f =
        new Flavor(
            new FlavorMeta(new UUID(3, 4), FlavorPart.PLATFORM, "p", "VOUCH", d, Optional.empty()),
            List.of(
                new PcrRule(
                    0, HashAlg.SHA256, "aa".repeat(32), true, Optional.empty(), Optional.empty())),
            Optional.empty(),
            Map.of());
    Path flavors =
        Files.write(
            dir.resolve("flavors.json"),
            FlavorJson.writeSigned(List.of(FlavorSigner.sign(f, (ECPrivateKey) key.getPrivate()))));
    Path pub =
        Files.writeString(
            dir.resolve("key.pem"),
            "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(key.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
    assertThat(CliRun.of("flavor", "verify", flavors.toString(), "--key", pub.toString()).exit())
        .isEqualTo(ExitCodes.OK);
    Path changed =
        Files.writeString(
            dir.resolve("changed.json"), Files.readString(flavors).replace("aaaa", "bbbb"));
    CliRun bad =
        CliRun.of("flavor", "verify", changed.toString(), "--key", pub.toString(), "--json");
    assertThat(bad.exit()).isEqualTo(ExitCodes.FAILED);
    assertThat(bad.json().path("flavors").get(0).path("valid").asBoolean(true)).isFalse();
  }

  private static KeyPair ec() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate cert(
      String subject, KeyPair key, String issuer, KeyPair issuerKey, boolean ca) throws Exception {
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name("CN=" + issuer),
            BigInteger.valueOf(System.nanoTime()),
            Date.from(CREATED.minus(Duration.ofDays(1))),
            Date.from(CREATED.plus(Duration.ofDays(365))),
            new X500Name("CN=" + subject),
            key.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate())));
  }

  private static String pem(X509Certificate c) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder().encodeToString(c.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }
}
