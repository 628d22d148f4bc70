package dev.vouch.server.log;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.LayoutBase;
import dev.vouch.core.log.LogFormat;
import dev.vouch.core.log.LogLine;
import dev.vouch.core.log.Logs;
import java.time.Instant;

/**
 * The Logback layout of {@code vouch server} (and of Logback loggers in {@code vouch agent}): each
 * event as one {@link LogLine} in the format {@link LogFormat#configured()} names, the same layout
 * {@link Logs} gives {@code java.util.logging}.
 */
public final class VouchLogLayout extends LayoutBase<ILoggingEvent> {
  private LogFormat format = LogFormat.TEXT;

  @Override
  public void start() {
    try {
      format = LogFormat.configured();
    } catch (IllegalArgumentException e) {
      // the CLI refuses the setting before logging starts; here it can only be reported
      addError(e.getMessage());
    }
    super.start();
  }

  @Override
  public String doLayout(ILoggingEvent e) {
    IThrowableProxy p = e.getThrowableProxy();
    Throwable thrown = p instanceof ThrowableProxy tp ? tp.getThrowable() : null;
    return LogLine.of(
                Instant.ofEpochMilli(e.getTimeStamp()),
                e.getLevel().toString(),
                Logs.component(e.getLoggerName()),
                e.getFormattedMessage(),
                thrown)
            .format(format)
        + "\n";
  }
}
