package dev.vouch.core.log;

import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Routes {@code java.util.logging} (the agent's logger, and the few server classes that use it) to
 * standard error as {@link LogLine}s, so that the agent and the server, whose other loggers go
 * through Logback with the same layout, write one format.
 */
public final class Logs {
  private Logs() {}

  /** Replaces the root handlers of {@code java.util.logging} by one writing {@code format}. */
  public static void install(LogFormat format) {
    Logger root = LogManager.getLogManager().getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    Handler h = new ConsoleHandler(); // standard error, flushed after each record
    h.setFormatter(new LineFormatter(format));
    h.setLevel(Level.ALL); // the loggers' own levels decide
    root.addHandler(h);
  }

  /** A logger name's last part: the class that logged. */
  public static String component(String loggerName) {
    if (loggerName == null || loggerName.isEmpty()) {
      return "-";
    }
    return loggerName.substring(loggerName.lastIndexOf('.') + 1);
  }

  /** The Logback/SLF4J level name of a {@code java.util.logging} level. */
  static String level(Level l) {
    int v = l.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (v >= Level.WARNING.intValue()) {
      return "WARN";
    }
    if (v >= Level.CONFIG.intValue()) {
      return "INFO";
    }
    return v >= Level.FINE.intValue() ? "DEBUG" : "TRACE";
  }

  /** Formats each record as one {@link LogLine}. */
  public static final class LineFormatter extends Formatter {
    private final LogFormat format;

    public LineFormatter(LogFormat format) {
      this.format = format;
    }

    @Override
    public String format(LogRecord r) {
      return LogLine.of(
                  r.getInstant(),
                  level(r.getLevel()),
                  component(r.getLoggerName()),
                  formatMessage(r),
                  r.getThrown())
              .format(format)
          + "\n";
    }
  }
}
