package dev.vouch.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Grafana dashboard in {@code deploy/grafana} reads only metrics a running server exports:
 * every series name in its queries must appear in a {@code /metrics} scrape.
 */
public final class DashboardMetrics {
  public static final Path DASHBOARD = Path.of("../deploy/grafana/vouch-dashboard.json");
  private static final Pattern SERIES = Pattern.compile("\\b((?:vouch|http_server)_[a-z_]+)\\b");

  private DashboardMetrics() {}

  /** The series names the dashboard's queries use. */
  public static Set<String> series() throws IOException {
    JsonNode d = TestServers.JSON.readTree(Files.readString(DASHBOARD));
    Set<String> names = new TreeSet<>();
    for (JsonNode p : d.path("panels")) {
      for (JsonNode t : p.path("targets")) {
        Matcher m = SERIES.matcher(t.path("expr").asText());
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }

  /** Asserts that {@code scrape} (a Prometheus text exposition) has every dashboard series. */
  public static void assertAllExported(String scrape) throws IOException {
    Set<String> names = series();
    assertThat(names).as("the dashboard queries something").isNotEmpty();
    for (String n : names) {
      assertThat(scrape).as("/metrics exports " + n).containsPattern("(?m)^" + n + "[{ ]");
    }
  }
}
