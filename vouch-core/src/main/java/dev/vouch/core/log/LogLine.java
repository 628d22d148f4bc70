package dev.vouch.core.log;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One log line of a Vouch process, the same layout for the server and the agent. As text:
 *
 * <pre>{@code 2026-12-07T23:40:00.365Z INFO  VouchServer vouch server listening url=http://... }
 * </pre>
 *
 * (UTC ISO-8601 timestamp in milliseconds, level padded to five, component, message whose trailing
 * {@code key=value} words are its fields); as JSON, one object per line with {@code time}, {@code
 * level}, {@code component}, {@code message}, {@code fields} and, for a failure, {@code error}.
 * {@link #parse} reads both, so one reader serves every process. Immutable.
 *
 * @param time when it was logged, to the millisecond
 * @param level TRACE, DEBUG, INFO, WARN or ERROR
 * @param component the logging class's simple name
 * @param message the message, one line
 * @param fields the message's {@code key=value} words, in order
 * @param error the failure's class and message, when one was logged with it
 */
public record LogLine(
    Instant time,
    String level,
    String component,
    String message,
    Map<String, String> fields,
    Optional<String> error) {
  public static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TEXT_LINE =
      Pattern.compile("(\\S+) (TRACE|DEBUG|INFO |WARN |ERROR) (\\S+) (.*)");
  // a field is a word key=...; its value runs to the next " key=" or the end of the message
  private static final Pattern FIELD = Pattern.compile("(?:^| )([a-z][a-z0-9_.]*)=");
  private static final String ERROR_FIELD = " error=";

  public LogLine {
    if (!LEVELS.contains(level)) {
      throw new IllegalArgumentException("unknown level '" + level + "'");
    }
    if (component.isEmpty() || component.chars().anyMatch(Character::isWhitespace)) {
      throw new IllegalArgumentException("component must be one word: '" + component + "'");
    }
    fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  /**
   * A line for an event: the message kept on one line, its fields read from it, a failure reduced
   * to its class and message (one line; the JSON form never carries a stack trace either, as the
   * logs reach people who must not see internals).
   */
  public static LogLine of(
      Instant time, String level, String component, String message, Throwable thrown) {
    String oneLine = message == null ? "" : message.replace("\r", "\\r").replace("\n", "\\n");
    Optional<String> error =
        Optional.ofNullable(thrown)
            .map(
                t ->
                    (t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage()))
                        .replace("\r", "\\r")
                        .replace("\n", "\\n"));
    return new LogLine(
        time.truncatedTo(ChronoUnit.MILLIS),
        level,
        component.isEmpty() ? "-" : component,
        oneLine,
        fieldsOf(oneLine),
        error);
  }

  /** The {@code key=value} words of a message, in order. */
  static Map<String, String> fieldsOf(String message) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = FIELD.matcher(message);
    String key = null;
    int valueStart = 0;
    while (m.find()) {
      if (key != null) {
        out.putIfAbsent(key, message.substring(valueStart, m.start()));
      }
      key = m.group(1);
      valueStart = m.end();
    }
    if (key != null) {
      out.putIfAbsent(key, message.substring(valueStart));
    }
    return out;
  }

  /** The line in {@code format}, without its line end. */
  public String format(LogFormat format) {
    return switch (format) {
      case TEXT ->
          time
              + " "
              + String.format("%-5s", level)
              + " "
              + component
              + " "
              + message
              + error.map(e -> ERROR_FIELD + e).orElse("");
      case JSON -> {
        ObjectNode o = JSON.createObjectNode();
        o.put("time", time.toString());
        o.put("level", level);
        o.put("component", component);
        o.put("message", message);
        ObjectNode f = o.putObject("fields");
        fields.forEach(f::put);
        error.ifPresent(e -> o.put("error", e));
        try {
          yield JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
          throw new IllegalStateException(e); // strings only: cannot happen
        }
      }
    };
  }

  /**
   * Reads a line in either format.
   *
   * @throws IllegalArgumentException when the line is not a Vouch log line
   */
  public static LogLine parse(String line) {
    if (line.startsWith("{")) {
      JsonNode o;
      try {
        o = JSON.readTree(line);
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("not a JSON log line: " + line, e);
      }
      for (String k : new String[] {"time", "level", "component", "message"}) {
        if (!o.path(k).isTextual()) {
          throw new IllegalArgumentException("JSON log line without '" + k + "': " + line);
        }
      }
      Map<String, String> fields = new LinkedHashMap<>();
      o.path("fields").properties().forEach(e -> fields.put(e.getKey(), e.getValue().asText()));
      return new LogLine(
          instant(o.get("time").asText(), line),
          o.get("level").asText(),
          o.get("component").asText(),
          o.get("message").asText(),
          fields,
          o.has("error") ? Optional.of(o.get("error").asText()) : Optional.empty());
    }
    Matcher m = TEXT_LINE.matcher(line);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a log line: " + line);
    }
    String message = m.group(4);
    Optional<String> error = Optional.empty();
    int e = message.indexOf(ERROR_FIELD);
    if (e >= 0) {
      error = Optional.of(message.substring(e + ERROR_FIELD.length()));
      message = message.substring(0, e);
    }
    return new LogLine(
        instant(m.group(1), line),
        m.group(2).strip(),
        m.group(3),
        message,
        fieldsOf(message),
        error);
  }

  private static Instant instant(String text, String line) {
    if (!text.endsWith("Z")) {
      throw new IllegalArgumentException("log time is not UTC: " + line);
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException ex) {
      throw new IllegalArgumentException("log time is not ISO-8601: " + line, ex);
    }
  }
}
