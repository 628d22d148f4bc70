package dev.vouch.bench.load;

import dev.vouch.agent.image.PrivateKeyFile;
import dev.vouch.agent.trust.Tls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code vouch bench kbs|attest|hosts}: a load generator in its own JVM against a {@code vouch
 * server} started separately. Prints one summary line, writes the JSON result with {@code --out}.
 * Exit 0 when every operation succeeded, 1 when some failed, 2 for bad usage, 3 when the server
 * could not be prepared or read.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Load a separately started vouch server from this process.",
    subcommands = {
      BenchMain.Kbs.class,
      BenchMain.Attest.class,
      BenchMain.Hosts.class,
      BenchMain.HostsCa.class
    })
public final class BenchMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    java.util.logging.LogManager.getLogManager().reset();
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the command line; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new BenchMain());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          cmd.getErr().println("bench: " + e.getMessage());
          return 3;
        });
    return cl.execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "name a workload: kbs, attest or hosts");
  }

  /** How requests arrive: --rate (open model) or --concurrency (closed loop). */
  static final class ModelOptions {
    @Option(
        names = "--rate",
        paramLabel = "N",
        description = "Open model: N arrivals per second, whatever the latency.")
    Double rate;

    @Option(
        names = "--concurrency",
        paramLabel = "N",
        description = "Closed loop: N clients, each sending when its last answer came.")
    Integer concurrency;
  }

  /** How a run reaches and reads the server, and where it writes its result. */
  static final class Access {
    @Option(
        names = "--server-pid",
        description = "The server's pid: its CPU seconds per operation from /proc/PID/stat.")
    Long serverPid;

    @Option(
        names = "--admin-token-file",
        description = "File with the server's admin token (default: $VOUCH_ADMIN_TOKEN).")
    Path adminTokenFile;

    @Option(names = "--cacert", description = "PEM CA of an https server's certificate.")
    Path cacert;

    @Option(names = "--out", description = "Write the JSON result here.")
    Path out;

    Target target(URI server, CommandLine.Model.CommandSpec spec)
        throws IOException, GeneralSecurityException {
      return new Target(server, Target.client(tls(cacert)), adminToken(adminTokenFile, spec));
    }

    void write(String json) throws IOException {
      if (out != null) {
        Files.writeString(out, json + "\n", StandardCharsets.UTF_8);
      }
    }
  }

  /** Options every workload shares. */
  static final class Common {
    @Option(
        names = "--url",
        required = true,
        description = "The server, e.g. http://127.0.0.1:8443")
    URI url;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    ModelOptions model;

    @Option(
        names = "--max-in-flight",
        defaultValue = "1024",
        description = "Open model: outstanding requests beyond which arrivals count as errors.")
    int maxInFlight;

    @Option(names = "--duration", defaultValue = "10", description = "Measured seconds.")
    double duration;

    @Option(
        names = "--warmup",
        defaultValue = "3",
        description = "Seconds of the same load before measuring (JIT, connections).")
    double warmup;

    @Mixin Access access = new Access();

    LoadModel model() {
      if (model != null && model.rate != null) {
        return new LoadModel.Open(model.rate, maxInFlight);
      }
      return new LoadModel.Closed(
          model == null || model.concurrency == null ? 8 : model.concurrency);
    }
  }

  abstract static class WorkloadCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin Common common = new Common();

    @Option(
        names = "--tpms",
        defaultValue = "8",
        description = "Simulated TPMs that sign quotes in turn (client-side parallelism).")
    int tpms;

    abstract Workload workload() throws IOException;

    int tpms() {
      if (tpms < 1) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--tpms must be at least 1");
      }
      return tpms;
    }

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      LoadModel model;
      try {
        model = common.model();
        if (!(common.duration > 0) || common.warmup < 0) {
          throw new IllegalArgumentException("--duration must be > 0 and --warmup >= 0");
        }
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      Workload w = workload();
      Target target = common.access.target(common.url, spec);
      // every run registers its own simulated TPMs' AKs (new keys each run)
      w.prepare(target);
      Operation op = w.operation(target);
      if (common.warmup > 0) {
        LoadRunner.run(op, model, seconds(common.warmup));
      }
      Optional<ProcessCpu> server =
          common.access.serverPid == null
              ? Optional.empty()
              : Optional.of(ProcessCpu.of(common.access.serverPid));
      ProcessCpu self = ProcessCpu.of(ProcessHandle.current().pid());
      double server0 = server.isPresent() ? server.get().seconds() : 0;
      double self0 = self.seconds();
      LoadRunner.Measurement m = LoadRunner.run(op, model, seconds(common.duration));
      OptionalDouble serverCpu =
          server.isPresent()
              ? OptionalDouble.of(server.get().seconds() - server0)
              : OptionalDouble.empty();
      LoadResult r = LoadResult.of(w.name(), model, m, serverCpu, self.seconds() - self0);
      out.println(r.summaryLine());
      common.access.write(r.toJson());
      return r.errorCount() == 0 && r.ok() > 0 ? 0 : 1;
    }
  }

  /** The admin token from {@code file}, else from $VOUCH_ADMIN_TOKEN. */
  static String adminToken(Path file, CommandLine.Model.CommandSpec spec) throws IOException {
    if (file != null) {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    }
    String env = System.getenv("VOUCH_ADMIN_TOKEN");
    if (env == null || env.isBlank()) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "give --admin-token-file or set VOUCH_ADMIN_TOKEN");
    }
    return env.strip();
  }

  @Command(
      name = "hosts-ca",
      mixinStandardHelpOptions = true,
      description =
          "Write the EK root (ek-ca.pem), its CRL (ek-ca.crl) and key that `bench hosts` issues"
              + " its simulated TPMs' EK certificates from; start the server with"
              + " registrar.ek_roots and registrar.ek_crls naming the first two.")
  static final class HostsCa implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(paramLabel = "DIR", description = "Directory to write the CA to.")
    Path dir;

    @Override
    public Integer call() throws Exception {
      dev.vouch.bench.hosts.BenchEkCa.create(dir, new SecureRandom());
      spec.commandLine().getOut().println(dir.resolve("ek-ca.pem"));
      return 0;
    }
  }

  @Command(
      name = "hosts",
      mixinStandardHelpOptions = true,
      description =
          "Simulated TPM hosts that enroll through the registrar and answer the server's quote"
              + " requests on NATS; measures attestations/s, latency, misses and duplicates.")
  static final class Hosts implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--server",
        required = true,
        description = "The server, e.g. http://127.0.0.1:8443")
    URI server;

    @Option(
        names = "--nats",
        required = true,
        description = "The NATS server the server's hosts.nats_url names.")
    String nats;

    @Option(names = "--ek-ca", required = true, description = "Directory `bench hosts-ca` wrote.")
    Path ekCa;

    @Option(names = "--hosts", defaultValue = "100", description = "Simulated hosts.")
    int hosts;

    @Option(
        names = "--poll-seconds",
        required = true,
        description = "The server's hosts.poll_seconds: misses and duplicates are judged by it.")
    long pollSeconds;

    @Option(names = "--duration", defaultValue = "60", description = "Measured seconds.")
    long duration;

    @Option(
        names = "--warmup",
        description = "Seconds after enrollment before measuring (default: one poll interval).")
    Long warmup;

    @Option(
        names = "--hosts-per-connection",
        defaultValue = "500",
        description = "Agents per NATS connection.")
    int hostsPerConnection;

    @Option(
        names = "--enroll-concurrency",
        defaultValue = "8",
        description = "Enrollments in flight.")
    int enrollConcurrency;

    @Mixin Access access = new Access();

    @Override
    public Integer call() throws Exception {
      dev.vouch.bench.hosts.HostsBench.Settings settings;
      try {
        settings =
            new dev.vouch.bench.hosts.HostsBench.Settings(
                nats,
                hosts,
                Duration.ofSeconds(pollSeconds),
                Duration.ofSeconds(duration),
                Duration.ofSeconds(warmup == null ? pollSeconds : warmup),
                Optional.ofNullable(access.serverPid),
                hostsPerConnection,
                enrollConcurrency);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      SecureRandom random = new SecureRandom();
      var ca = dev.vouch.bench.hosts.BenchEkCa.load(ekCa, random);
      Target target = access.target(server, spec);
      var r =
          dev.vouch.bench.hosts.HostsBench.run(
              settings, target, ca, random, spec.commandLine().getErr());
      spec.commandLine().getOut().println(r.summaryLine());
      access.write(r.toJson());
      return r.clean() ? 0 : 1;
    }
  }

  @Command(
      name = "kbs",
      mixinStandardHelpOptions = true,
      description =
          "Full KBS handshakes (auth, attest with simulated TPM evidence, resource) per arrival.")
  static final class Kbs extends WorkloadCommand {
    @Option(
        names = "--kbs-admin-key",
        required = true,
        description = "PKCS#8 PEM private key of a kbs.admin_key_files entry: stores the secret.")
    Path kbsAdminKey;

    @Override
    Workload workload() throws IOException {
      int n = tpms();
      try {
        return new KbsWorkload(
            PrivateKeyFile.parse(Files.readAllBytes(kbsAdminKey)), n, new SecureRandom());
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--kbs-admin-key: " + e.getMessage());
      }
    }
  }

  @Command(
      name = "attest",
      mixinStandardHelpOptions = true,
      description =
          "POST /api/v1/attest with a fresh simulated TPM quote and event log per arrival.")
  static final class Attest extends WorkloadCommand {
    @Override
    Workload workload() {
      return new AttestWorkload(tpms(), new SecureRandom());
    }
  }

  static Duration seconds(double s) {
    return Duration.ofNanos((long) (s * 1e9));
  }

  private static javax.net.ssl.SSLContext tls(Path cacert)
      throws IOException, GeneralSecurityException {
    if (cacert == null) {
      return null;
    }
    List<X509Certificate> certs = new ArrayList<>();
    for (var c :
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(cacert)))) {
      certs.add((X509Certificate) c);
    }
    return Tls.trusting(certs);
  }
}
