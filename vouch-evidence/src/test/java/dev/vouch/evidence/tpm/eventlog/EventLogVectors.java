package dev.vouch.evidence.tpm.eventlog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads the event-log vectors and their expectations, and compares replays with them. */
final class EventLogVectors {
  static final ObjectMapper JSON = new ObjectMapper();

  private EventLogVectors() {}

  /** {@code src/test/resources/vectors/tpm-eventlog}, the copies that need no research folder. */
  static Path resources() {
    try {
      return Path.of(EventLogVectors.class.getResource("/vectors/tpm-eventlog").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static JsonNode json(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code {"sha1": {"0": "hex", ...}, ...}} as registers per bank. */
  static Map<HashAlg, Map<Integer, byte[]>> pcrs(JsonNode banks) {
    Map<HashAlg, Map<Integer, byte[]>> out = new EnumMap<>(HashAlg.class);
    banks
        .properties()
        .forEach(
            bank -> {
              HashAlg alg = HashAlg.fromName(bank.getKey()).orElseThrow();
              Map<Integer, byte[]> regs = new TreeMap<>();
              bank.getValue()
                  .properties()
                  .forEach(
                      r ->
                          regs.put(
                              Integer.parseInt(r.getKey()), Hex.decode(r.getValue().asText())));
              out.put(alg, regs);
            });
    return out;
  }

  /**
   * A PCR listing file: either one hex value per line for PCR 0, 1, ... (HIRS) or {@code N: hex}
   * lines after a header (tsspcrread). The bank follows from the value length.
   */
  static Map<HashAlg, Map<Integer, byte[]>> pcrFile(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<Integer, byte[]> regs = new TreeMap<>();
    int next = 0;
    for (String line : lines) {
      String l = line.strip();
      if (l.isEmpty()) {
        continue;
      }
      int colon = l.indexOf(':');
      if (colon > 0 && l.substring(0, colon).chars().allMatch(Character::isDigit)) {
        regs.put(Integer.parseInt(l.substring(0, colon)), Hex.decode(l.substring(colon + 1)));
      } else if (Hex.isHex(l)) {
        regs.put(next++, Hex.decode(l));
      }
    }
    assertThat(regs).as("PCR values in " + file).isNotEmpty();
    int size = regs.values().iterator().next().length;
    HashAlg bank = size == 20 ? HashAlg.SHA1 : size == 32 ? HashAlg.SHA256 : HashAlg.SHA384;
    Map<HashAlg, Map<Integer, byte[]>> out = new EnumMap<>(HashAlg.class);
    out.put(bank, regs);
    return out;
  }

  /**
   * Asserts that the replay reproduces every expected register. A register the log never extends
   * must hold its reset value (zero, all ones for 17-22, the locality for PCR 0).
   *
   * @return how many registers were compared
   */
  static int assertReplayMatches(
      TcgEventLog log, Map<HashAlg, Map<Integer, byte[]>> expected, String what) {
    PcrValues replay = log.replay();
    int compared = 0;
    for (var bank : expected.entrySet()) {
      HashAlg alg = bank.getKey();
      assertThat(log.banks()).as(what + " banks").contains(alg);
      byte[][] reset = TcgEventLog.initialRegisters(alg, log.startupLocality());
      for (var reg : bank.getValue().entrySet()) {
        byte[] actual = replay.get(alg, reg.getKey()).orElse(reset[reg.getKey()]);
        assertThat(Hex.encode(actual))
            .as("%s %s PCR %d", what, alg.shortName(), reg.getKey())
            .isEqualTo(Hex.encode(reg.getValue()));
        compared++;
      }
    }
    assertThat(compared).as(what + ": registers compared").isPositive();
    return compared;
  }

  static LogFormat format(String name) {
    return switch (name) {
      case "crypto-agile" -> LogFormat.CRYPTO_AGILE;
      case "sha1-legacy" -> LogFormat.SHA1_LEGACY;
      default -> throw new IllegalArgumentException(name);
    };
  }

  static List<HashAlg> banks(JsonNode names) {
    return java.util.stream.StreamSupport.stream(names.spliterator(), false)
        .map(n -> HashAlg.fromName(n.asText()).orElseThrow())
        .toList();
  }
}
