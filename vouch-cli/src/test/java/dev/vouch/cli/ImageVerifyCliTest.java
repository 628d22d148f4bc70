package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.image.CosignSignatures;
import dev.vouch.agent.image.OciTestImages;
import dev.vouch.cli.kbs.TestKbs;
import dev.vouch.core.Tee;
import dev.vouch.server.as.AttestationBackend;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.RealAttestation;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch image verify}: a layout signed in cosign's format with the policy's key is accepted
 * (exit 0) under a {@code sigstoreSigned} policy read from a file or released by the KBS after
 * attestation together with its {@code kbs:///} key; another key, a manifest changed after signing,
 * or no signature give exit 1 with the stable code; a malformed policy or reference exit 2; a KBS
 * that denies the policy resource exit 1.
 */
class ImageVerifyCliTest {
  static final String REF = "registry.example.com/team/app:v1";
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  static KeyPair key;
  static KeyPair other;
  static Path signed;
  static Path unsigned;
  static Path changed;

  static CliRun cli(String... args) {
    return CliRun.of(args);
  }

  static String pem(KeyPair k) {
    return CosignSignatures.publicPem(k);
  }

  static String policy(String keyPath) {
    return "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
        + "\"registry.example.com/team\":[{\"type\":\"sigstoreSigned\",\"keyPath\":\""
        + keyPath
        + "\"}]}}}";
  }

  @BeforeAll
  static void images() throws Exception {
    key = CosignSignatures.p256();
    other = CosignSignatures.p256();
    Files.writeString(dir.resolve("cosign.pub"), pem(key));
    Files.writeString(dir.resolve("other.pub"), pem(other));
    Files.writeString(dir.resolve("policy.json"), policy(dir.resolve("cosign.pub").toString()));
    Files.writeString(dir.resolve("other.json"), policy(dir.resolve("other.pub").toString()));
    signed = dir.resolve("signed");
    OciTestImages.build(signed, "v1", 5000);
    String d = CosignSignatures.manifestDigest(signed, "v1");
    CosignSignatures.attach(signed, d, List.of(CosignSignatures.signed(d, REF, key.getPrivate())));
    unsigned = dir.resolve("unsigned");
    OciTestImages.build(unsigned, "v1", 5000);
    // signed, then its manifest replaced (index re-pointed) while the signature stays
    changed = dir.resolve("changed");
    OciTestImages.build(changed, "v1", 5000);
    String c = CosignSignatures.manifestDigest(changed, "v1");
    var manifest = OciTestImages.manifest(changed);
    manifest.putObject("annotations").put("after", "signing");
    OciTestImages.writeManifest(changed, manifest, "v1");
    String c2 = CosignSignatures.manifestDigest(changed, "v1");
    CosignSignatures.attach(
        changed, c2, List.of(CosignSignatures.signed(c, REF, key.getPrivate())));
  }

  CliRun offline(Path layout, String policyFile, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "image",
                "verify",
                "--reference",
                REF,
                "--policy",
                dir.resolve(policyFile).toString()));
    a.addAll(List.of(extra));
    a.add("oci:" + layout + ":v1");
    return cli(a.toArray(String[]::new));
  }

  @Test
  void aSignedImageIsAcceptedUnderItsKey() throws Exception {
    CliRun r = offline(signed, "policy.json");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("accepted").contains(REF).contains("sigstoreSigned");
    CliRun j = offline(signed, "policy.json", "--json");
    JsonNode doc = JSON.readTree(j.out());
    assertThat(doc.get("valid").asBoolean()).isTrue();
    assertThat(doc.get("manifest_digest").asText())
        .isEqualTo(CosignSignatures.manifestDigest(signed, "v1"));
  }

  @Test
  void refusalsExitOneWithTheirCodes() throws Exception {
    CliRun wrongKey = offline(signed, "other.json");
    assertThat(wrongKey.exit()).isEqualTo(1);
    assertThat(wrongKey.err()).contains("SIGNATURE_INVALID");
    CliRun changedManifest = offline(changed, "policy.json", "--json");
    assertThat(changedManifest.exit()).isEqualTo(1);
    JsonNode doc = JSON.readTree(changedManifest.out());
    assertThat(doc.get("valid").asBoolean()).isFalse();
    assertThat(doc.at("/errors/0/code").asText()).isEqualTo("DIGEST_MISMATCH");
    CliRun none = offline(unsigned, "policy.json");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("SIGNATURE_MISSING");
    CliRun otherName =
        cli(
            "image",
            "verify",
            "--reference",
            "quay.io/someone/else:v1",
            "--policy",
            dir.resolve("policy.json").toString(),
            "oci:" + signed + ":v1");
    assertThat(otherName.exit()).isEqualTo(1);
    assertThat(otherName.err()).contains("POLICY_DENIED");
  }

  @Test
  void anImageSignedByUpstreamSkopeoInItsDirLayoutIsJudged() throws Exception {
    // signed by skopeo v1.11.2's --sign-by-sigstore-private-key (vouch-agent PROVENANCE.md)
    Path vector =
        Path.of("../vouch-agent/src/test/resources/vectors/skopeo-sigstore").toAbsolutePath();
    String policy =
        "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"quay.io/vouch\":"
            + "[{\"type\":\"sigstoreSigned\",\"keyPath\":\"%s\"}]}}}";
    Files.writeString(dir.resolve("skopeo.json"), policy.formatted(vector.resolve("key.pub")));
    Files.writeString(
        dir.resolve("skopeo-other.json"), policy.formatted(vector.resolve("other.pub")));
    String image = "dir:" + vector.resolve("signed");
    CliRun ok =
        cli(
            "image",
            "verify",
            "--reference",
            "quay.io/vouch/demo:v1",
            "--policy",
            dir.resolve("skopeo.json").toString(),
            "--json",
            image);
    assertThat(ok.exit()).as(ok.err()).isZero();
    assertThat(JSON.readTree(ok.out()).get("image").asText()).isEqualTo(image);
    CliRun wrongKey =
        cli(
            "image",
            "verify",
            "--reference",
            "quay.io/vouch/demo:v1",
            "--policy",
            dir.resolve("skopeo-other.json").toString(),
            image);
    assertThat(wrongKey.exit()).isEqualTo(1);
    assertThat(wrongKey.err()).contains("SIGNATURE_INVALID");
  }

  @Test
  void badInputExitsTwo() throws Exception {
    Files.writeString(dir.resolve("bad.json"), "{\"default\":[{\"type\":\"signedByAnyone\"}]}");
    assertThat(offline(signed, "bad.json").exit()).isEqualTo(2);
    Files.writeString(dir.resolve("kbs.json"), policy("kbs:///default/cosign/key"));
    CliRun kbsKeyOffline = offline(signed, "kbs.json");
    assertThat(kbsKeyOffline.exit()).isEqualTo(2);
    assertThat(kbsKeyOffline.err()).contains("--url");
    CliRun shortName =
        cli(
            "image",
            "verify",
            "--reference",
            "app:v1",
            "--policy",
            dir.resolve("policy.json").toString(),
            "oci:" + signed + ":v1");
    assertThat(shortName.exit()).isEqualTo(2);
    assertThat(cli("image", "verify", "--reference", REF, "oci:" + signed + ":v1").exit())
        .isEqualTo(2);
    assertThat(offline(dir.resolve("absent"), "policy.json").exit()).isEqualTo(2);
  }

  /** A KBS (sample evidence) holding the policy and its key, under a resource policy. */
  record Kbs(Javalin app, RealAttestation backend) implements AutoCloseable {
    static Kbs start(ResourcePolicy policy) {
      RealAttestation backend = new RealAttestation(Clock.systemUTC(), Duration.ofMinutes(5));
      InMemoryResourceStore resources = new InMemoryResourceStore();
      resources.put(
          new ResourcePath("default", "image-policy", "v1"),
          policy("kbs:///default/cosign/key").getBytes(StandardCharsets.UTF_8));
      resources.put(
          new ResourcePath("default", "cosign", "key"), pem(key).getBytes(StandardCharsets.UTF_8));
      Javalin app =
          TestKbs.serve(
              Set.of(Tee.SAMPLE),
              Optional.<AttestationBackend>of(backend),
              resources,
              AdminAuth.denyAll(),
              policy);
      return new Kbs(app, backend);
    }

    @Override
    public void close() {
      app.stop();
      backend.close();
    }
  }

  CliRun fromKbs(Kbs kbs, Path layout) {
    return cli(
        "image",
        "verify",
        "--reference",
        REF,
        "--url",
        "http://127.0.0.1:" + kbs.app().port(),
        "--tee",
        "sample",
        "--policy-resource",
        "default/image-policy/v1",
        "oci:" + layout + ":v1");
  }

  @Test
  void thePolicyAndItsKeyComeFromTheKbsAfterAttestation() {
    try (Kbs kbs = Kbs.start(ResourcePolicy.defaultPolicy())) {
      CliRun ok = fromKbs(kbs, signed);
      assertThat(ok.exit()).as(ok.err()).isZero();
      CliRun bad = fromKbs(kbs, changed);
      assertThat(bad.exit()).isEqualTo(1);
      assertThat(bad.err()).contains("DIGEST_MISMATCH");
    }
  }

  @Test
  void aKbsThatDeniesThePolicyResourceExitsOne() throws Exception {
    try (Kbs kbs =
        Kbs.start(
            ResourcePolicy.compile(
                "rules:\n  - name: no_policies\n    category: sourced_data\n    expr: 'false'\n"))) {
      CliRun r = fromKbs(kbs, signed);
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err()).contains("403").contains("no_policies");
    }
  }
}
