package dev.vouch.bench;

import dev.vouch.agent.tpm.Handles;
import dev.vouch.agent.tpm.KeyTemplate;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.PersistentKey;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TransientKey;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Quotes per second through Vouch's Java TPM client against {@code tpm2_quote} (one process per
 * quote, as a shell-driven agent runs it) on the same swtpm with the same persistent ECC P-256 AK
 * and the same selection (SHA-256 PCRs 0-7), printed with their ratio. Starts its own swtpm on free
 * ports (state in a temporary folder) and stops it by PID.
 *
 * <p>Usage: {@code TpmQuoteRate [SECONDS]} (default 5 per side).
 */
public final class TpmQuoteRate {
  private static final int AK_HANDLE = 0x81010010;
  private static final List<PcrSelection> SELECTION =
      List.of(PcrSelection.range(HashAlg.SHA256, 0, 7));

  private TpmQuoteRate() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
    Path dir = Files.createTempDirectory("vouch-quote-rate-");
    int port = freePortPair();
    Process swtpm =
        new ProcessBuilder(
                "swtpm",
                "socket",
                "--tpm2",
                "--server",
                "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                "--ctrl",
                "type=tcp,port=" + (port + 1) + ",bindaddr=127.0.0.1",
                "--tpmstate",
                "dir=" + dir,
                "--flags",
                "not-need-init,startup-clear")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("swtpm.log").toFile())
            .start();
    try {
      awaitPort(port);
      String spec = "swtpm:127.0.0.1:" + port;
      byte[] nonce = new byte[32];
      double javaRate;
      long javaCount = 0;
      // swtpm serves one connection at a time: the client closes before tpm2_quote runs
      try (TpmClient tpm = TpmClient.open(spec)) {
        PersistentKey ak;
        try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkEccP256());
            TransientKey key = tpm.createAndLoad(srk, KeyTemplate.akEccP256())) {
          ak = tpm.persist(key, AK_HANDLE);
        }
        for (int i = 0; i < 50; i++) {
          tpm.quote(ak, nonce, SELECTION); // warm-up
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
          nonce[0]++;
          tpm.quote(ak, nonce, SELECTION);
          javaCount++;
        }
        javaRate = javaCount / ((System.nanoTime() - start) / 1e9);
      }

      String tcti = "swtpm:host=127.0.0.1,port=" + port;
      long toolCount = 0;
      long start = System.nanoTime();
      long end = start + (long) (seconds * 1e9);
      while (System.nanoTime() < end) {
        nonce[0]++;
        Process p =
            new ProcessBuilder(
                    "tpm2_quote",
                    "-T",
                    tcti,
                    "-c",
                    Handles.hex(AK_HANDLE),
                    "-l",
                    "sha256:0,1,2,3,4,5,6,7",
                    "-q",
                    Hex.encode(nonce),
                    "-m",
                    dir.resolve("q.msg").toString(),
                    "-s",
                    dir.resolve("q.sig").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("tpm2_quote.log").toFile())
                .start();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
          p.destroyForcibly();
          throw new IOException(
              "tpm2_quote failed: " + Files.readString(dir.resolve("tpm2_quote.log")));
        }
        toolCount++;
      }
      double toolRate = toolCount / ((System.nanoTime() - start) / 1e9);
      try (TpmClient tpm = TpmClient.open(spec)) {
        tpm.evict(AK_HANDLE);
      }
      System.out.printf(
          "{\"java_quotes_per_s\":%.1f,\"tpm2_quote_per_s\":%.1f,\"ratio\":%.2f,"
              + "\"java_quotes\":%d,\"tpm2_quotes\":%d}%n",
          javaRate, toolRate, javaRate / toolRate, javaCount, toolCount);
    } finally {
      swtpm.destroy();
      if (!swtpm.waitFor(5, TimeUnit.SECONDS)) {
        swtpm.destroyForcibly();
      }
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static int freePortPair() throws IOException {
    for (int i = 0; i < 50; i++) {
      int p;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        p = s.getLocalPort();
      }
      try (ServerSocket s = new ServerSocket(p + 1, 1, java.net.InetAddress.getLoopbackAddress())) {
        return p;
      } catch (IOException taken) {
        // try another pair
      }
    }
    throw new IOException("no two adjacent free ports");
  }

  private static void awaitPort(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(20);
      }
    }
    throw new IOException("swtpm did not open port " + port);
  }
}
