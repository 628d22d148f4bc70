package dev.vouch.evidence.tdx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The copied vectors/tdx files and their expected.json, read from the test classpath. */
public final class TdxVectors {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNode EXPECTED = MAPPER.valueToTree(load("expected.json", Map.class));

  private TdxVectors() {}

  /** Bytes of {@code vectors/tdx/<name>}. */
  public static byte[] bytes(String name) {
    try (InputStream in = TdxVectors.class.getResourceAsStream("/vectors/tdx/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource vectors/tdx/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static <T> T load(String name, Class<T> type) {
    try {
      return MAPPER.readValue(bytes(name), type);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The expected.json entry of {@code sample}. */
  public static JsonNode expected(String sample) {
    return EXPECTED.get(sample);
  }

  /** Names of the samples that are quotes (they have a header). */
  public static List<String> quoteSamples() {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = EXPECTED.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (EXPECTED.get(k).has("header")) {
        out.add(k);
      }
    }
    return out;
  }

  /** Names of the CCEL samples. */
  public static List<String> ccelSamples() {
    List<String> out = new ArrayList<>();
    for (Iterator<String> it = EXPECTED.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (EXPECTED.get(k).has("replayed_rtmr0_3")) {
        out.add(k);
      }
    }
    return out;
  }

  /** The sample's verification time ({@code "2025-07-19 10:00:34+00:00"} form). */
  public static Instant verificationTime(String sample) {
    String t = expected(sample).get("verification_time_used").asText();
    return OffsetDateTime.parse(t, DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssxxx"))
        .toInstant();
  }

  /** The collateral file the sample names, relative to vectors/tdx. */
  public static String collateralFile(String sample) {
    String c = expected(sample).get("collateral").asText();
    String name = c.split(" ")[0];
    return name.contains("/") ? name : sample.substring(0, sample.indexOf('/') + 1) + name;
  }
}
