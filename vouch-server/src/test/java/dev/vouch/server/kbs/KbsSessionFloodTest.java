package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import dev.vouch.core.Tee;
import dev.vouch.server.TestServers;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import dev.vouch.server.store.TestDatabases;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The acceptance flood of issue 12: 100,000 anonymous {@code /kbs/v0/auth} requests from one
 * address (127.0.0.1), sent as fast as pipelined keep-alive connections allow, against {@code vouch
 * server} with its default per-client limits, while an honest client on another loopback address
 * (127.0.0.2, a different TCP peer) keeps completing handshakes. The session table, counted in the
 * database itself, stays within what the per-client rate admits; every honest handshake succeeds.
 */
class KbsSessionFloodTest {
  private static final int FLOOD = 100_000;
  private static final int CONNECTIONS = 4;
  private static final int PIPELINE = 64;
  private static final byte[] AUTH_BODY =
      "{\"version\":\"0.4.0\",\"tee\":\"sample\",\"extra-params\":\"\"}"
          .getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;

  static Stream<String> databases() {
    return Stream.of("h2", "postgresql");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("databases")
  void aFloodFromOneAddressLeavesTheTableBoundedAndAnHonestClientCompletes(String kind)
      throws Exception {
    TestDatabases.Handle db = kind.equals("h2") ? TestDatabases.h2(dir) : TestDatabases.postgres();
    ServerConfig config =
        TestServers.config(
                dir,
                ServerConfig.TlsMode.OFF,
                kind.equals("h2") ? Optional.empty() : Optional.of(db.url()))
            .withKbs(
                new ServerConfig.Kbs(
                    true,
                    Duration.ofMinutes(5),
                    List.of(),
                    EnumSet.of(Tee.SAMPLE),
                    Optional.empty()))
            .withVerifiers(ServerConfig.Verifiers.defaults().withSample(true));
    ServerConfig.Kbs limits = config.kbs();
    try (db;
        VouchServer server = VouchServer.start(config, Clock.systemUTC(), List.of())) {
      int port = server.baseUri().getPort();
      AtomicBoolean flooding = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(CONNECTIONS + 1);
      try {
        Future<int[]> honest = pool.submit(() -> honestHandshakes(port, flooding));
        long start = System.nanoTime();
        List<Future<Counts>> floods = new ArrayList<>();
        for (int i = 0; i < CONNECTIONS; i++) {
          floods.add(pool.submit(() -> flood(port, FLOOD / CONNECTIONS)));
        }
        Counts total = new Counts();
        for (Future<Counts> f : floods) {
          total.add(f.get(5, TimeUnit.MINUTES));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        flooding.set(false);
        int[] h = honest.get(1, TimeUnit.MINUTES);
        long rows = sessionRows(server);

        System.out.printf(
            Locale.ROOT,
            "kbs flood (%s): %d /auth in %.1f s (%.0f/s): %d admitted, %d refused 429;"
                + " honest handshakes %d ok of %d; kbs_sessions rows %d%n",
            kind,
            total.all(),
            seconds,
            total.all() / seconds,
            total.ok,
            total.limited,
            h[0],
            h[1],
            rows);
        assertThat(total.all()).isEqualTo(FLOOD);
        assertThat(total.other).as("every answer is 200 or 429").isZero();
        assertThat(total.limitedWithoutRetryAfter).as("every 429 says Retry-After").isZero();
        assertThat(seconds).as("the flood is sent in under a minute").isLessThan(60);
        // what a token bucket of this burst and rate can admit in the time the flood took
        long admissible =
            limits.authLimit().burst()
                + (long) Math.ceil(limits.authLimit().perSecond() * (seconds + 1));
        assertThat((long) total.ok).isLessThanOrEqualTo(admissible);
        assertThat(rows)
            .as("the session table holds the admitted flood and the honest sessions only")
            .isLessThanOrEqualTo(admissible + h[1])
            .isLessThan(limits.maxUnattestedSessions());
        assertThat(h[1]).as("the honest client ran throughout the flood").isGreaterThan(3);
        assertThat(h[0]).as("every honest handshake succeeded").isEqualTo(h[1]);
      } finally {
        flooding.set(false);
        pool.shutdownNow();
      }
    }
  }

  /** Handshakes from 127.0.0.2 every 200 ms until the flood ends: {succeeded, attempted}. */
  private static int[] honestHandshakes(int port, AtomicBoolean flooding) throws Exception {
    HttpClient http =
        HttpClient.newBuilder().localAddress(InetAddress.getByName("127.0.0.2")).build();
    int ok = 0;
    int tried = 0;
    List<String> failures = new ArrayList<>();
    while (flooding.get()) {
      tried++;
      DocClient c = new DocClient(http, "http://127.0.0.1:" + port);
      HttpResponse<String> auth = c.auth("sample");
      if (auth.statusCode() == 200) {
        HttpResponse<String> att = c.attest(DocClient.ecKey(Curve.P_256));
        if (att.statusCode() == 200 && DocClient.json(att).hasNonNull("token")) {
          ok++;
        } else {
          failures.add("attest " + att.statusCode() + " " + att.body());
        }
      } else {
        failures.add("auth " + auth.statusCode() + " " + auth.body());
      }
      Thread.sleep(200);
    }
    assertThat(failures).isEmpty();
    return new int[] {ok, tried};
  }

  private static final class Counts {
    int ok;
    int limited;
    int limitedWithoutRetryAfter;
    int other;

    int all() {
      return ok + limited + other;
    }

    void add(Counts c) {
      ok += c.ok;
      limited += c.limited;
      limitedWithoutRetryAfter += c.limitedWithoutRetryAfter;
      other += c.other;
    }
  }

  /** {@code n} anonymous /auth requests on one keep-alive connection, pipelined in batches. */
  private static Counts flood(int port, int n) throws IOException {
    byte[] request =
        ("POST /kbs/v0/auth HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + AUTH_BODY.length
                + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    Counts c = new Counts();
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      s.connect(new InetSocketAddress("127.0.0.1", port));
      s.setTcpNoDelay(true);
      OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
      InputStream in = new BufferedInputStream(s.getInputStream(), 1 << 16);
      int done = 0;
      while (done < n) {
        int batch = Math.min(PIPELINE, n - done);
        for (int i = 0; i < batch; i++) {
          out.write(request);
          out.write(AUTH_BODY);
        }
        out.flush();
        for (int i = 0; i < batch; i++) {
          readResponse(in, c);
        }
        done += batch;
      }
    }
    return c;
  }

  private static void readResponse(InputStream in, Counts c) throws IOException {
    String status = line(in);
    int code = Integer.parseInt(status.split(" ")[1]);
    long length = 0;
    boolean chunked = false;
    boolean retryAfter = false;
    for (String h = line(in); !h.isEmpty(); h = line(in)) {
      String lower = h.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(h.substring(15).trim());
      } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
        chunked = true;
      } else if (lower.startsWith("retry-after:")) {
        retryAfter = Long.parseLong(h.substring(12).trim()) >= 1;
      }
    }
    if (chunked) {
      for (long size = Long.parseLong(line(in).trim(), 16); size > 0; ) {
        in.skipNBytes(size);
        line(in);
        size = Long.parseLong(line(in).trim(), 16);
      }
      line(in);
    } else {
      in.skipNBytes(length);
    }
    switch (code) {
      case 200 -> c.ok++;
      case 429 -> {
        c.limited++;
        if (!retryAfter) {
          c.limitedWithoutRetryAfter++;
        }
      }
      default -> c.other++;
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(64);
    for (int ch = in.read(); ch != '\n'; ch = in.read()) {
      if (ch < 0) {
        throw new IOException("connection closed mid-response");
      }
      if (ch != '\r') {
        b.write(ch);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  /** The session rows as the database itself counts them. */
  private static long sessionRows(VouchServer server) {
    return server
        .services()
        .database()
        .read(
            c -> {
              try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM kbs_sessions");
                  ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
              }
            });
  }
}
