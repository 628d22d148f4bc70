package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code vouch eventlog replay} refuses a log whose event data is not what its digests hash (exit
 * 1, {@code EVENT_DIGEST_MISMATCH}), {@code show} still displays it and marks the entry, and replay
 * prints only registers the log extends or initialises.
 */
class EventlogDigestCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** {@code EFI_GLOBAL_VARIABLE} 8be4df61-93ca-11d2-aa0d-00e098032b8c as it is stored. */
  private static final byte[] GLOBAL = {
    0x61,
    (byte) 0xdf,
    (byte) 0xe4,
    (byte) 0x8b,
    (byte) 0xca,
    (byte) 0x93,
    (byte) 0xd2,
    0x11,
    (byte) 0xaa,
    0x0d,
    0x00,
    (byte) 0xe0,
    (byte) 0x98,
    0x03,
    0x2b,
    (byte) 0x8c
  };

  /** A real log with a SecureBoot variable and the variable's value as its vector states it. */
  record SbLog(String name, Path file, Optional<Boolean> secureBoot) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<SbLog> logs() throws IOException {
    List<SbLog> out = new ArrayList<>();
    Path gtt = CliRun.VECTORS.resolve("tpm-eventlog/go-tpm-tools");
    for (var e : JSON.readTree(gtt.resolve("expected.json").toFile()).properties()) {
      JsonNode v = e.getValue().get("secure_boot_value");
      out.add(
          new SbLog(
              "go-tpm-tools/" + e.getKey(),
              gtt.resolve(e.getKey()),
              v.isNull() ? Optional.empty() : Optional.of(v.asText().equals("01"))));
    }
    boolean withResearch = Research.present();
    Path research = withResearch ? Research.vectors().resolve("tpm-eventlog") : null;
    if (withResearch) {
      for (var e : JSON.readTree(research.resolve("expected.json").toFile()).properties()) {
        for (JsonNode var : e.getValue().path("secure_boot_variables")) {
          if (var.get("var").asText().equals("SecureBoot")) {
            out.add(
                new SbLog(
                    e.getKey(),
                    research.resolve(e.getKey()),
                    var.get("data_len").asInt() == 1
                        ? Optional.of(var.get("value").asText().equals("01"))
                        : Optional.empty()));
            break;
          }
        }
      }
    }
    // without the research folder (a user's clone) the copied go-tpm-tools logs still run
    assertThat(out).hasSizeGreaterThanOrEqualTo(withResearch ? 14 : 1);
    return out;
  }

  /** The offset of the last byte of the first SecureBoot {@code UEFI_VARIABLE_DATA}, by search. */
  private static int lastSecureBootDataByte(byte[] log) {
    byte[] name = "SecureBoot".getBytes(StandardCharsets.UTF_16LE);
    outer:
    for (int i = 0; i + 32 + name.length <= log.length; i++) {
      for (int j = 0; j < GLOBAL.length; j++) {
        if (log[i + j] != GLOBAL[j]) {
          continue outer;
        }
      }
      if (log[i + 16] != 10) {
        continue;
      }
      for (int j = 0; j < name.length; j++) {
        if (log[i + 32 + j] != name[j]) {
          continue outer;
        }
      }
      int valueLength = (log[i + 24] & 0xff) | (log[i + 25] & 0xff) << 8;
      return i + 32 + name.length + valueLength - 1;
    }
    throw new AssertionError("no SecureBoot variable");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("logs")
  void replaysTheHonestLogAndShowsTheVectorsSecureBootValue(SbLog log) {
    CliRun r = CliRun.of("eventlog", "replay", log.file().toString(), "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    JsonNode enabled = r.json().at("/secure_boot/enabled");
    if (log.secureBoot().isPresent()) {
      assertThat(enabled.asBoolean()).isEqualTo(log.secureBoot().get());
      assertThat(enabled.isBoolean()).isTrue();
    } else {
      assertThat(enabled.asText()).isEqualTo("unknown");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("logs")
  void refusesTheLogWithOneByteOfItsSecureBootVariableChanged(SbLog log, @TempDir Path dir)
      throws IOException {
    byte[] bytes = Files.readAllBytes(log.file());
    bytes[lastSecureBootDataByte(bytes)] ^= 0x01;
    Path forged = dir.resolve("forged.bin");
    Files.write(forged, bytes);

    CliRun r = CliRun.of("eventlog", "replay", forged.toString(), "--json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.json().at("/valid").asBoolean(true)).isFalse();
    assertThat(r.json().at("/errors/0/code").asText()).isEqualTo("EVENT_DIGEST_MISMATCH");
    assertThat(r.json().at("/errors/0/message").asText())
        .contains("EV_EFI_VARIABLE_DRIVER_CONFIG")
        .contains("PCR 7");

    CliRun text = CliRun.of("eventlog", "replay", forged.toString());
    assertThat(text.exit()).isEqualTo(1);
    assertThat(text.err()).contains("FAILED EVENT_DIGEST_MISMATCH");
  }

  @Test
  void showDisplaysAForgedLogAndMarksTheEntry(@TempDir Path dir) throws IOException {
    Path src = CliRun.VECTORS.resolve("tpm-eventlog/keylime/binary_bios_measurements-secureboot");
    byte[] bytes = Files.readAllBytes(src);
    int at = lastSecureBootDataByte(bytes);
    bytes[at] ^= 0x01;
    Path forged = dir.resolve("forged.bin");
    Files.write(forged, bytes);
    CliRun honest = CliRun.of("eventlog", "show", src.toString(), "--json");
    CliRun r = CliRun.of("eventlog", "show", forged.toString(), "--json");
    assertThat(r.exit()).isEqualTo(0);
    assertThat(honest.json().has("digest_mismatches")).isFalse();
    JsonNode bad = r.json().at("/digest_mismatches");
    assertThat(bad.size()).isEqualTo(1);
    assertThat(bad.at("/0/code").asText()).isEqualTo("EVENT_DIGEST_MISMATCH");
    assertThat(bad.at("/0/type").asText()).isEqualTo("EV_EFI_VARIABLE_DRIVER_CONFIG");
    int index = bad.at("/0/index").asInt();
    JsonNode event = r.json().at("/events/" + index);
    assertThat(event.get("name").asText()).isEqualTo("SecureBoot");
    assertThat(event.get("digest_mismatch").asText()).isEqualTo("sha256");
    assertThat(r.json().at("/events").size()).isEqualTo(honest.json().at("/events").size());

    CliRun text = CliRun.of("eventlog", "show", forged.toString());
    assertThat(text.out()).contains("WARNING EVENT_DIGEST_MISMATCH: event " + index);
  }

  @Test
  void replayPrintsOnlyRegistersTheLogExtendsOrInitialises(@TempDir Path dir) throws Exception {
    byte[] separator = new byte[4];
    // a crypto-agile log (SHA-256) with one separator on PCR 4
    Path plain = dir.resolve("plain.bin");
    Files.write(plain, agileLog(List.of(entry(4, 4, separator))));
    CliRun r = CliRun.of("eventlog", "replay", plain.toString(), "--json");
    assertThat(r.exit()).as(r.err()).isEqualTo(0);
    assertThat(r.json().at("/events").asInt()).isEqualTo(2);
    assertThat(fieldNames(r.json().at("/banks/sha256"))).containsExactly("4");
    byte[] pcr4 = sha256(concat(new byte[32], sha256(separator)));
    assertThat(r.json().at("/banks/sha256/4").asText()).isEqualTo(hex(pcr4));

    // the same with a StartupLocality(3) no-action entry on PCR 0: PCR 0 = 00..03, not extended
    byte[] locality = new byte[17];
    System.arraycopy("StartupLocality".getBytes(StandardCharsets.US_ASCII), 0, locality, 0, 15);
    locality[16] = 3;
    Path withLocality = dir.resolve("locality.bin");
    Files.write(withLocality, agileLog(List.of(entry(0, 3, locality), entry(4, 4, separator))));
    CliRun l = CliRun.of("eventlog", "replay", withLocality.toString(), "--json");
    assertThat(l.exit()).as(l.err()).isEqualTo(0);
    assertThat(fieldNames(l.json().at("/banks/sha256"))).containsExactly("0", "4");
    assertThat(l.json().at("/banks/sha256/0").asText()).isEqualTo("00".repeat(31) + "03");
  }

  private static List<String> fieldNames(JsonNode n) {
    List<String> out = new ArrayList<>();
    n.fieldNames().forEachRemaining(out::add);
    return out;
  }

  private record Entry(int pcr, int type, byte[] data) {}

  private static Entry entry(int pcr, int type, byte[] data) {
    return new Entry(pcr, type, data);
  }

  /** A TCG crypto-agile log written from the PFP layout: Spec ID event, then TCG_PCR_EVENT2s. */
  private static byte[] agileLog(List<Entry> entries) throws Exception {
    ByteArrayOutputStream spec = new ByteArrayOutputStream();
    spec.writeBytes("Spec ID Event03\0".getBytes(StandardCharsets.US_ASCII));
    le32(spec, 0); // platformClass
    spec.write(0); // specVersionMinor
    spec.write(2); // specVersionMajor
    spec.write(0); // specErrata
    spec.write(2); // uintnSize
    le32(spec, 1); // one algorithm
    le16(spec, 0x000b); // SHA-256
    le16(spec, 32);
    spec.write(0); // vendorInfoSize
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    le32(out, 0);
    le32(out, 3); // EV_NO_ACTION
    out.writeBytes(new byte[20]);
    le32(out, spec.size());
    out.writeBytes(spec.toByteArray());
    for (Entry e : entries) {
      le32(out, e.pcr());
      le32(out, e.type());
      le32(out, 1);
      le16(out, 0x000b);
      out.writeBytes(e.type() == 3 ? new byte[32] : sha256(e.data()));
      le32(out, e.data().length);
      out.writeBytes(e.data());
    }
    return out.toByteArray();
  }

  private static void le32(ByteArrayOutputStream o, long v) {
    for (int i = 0; i < 4; i++) {
      o.write((int) (v >>> (8 * i)) & 0xff);
    }
  }

  private static void le16(ByteArrayOutputStream o, int v) {
    o.write(v & 0xff);
    o.write((v >>> 8) & 0xff);
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format("%02x", x));
    }
    return s.toString();
  }
}
