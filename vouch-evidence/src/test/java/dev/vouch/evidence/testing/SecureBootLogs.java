package dev.vouch.evidence.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The real firmware logs of the vectors that measure a {@code SecureBoot} variable, with what their
 * vectors say (never what Vouch computes): the variable's value and a PCR 7 value from the source
 * or from the research's own independent replay.
 *
 * @param name the vector's key
 * @param file the log
 * @param bank the bank of {@code pcr7}
 * @param pcr7 PCR 7 as the vector gives it
 * @param secureBoot the SecureBoot byte as the vector gives it (01 = true), empty when the variable
 *     was measured with other than one byte
 */
public record SecureBootLogs(
    String name, Path file, HashAlg bank, byte[] pcr7, Optional<Boolean> secureBoot) {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public String toString() {
    return name;
  }

  /** The log's bytes. */
  public byte[] bytes() {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every such log: those of the research {@code vectors/tpm-eventlog} (skipped when the research
   * folder is absent) and the go-tpm-tools copies in test resources.
   */
  public static List<SecureBootLogs> all() {
    List<SecureBootLogs> out = new ArrayList<>();
    out.addAll(goTpmTools());
    if (ResearchData.present()) {
      out.addAll(research());
    }
    return out;
  }

  /** The go-tpm-tools logs in test resources ({@code go-tpm-tools/expected.json}). */
  public static List<SecureBootLogs> goTpmTools() {
    Path dir = resources().resolve("go-tpm-tools");
    List<SecureBootLogs> out = new ArrayList<>();
    read(dir.resolve("expected.json"))
        .properties()
        .forEach(
            e -> {
              JsonNode v = e.getValue();
              JsonNode pcrs = v.get("expected_pcrs_from_source");
              HashAlg bank = pcrs.has("sha256") ? HashAlg.SHA256 : HashAlg.SHA1;
              JsonNode sb = v.get("secure_boot_value");
              out.add(
                  new SecureBootLogs(
                      "go-tpm-tools/" + e.getKey(),
                      dir.resolve(e.getKey()),
                      bank,
                      Hex.decode(pcrs.get(bank.shortName()).get("7").asText()),
                      sb == null || sb.isNull()
                          ? Optional.empty()
                          : Optional.of(sb.asText().equals("01"))));
            });
    return out;
  }

  /** The research {@code vectors/tpm-eventlog} logs whose facts list a SecureBoot variable. */
  public static List<SecureBootLogs> research() {
    Path dir = ResearchData.vectors("tpm-eventlog");
    List<SecureBootLogs> out = new ArrayList<>();
    for (var e : read(dir.resolve("expected.json")).properties()) {
      JsonNode v = e.getValue();
      JsonNode sbVar = null;
      for (JsonNode var : v.path("secure_boot_variables")) {
        if (var.get("var").asText().equals("SecureBoot")) {
          sbVar = var;
          break;
        }
      }
      if (sbVar == null) {
        continue;
      }
      Optional<Boolean> sb =
          sbVar.get("data_len").asInt() == 1
              ? Optional.of(sbVar.get("value").asText().equals("01"))
              : Optional.empty();
      HashAlg bank;
      byte[] pcr7;
      if (v.has("expected_pcrs_file")) {
        // one hex value per line for PCR 0, 1, ...: line 8 is PCR 7
        List<String> lines = lines(dir.resolve(v.get("expected_pcrs_file").asText()));
        pcr7 = Hex.decode(lines.get(7));
        bank = pcr7.length == 20 ? HashAlg.SHA1 : HashAlg.SHA256;
      } else {
        JsonNode pcrs = v.get("computed_pcrs_by_us");
        bank = pcrs.has("sha256") ? HashAlg.SHA256 : HashAlg.SHA1;
        pcr7 = Hex.decode(pcrs.get(bank.shortName()).get("7").asText());
      }
      out.add(new SecureBootLogs(e.getKey(), dir.resolve(e.getKey()), bank, pcr7, sb));
    }
    return out;
  }

  private static Path resources() {
    try {
      return Path.of(SecureBootLogs.class.getResource("/vectors/tpm-eventlog").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file).stream()
          .map(String::strip)
          .filter(l -> !l.isEmpty())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
