package dev.vouch.cli.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.agent.image.OciTestImages;
import dev.vouch.cli.Main;
import dev.vouch.core.Tee;
import dev.vouch.server.kbs.AdminAuth;
import dev.vouch.server.kbs.InMemoryResourceStore;
import dev.vouch.server.kbs.ResourcePath;
import dev.vouch.server.kbs.ResourcePolicy;
import io.javalin.Javalin;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vouch resource put|list|delete|policy get|set} against a real KBS (its routes on Javalin)
 * whose admin routes take only JWTs signed by the configured admin keys: the CLI signs a
 * short-lived one with {@code --admin-key}. Listings show names, never values; another key is
 * refused; bad input exits 2 before anything is sent.
 */
class ResourceCommandTest {
  @TempDir Path dir;
  KeyPair ed;
  KeyPair ec;
  InMemoryResourceStore store;
  Javalin app;

  @BeforeEach
  void start() throws Exception {
    ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    ec = g.generateKeyPair();
    OciTestImages.writePem(dir.resolve("ed.pem"), "PRIVATE KEY", ed.getPrivate().getEncoded());
    OciTestImages.writePem(dir.resolve("ec.pem"), "PRIVATE KEY", ec.getPrivate().getEncoded());
    OciTestImages.writePem(
        dir.resolve("other.pem"),
        "PRIVATE KEY",
        KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPrivate().getEncoded());
    OciTestImages.writePem(dir.resolve("pub.pem"), "PUBLIC KEY", ed.getPublic().getEncoded());
    store = new InMemoryResourceStore();
    app =
        TestKbs.serve(
            Set.of(Tee.TPM),
            Optional.empty(),
            store,
            AdminAuth.withKeys(List.of(ed.getPublic(), ec.getPublic()), Clock.systemUTC()),
            ResourcePolicy.defaultPolicy());
  }

  @AfterEach
  void stop() {
    app.stop();
  }

  record Run(int exit, String out, String err) {}

  Run resource(String key, String... args) {
    List<String> all = new ArrayList<>(List.of("resource"));
    all.addAll(List.of(args));
    all.addAll(
        List.of(
            "--server",
            "http://127.0.0.1:" + app.port(),
            "--admin-key",
            dir.resolve(key).toString()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit =
        Main.run(
            new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void putListDeleteRoundTripShowsNamesOnly() throws Exception {
    Files.writeString(dir.resolve("secret"), "s3cr3t-value");
    Run put = resource("ed.pem", "put", "default/key/luks", dir.resolve("secret").toString());
    assertThat(put.exit()).as(put.err()).isZero();
    assertThat(put.out()).contains("stored default/key/luks (12 bytes)").doesNotContain("s3cr3t");
    assertThat(store.get(new ResourcePath("default", "key", "luks")))
        .hasValueSatisfying(v -> assertThat(new String(v)).isEqualTo("s3cr3t-value"));

    Run list = resource("ec.pem", "list");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out()).isEqualTo("default/key/luks\n");
    Run json = resource("ed.pem", "list", "--json");
    assertThat(json.out()).contains("\"default/key/luks\"").doesNotContain("s3cr3t");

    Run del = resource("ed.pem", "delete", "default/key/luks");
    assertThat(del.exit()).as(del.err()).isZero();
    assertThat(store.list()).isEmpty();
    assertThat(resource("ed.pem", "list").out()).isEqualTo("no resources\n");
  }

  @Test
  void policySetThenGetReturnsTheSameDocumentAndABrokenOneIsRefused() throws Exception {
    String policy =
        "rules:\n  - name: only_tpm\n    category: hardware\n    expr: 'claims.tee == \"tpm\"'\n";
    Files.writeString(dir.resolve("policy.yaml"), policy);
    Run set = resource("ed.pem", "policy", "set", dir.resolve("policy.yaml").toString());
    assertThat(set.exit()).as(set.err()).isZero();
    Run get = resource("ec.pem", "policy", "get");
    assertThat(get.exit()).as(get.err()).isZero();
    assertThat(get.out()).isEqualTo(policy);

    Files.writeString(dir.resolve("broken.yaml"), "rules: [ {name: x, expr: '1 +'} ]\n");
    Run broken = resource("ed.pem", "policy", "set", dir.resolve("broken.yaml").toString());
    assertThat(broken.exit()).isEqualTo(2);
    assertThat(resource("ed.pem", "policy", "get").out()).isEqualTo(policy);
  }

  @Test
  void anotherAdminKeyIsRefusedAndNothingChanges() throws Exception {
    Files.writeString(dir.resolve("v"), "x");
    Run r = resource("other.pem", "put", "default/key/a", dir.resolve("v").toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("AdminAuthAccess");
    assertThat(store.list()).isEmpty();
    assertThat(resource("other.pem", "list").exit()).isEqualTo(2);
  }

  @Test
  void badInputExitsTwoBeforeAnythingIsSent() throws Exception {
    Files.writeString(dir.resolve("v"), "x");
    assertThat(resource("ed.pem", "put", "default/../a", dir.resolve("v").toString()).exit())
        .isEqualTo(2);
    assertThat(resource("ed.pem", "put", "default/key", dir.resolve("v").toString()).exit())
        .isEqualTo(2);
    assertThat(resource("ed.pem", "put", "default/key/a", dir.resolve("missing").toString()).exit())
        .isEqualTo(2);
    Run pub = resource("pub.pem", "list");
    assertThat(pub.exit()).as("a public key cannot sign").isEqualTo(2);
    assertThat(pub.err()).contains("--admin-key");
    assertThat(store.list()).isEmpty();
  }
}
