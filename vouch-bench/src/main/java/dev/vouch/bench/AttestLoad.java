package dev.vouch.bench;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.AkKey;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmSignature;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load generator: full attestation requests per second over loopback. Starts a Vouch server in this
 * JVM (plain HTTP on 127.0.0.1, H2 in a temporary data dir), registers reference values through the
 * admin API so that the real swtpm RSA-AK quote is affirmed, then runs N virtual-thread clients
 * that each POST {@code /api/v1/attest} in a loop (quote verification, default TPM policy, ES256
 * EAR token). Prints requests/s with p50/p99 latency, next to the raw RSA-2048 verification rate of
 * the same quote signature measured in the same run (one thread). Every answer must be 200 and
 * affirming, or the run fails.
 *
 * <p>Usage: {@code AttestLoad [SECONDS] [CLIENTS]} (default 10 s, 32 clients; 3 s of warm-up).
 * Client and server share the machine, so the figure is a floor for a dedicated server.
 */
public final class AttestLoad {
  private AttestLoad() {}

  public static void main(String[] args) throws Exception {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 32;
    byte[] attest = TpmQuoteBench.resource("rsa-ak/quote.msg");
    byte[] sig = TpmQuoteBench.resource("rsa-ak/quote.sig");
    AkKey ak = AkKeys.parse(TpmQuoteBench.resource("rsa-ak/ak.tpm2b_public"));
    String nonce =
        new String(TpmQuoteBench.resource("rsa-ak/nonce.hex"), StandardCharsets.US_ASCII).strip();
    String pcr10 = "66aac22ab9b490519f1dd074f679e3b486243f6408fa00d264e62aa30568a73d";
    PcrValues.Builder pcrs = PcrValues.builder();
    for (int i = 0; i < 8; i++) {
      pcrs.put(HashAlg.SHA256, i, new byte[32]);
    }
    pcrs.put(HashAlg.SHA256, 10, Hex.decode(pcr10));
    byte[] bundle =
        new TpmEvidenceBundle(
                ak,
                Optional.empty(),
                List.of(),
                List.of(new TpmEvidenceBundle.Quote(attest, sig)),
                pcrs.build(),
                Optional.empty(),
                Optional.empty(),
                Optional.empty())
            .toJson();

    double rawPerSecond = rawVerifyRate(ak, attest, sig, 2.0);

    Path dir = Files.createTempDirectory("vouch-attest-load-");
    String admin = "load-admin-" + Long.toHexString(System.nanoTime()) + "-token";
    ServerConfig cfg =
        new ServerConfig(
            dir,
            // one load generator is one client: a per-client limit would measure itself
            new ServerConfig.Http("127.0.0.1", 0, 1 << 20, new ServerConfig.RateLimit(0, 1)),
            new ServerConfig.Tls(ServerConfig.TlsMode.OFF, Optional.empty(), Optional.empty()),
            new ServerConfig.Storage(
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                8,
                Optional.empty(),
                Optional.empty()),
            new ServerConfig.Tokens("ES256", Duration.ofMinutes(5), Duration.ofHours(24)),
            new ServerConfig.Admin(Optional.of(admin)),
            new ServerConfig.Rvps(Optional.empty()));
    try (VouchServer server = VouchServer.start(cfg)) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      URI base = server.baseUri();
      String spki = Hex.encode(HashAlg.SHA256.digest(ak.publicKey().getEncoded()));
      String zero = "\"" + "00".repeat(32) + "\"";
      String rv =
          "{\"version\":\"0.1.0\",\"type\":\"sample\",\"payload\":{\"tpm.trusted_aks\":[\""
              + spki
              + "\"],\"tpm.pcr.sha256.0\":["
              + zero
              + "],\"tpm.pcr.sha256.2\":["
              + zero
              + "],\"tpm.pcr.sha256.4\":["
              + zero
              + "],\"tpm.pcr.sha256.7\":["
              + zero
              + "]}}";
      HttpResponse<String> reg =
          http.send(
              HttpRequest.newBuilder(base.resolve("/api/v1/reference-values"))
                  .header("Authorization", "Bearer " + admin)
                  .POST(HttpRequest.BodyPublishers.ofString(rv))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (reg.statusCode() != 200) {
        throw new IllegalStateException("cannot register reference values: " + reg.body());
      }
      String body =
          "{\"tee\":\"tpm\",\"evidence\":\""
              + Base64.getEncoder().encodeToString(bundle)
              + "\",\"nonce\":\""
              + nonce
              + "\"}";
      HttpRequest request =
          HttpRequest.newBuilder(base.resolve("/api/v1/attest"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build();

      run(http, request, clients, 3.0); // warm-up
      Result r = run(http, request, clients, seconds);
      System.out.printf(
          Locale.ROOT,
          "java %s, %d cores, %d virtual-thread clients, %.0f s:%n"
              + "  full attest requests/s: %,.0f  (p50 %.2f ms, p99 %.2f ms, %d requests)%n"
              + "  raw RSA-2048 PKCS#1 verify of the same quote, 1 thread: %,.0f/s%n"
              + "  ratio attest/raw: %.3f%n",
          System.getProperty("java.version"),
          Runtime.getRuntime().availableProcessors(),
          clients,
          seconds,
          r.perSecond,
          r.p50Ms,
          r.p99Ms,
          r.count,
          rawPerSecond,
          r.perSecond / rawPerSecond);
    }
  }

  record Result(long count, double perSecond, double p50Ms, double p99Ms) {}

  private static Result run(HttpClient http, HttpRequest request, int clients, double seconds)
      throws Exception {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long[][] latencies = new long[clients][];
    int[] counts = new int[clients];
    AtomicLong failures = new AtomicLong();
    long start = System.nanoTime();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < clients; c++) {
        int id = c;
        pool.submit(
            () -> {
              long[] lat = new long[1 << 16];
              int n = 0;
              while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                try {
                  HttpResponse<String> res =
                      http.send(request, HttpResponse.BodyHandlers.ofString());
                  if (res.statusCode() != 200 || !res.body().contains("\"status\":\"affirming\"")) {
                    failures.incrementAndGet();
                  }
                } catch (Exception e) {
                  failures.incrementAndGet();
                }
                if (n == lat.length) {
                  lat = Arrays.copyOf(lat, n * 2);
                }
                lat[n++] = System.nanoTime() - t0;
              }
              latencies[id] = lat;
              counts[id] = n;
              return null;
            });
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    if (failures.get() > 0) {
      throw new IllegalStateException(failures.get() + " requests were not affirmed");
    }
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int k = 0;
    for (int c = 0; c < clients; c++) {
      System.arraycopy(latencies[c], 0, all, k, counts[c]);
      k += counts[c];
    }
    Arrays.sort(all);
    return new Result(
        total,
        total / elapsed,
        all[(int) (total * 0.50)] / 1e6,
        all[Math.min(total - 1, (int) (total * 0.99))] / 1e6);
  }

  private static double rawVerifyRate(AkKey ak, byte[] attest, byte[] sig, double seconds)
      throws Exception {
    Signature v = Signature.getInstance("SHA256withRSA");
    v.initVerify(ak.publicKey());
    byte[] raw = TpmSignature.parse(sig).value();
    long warm = System.nanoTime() + 1_000_000_000L;
    while (System.nanoTime() < warm) {
      v.update(attest);
      v.verify(raw);
    }
    long n = 0;
    long t0 = System.nanoTime();
    long end = t0 + (long) (seconds * 1e9);
    while (System.nanoTime() < end) {
      v.update(attest);
      if (!v.verify(raw)) {
        throw new IllegalStateException("raw baseline does not verify");
      }
      n++;
    }
    return n / ((System.nanoTime() - t0) / 1e9);
  }
}
