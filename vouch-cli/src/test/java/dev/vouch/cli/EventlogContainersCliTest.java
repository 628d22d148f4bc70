package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** {@code vouch eventlog containers}: the command contract of issue 13, key for key. */
class EventlogContainersCliTest {
  static final String POD = "0c2a5bd4-4f5e-4bd0-9c6f-3f1e8a2b7c11";
  static final String C1 = "a1".repeat(32);
  static final String C2 = "b2".repeat(32);
  static final String SCOPE1 =
      "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
          + POD.replace('-', '_')
          + ".slice/cri-containerd-"
          + C1
          + ".scope";

  /** One ima-cgpath ASCII line and its SHA-256 template hash, built here from the field layout. */
  static final class Line {
    final byte[] th;
    final String text;
    final byte[] binary;

    Line(String dep, String cg, String file) throws Exception {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(file.getBytes(StandardCharsets.UTF_8));
      ByteArrayOutputStream d = new ByteArrayOutputStream();
      field(d, (dep + "\0").getBytes(StandardCharsets.UTF_8));
      field(d, (cg + "\0").getBytes(StandardCharsets.UTF_8));
      ByteArrayOutputStream dng = new ByteArrayOutputStream();
      dng.writeBytes("sha256:\0".getBytes(StandardCharsets.US_ASCII));
      dng.writeBytes(digest);
      field(d, dng.toByteArray());
      field(d, (file + "\0").getBytes(StandardCharsets.UTF_8));
      th = MessageDigest.getInstance("SHA-256").digest(d.toByteArray());
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      b.writeBytes(new byte[] {10, 0, 0, 0});
      b.writeBytes(th);
      field(b, "ima-cgpath".getBytes(StandardCharsets.US_ASCII));
      field(b, d.toByteArray());
      binary = b.toByteArray();
      HexFormat h = HexFormat.of();
      text =
          "10 "
              + h.formatHex(th)
              + " ima-cgpath "
              + dep
              + " "
              + cg
              + " sha256:"
              + h.formatHex(digest)
              + " "
              + file
              + "\n";
    }

    static void field(ByteArrayOutputStream out, byte[] v) {
      out.write(v.length);
      out.write(v.length >>> 8);
      out.write(v.length >>> 16);
      out.write(v.length >>> 24);
      out.writeBytes(v);
    }
  }

  static Path write(String name, String text) throws Exception {
    Path p = Files.createTempFile(name, ".txt");
    Files.writeString(p, text);
    return p;
  }

  static String fold(byte[] start, byte[]... ths) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    byte[] r = start;
    for (byte[] t : ths) {
      md.update(r);
      md.update(t);
      r = md.digest();
    }
    return HexFormat.of().formatHex(r);
  }

  @Test
  void printsTheContractShapeWithRegistersFoldedFromZero() throws Exception {
    Line a = new Line("containerd-shim:runc", SCOPE1, "/bin/sh");
    Line h =
        new Line("swapper/0:systemd", "/system.slice/containerd.service", "/usr/bin/containerd");
    Line b = new Line("dockerd:runc", "/system.slice/docker-" + C2 + ".scope", "/usr/sbin/nginx");
    Line u = new Line("x", "/kubepods.slice/kubepods-podnotauid.slice", "/x");
    Line a2 = new Line("containerd-shim:runc", SCOPE1, "/app/server");
    Path list = write("cg", a.text + h.text + b.text + u.text + a2.text);
    CliRun r = CliRun.of("eventlog", "containers", list.toString(), "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    JsonNode j = r.json();
    assertThat(j.at("/hash_algorithm").asText()).isEqualTo("sha256");
    assertThat(j.at("/pods/" + POD + "/events").asInt()).isEqualTo(2);
    assertThat(j.at("/pods/" + POD + "/containers/0").asText()).isEqualTo(C1);
    assertThat(j.at("/pods/" + POD + "/register").asText())
        .isEqualTo(fold(new byte[32], a.th, a2.th));
    assertThat(j.at("/containers/" + C1 + "/pod").asText()).isEqualTo(POD);
    assertThat(j.at("/containers/" + C1 + "/events").asInt()).isEqualTo(2);
    assertThat(j.at("/containers/" + C1 + "/register").asText())
        .isEqualTo(fold(new byte[32], a.th, a2.th));
    assertThat(j.at("/containers/" + C2 + "/pod").isNull()).isTrue();
    assertThat(j.at("/containers/" + C2 + "/register").asText())
        .isEqualTo(fold(new byte[32], b.th));
    assertThat(j.at("/host/events").asInt()).isEqualTo(1);
    assertThat(j.at("/unattributed").asInt()).isEqualTo(1);
  }

  @Test
  void theBinaryFormGivesTheSameDocument() throws Exception {
    Line a = new Line("containerd-shim:runc", SCOPE1, "/bin/sh");
    Line h =
        new Line("swapper/0:systemd", "/system.slice/containerd.service", "/usr/bin/containerd");
    Path ascii = write("cg", a.text + h.text);
    Path bin = Files.createTempFile("cg", ".bin");
    ByteArrayOutputStream both = new ByteArrayOutputStream();
    both.writeBytes(a.binary);
    both.writeBytes(h.binary);
    Files.write(bin, both.toByteArray());
    CliRun fromAscii = CliRun.of("eventlog", "containers", ascii.toString(), "--json");
    CliRun fromBinary = CliRun.of("eventlog", "containers", bin.toString(), "--json");
    assertThat(fromBinary.exit()).as(fromBinary.err()).isEqualTo(0);
    assertThat(fromBinary.json()).isEqualTo(fromAscii.json());
    assertThat(fromBinary.json().at("/containers/" + C1 + "/register").asText())
        .isEqualTo(fold(new byte[32], a.th));
  }

  @Test
  void aPolicyBaselineIsWhereRegistersStart() throws Exception {
    Line a = new Line("containerd-shim:runc", SCOPE1, "/bin/sh");
    Path list = write("cg", a.text);
    Path policy =
        write(
            "policy",
            "backend: ima\nhashAlgorithm: sha256\nmeasure:\n  system:\n    withParameter: true\n"
                + "    processes:\n      - /usr/bin/containerd\n");
    CliRun r =
        CliRun.of(
            "eventlog", "containers", list.toString(), "--policy", policy.toString(), "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    byte[] base =
        HexFormat.of()
            .parseHex(
                fold(
                    new byte[32],
                    MessageDigest.getInstance("SHA-256")
                        .digest("/usr/bin/containerd".getBytes(StandardCharsets.UTF_8))));
    assertThat(r.json().at("/containers/" + C1 + "/register").asText()).isEqualTo(fold(base, a.th));
  }

  @Test
  void aPolicyWithAnUnknownKeyExitsTwoNamingLineAndKey() throws Exception {
    Path list = write("cg", new Line("d", SCOPE1, "/bin/sh").text);
    Path policy = write("policy", "backend: ima\nhashAlgorithm: sha256\nmeasure:\n  systems: {}\n");
    CliRun r = CliRun.of("eventlog", "containers", list.toString(), "--policy", policy.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("line 4").contains("measure.systems");
  }

  @Test
  void aPolicyWhoseHashAlgorithmIsNotTheListsExitsTwo() throws Exception {
    Path list = write("cg", new Line("d", SCOPE1, "/bin/sh").text);
    Path policy = write("policy", "backend: ima\nhashAlgorithm: sha384\n");
    CliRun r = CliRun.of("eventlog", "containers", list.toString(), "--policy", policy.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("hashAlgorithm sha384").contains("sha256");
  }

  @Test
  void aTruncatedBinaryListExitsTwoWithoutATrace() throws Exception {
    // a binary ima-ng list cut inside its template data
    byte[] bin =
        Files.readAllBytes(
            CliRun.VECTORS.resolve("ima/keylime/ima_measurements.txt.binary_runtime_measurements"));
    Path cut = Files.createTempFile("cut", ".bin");
    Files.write(cut, java.util.Arrays.copyOf(bin, bin.length - 5));
    CliRun r = CliRun.of("eventlog", "containers", cut.toString(), "--json");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("TRUNCATED").doesNotContain("Exception");
  }

  @Test
  void aMalformedAsciiLineExitsTwo() throws Exception {
    Path list = write("bad", "10 abc ima-cgpath x\n");
    CliRun r = CliRun.of("eventlog", "containers", list.toString(), "--json");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("MALFORMED");
  }

  @Test
  void aTamperedListIsAVerificationFailureExitOne() throws Exception {
    Line a = new Line("d", SCOPE1, "/bin/sh");
    Path list = write("cg", a.text.replace("/bin/sh", "/bin/sx"));
    CliRun r = CliRun.of("eventlog", "containers", list.toString(), "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("TEMPLATE_HASH_MISMATCH");
  }

  @Test
  void aListWithoutCgroupFieldsCountsUnattributedAndSaysSo() throws Exception {
    CliRun r =
        CliRun.of(
            "eventlog", "containers", CliRun.vector("ima/keylime/ima_measurements.txt"), "--json");
    assertThat(r.exit()).isEqualTo(0);
    assertThat(r.json().at("/unattributed").asInt()).isEqualTo(3);
    assertThat(r.json().at("/pods").size()).isZero();
    assertThat(r.err()).contains("no entry carries a cgroup field");
  }
}
