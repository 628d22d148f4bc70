package dev.vouch.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class LogLineTest {
  private static final Instant AT = Instant.parse("2026-12-07T23:40:00.365123Z");

  @ParameterizedTest
  @EnumSource(LogFormat.class)
  void aLineReadsBackAsWritten(LogFormat format) {
    LogLine line =
        LogLine.of(
            AT,
            "INFO",
            "VouchServer",
            "vouch server listening url=http://127.0.0.1:8443 database=h2 tls=OFF",
            null);
    LogLine back = LogLine.parse(line.format(format));
    assertThat(back).isEqualTo(line);
    assertThat(back.time()).isEqualTo(Instant.parse("2026-12-07T23:40:00.365Z"));
    assertThat(back.fields())
        .containsExactly(
            Map.entry("url", "http://127.0.0.1:8443"),
            Map.entry("database", "h2"),
            Map.entry("tls", "OFF"));
  }

  @Test
  void theTextLayoutIsTimeLevelComponentMessage() {
    assertThat(
            LogLine.of(AT, "WARN", "Registrar", "ek roots empty count=0", null)
                .format(LogFormat.TEXT))
        .isEqualTo("2026-12-07T23:40:00.365Z WARN  Registrar ek roots empty count=0");
  }

  @ParameterizedTest
  @EnumSource(LogFormat.class)
  void aMultiLineMessageAndAFailureStayOnOneLine(LogFormat format) {
    LogLine line =
        LogLine.of(
            AT,
            "ERROR",
            "TrustAgent",
            "quote failed host=h1\nsecond line",
            new IllegalStateException("TPM is in failure mode\nretry"));
    String text = line.format(format);
    assertThat(text).doesNotContain("\n");
    LogLine back = LogLine.parse(text);
    assertThat(back.error())
        .hasValue("java.lang.IllegalStateException: TPM is in failure mode\\nretry");
    assertThat(back.message()).isEqualTo("quote failed host=h1\\nsecond line");
    assertThat(back.fields()).containsEntry("host", "h1\\nsecond line");
  }

  @Test
  void julRecordsGetTheSameLayout() {
    LogRecord r = new LogRecord(Level.WARNING, "enrollment refused host={0}");
    r.setParameters(new Object[] {"h1"});
    r.setLoggerName("dev.vouch.agent.trust.Enrollment");
    r.setInstant(AT);
    String text = new Logs.LineFormatter(LogFormat.TEXT).format(r);
    assertThat(text)
        .isEqualTo("2026-12-07T23:40:00.365Z WARN  Enrollment enrollment refused host=h1\n");
    LogLine json = LogLine.parse(new Logs.LineFormatter(LogFormat.JSON).format(r).strip());
    assertThat(json.level()).isEqualTo("WARN");
    assertThat(json.component()).isEqualTo("Enrollment");
    assertThat(json.fields()).containsEntry("host", "h1");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "hello world",
        "23:40:00.365 INFO  VouchServer listening",
        "2026-12-07T23:40:00.365+01:00 INFO  VouchServer listening",
        "2026-12-07T23:40:00.365Z NOTICE VouchServer listening",
        "2026-12-07T23:40:00.365Z INFO  VouchServer",
        "{\"time\":\"2026-12-07T23:40:00Z\",\"level\":\"INFO\",\"component\":\"X\"}",
        "{\"time\":\"yesterday\",\"level\":\"INFO\",\"component\":\"X\",\"message\":\"m\"}",
        "{\"time\":\"2026-12-07T23:40:00Z\",\"level\":\"LOUD\",\"component\":\"X\",\"message\":\"m\"}",
        "{not json"
      })
  void refusesWhatIsNotALogLine(String line) {
    assertThatThrownBy(() -> LogLine.parse(line)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theFormatIsChosenByPropertyAndAnUnknownOneIsRefused() {
    String before = System.getProperty(LogFormat.PROPERTY);
    try {
      System.setProperty(LogFormat.PROPERTY, "JSON");
      assertThat(LogFormat.configured()).isEqualTo(LogFormat.JSON);
      System.setProperty(LogFormat.PROPERTY, "text");
      assertThat(LogFormat.configured()).isEqualTo(LogFormat.TEXT);
      System.setProperty(LogFormat.PROPERTY, "jsonl");
      assertThatThrownBy(LogFormat::configured)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("VOUCH_LOG_FORMAT must be 'text' or 'json'");
    } finally {
      if (before == null) {
        System.clearProperty(LogFormat.PROPERTY);
      } else {
        System.setProperty(LogFormat.PROPERTY, before);
      }
    }
  }
}
