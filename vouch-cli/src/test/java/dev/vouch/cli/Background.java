package dev.vouch.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * A long-running verb ({@code agent}, {@code data-hub}) run in this JVM on a virtual thread, its
 * output captured; closing it counts down the verb's stop latch and waits for it to return.
 */
record Background(Thread thread, AtomicInteger exit, StringWriter out, CountDownLatch stop)
    implements AutoCloseable {
  static Background start(Object command, CountDownLatch stop, String... args) {
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(command);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(out, true));
    AtomicInteger exit = new AtomicInteger(-1);
    Thread t = Thread.ofVirtual().start(() -> exit.set(cl.execute(args)));
    return new Background(t, exit, out, stop);
  }

  /**
   * Waits until the output matches {@code pattern} (the verb says it is serving) and answers the
   * match; fails when the verb exits first or a minute passes (a slow machine, not a race).
   */
  Matcher await(Pattern pattern) throws InterruptedException {
    Matcher m = pattern.matcher("");
    Instant deadline = Instant.now().plus(Duration.ofMinutes(1));
    while (thread.isAlive()
        && !m.reset(out.toString()).find()
        && Instant.now().isBefore(deadline)) {
      thread.join(Duration.ofMillis(50));
    }
    assertThat(m.reset(out.toString()).find()).as(out.toString()).isTrue();
    return m;
  }

  @Override
  public void close() throws InterruptedException {
    stop.countDown();
    thread.join(Duration.ofSeconds(10));
  }
}
