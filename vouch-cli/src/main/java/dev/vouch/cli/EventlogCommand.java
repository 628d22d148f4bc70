package dev.vouch.cli;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.cima.ContainerAttribution;
import dev.vouch.evidence.cima.MeasurementPolicy;
import dev.vouch.evidence.runtime.RuntimeAppraiser;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.evidence.tdx.CcelLog;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.eventlog.DigestMismatch;
import dev.vouch.evidence.tpm.eventlog.SecureBootState;
import dev.vouch.evidence.tpm.eventlog.TcgEvent;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaReplay;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vouch eventlog replay|show|containers}: offline tools for measured-boot and IMA logs. */
@Command(
    name = "eventlog",
    description = "Replay or decode a TCG firmware event log or a Linux IMA list.",
    subcommands = {
      EventlogCommand.Replay.class,
      EventlogCommand.Show.class,
      EventlogCommand.Containers.class,
      EventlogCommand.Appraise.class,
      EventlogCommand.RuntimePolicyOut.class
    })
final class EventlogCommand extends CommandGroup {

  /** The log formats the CLI reads; {@code auto} looks at the content. */
  enum Format {
    tcg,
    ima,
    ccel,
    auto
  }

  /** Options shared by both verbs. */
  static final class Common {
    @Parameters(index = "0", paramLabel = "FILE", description = "the log file")
    Path file;

    @Option(
        names = "--format",
        defaultValue = "auto",
        description =
            "tcg (binary_bios_measurements), ima (ascii or binary), ccel (TDX CC event log),"
                + " or auto (default)")
    Format format;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    Format resolve(byte[] bytes) throws CliIo.BadInput {
      if (format != Format.auto) {
        return format;
      }
      return ImaLog.looksLikeImaList(bytes) ? Format.ima : Format.tcg;
    }
  }

  @Command(name = "replay", description = "Replay a log to register values per bank.")
  static final class Replay implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin Common common;

    @Option(
        names = "--bank",
        split = ",",
        description =
            "IMA banks to replay: sha1, sha256, sha384, sha512, sm3_256 (default sha1, sha256"
                + " and the list's own template hash algorithm)")
    List<String> banks;

    @Option(
        names = "--ima-mode",
        defaultValue = "per-bank",
        description =
            "per-bank (kernels >= 5.x hash the template per bank) or old-kernel (SHA-1 padded)")
    String imaMode;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        byte[] bytes = CliIo.read(common.file, "log");
        Format f = common.resolve(bytes);
        PcrValues pcrs;
        int events;
        Map<String, Object> extra = new LinkedHashMap<>();
        if (f == Format.ccel) {
          // TDX: MR index 1..4 are RTMR0..3, SHA-384 from zero; printed as rtmr0..rtmr3
          CcelLog log = CcelLog.parse(bytes);
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("banks", Map.of("sha384", log.toHexMap()));
          doc.put("events", log.events());
          doc.put("format", "ccel");
          if (common.json) {
            CliIo.printJson(out, doc);
          } else {
            out.printf("ccel log, %d events%n", log.events());
            log.toHexMap().forEach((k, v) -> out.printf("sha384 %s %s%n", k, v));
          }
          return ExitCodes.OK;
        }
        if (f == Format.ima) {
          ImaReplayMode mode = imaMode(imaMode);
          ImaReplay.Result r =
              banks == null
                  ? ImaReplay.replayDefaultBanks(bytes, mode)
                  : ImaReplay.replay(bytes, imaBanks(banks), mode);
          pcrs = r.pcrs();
          events = r.entries();
          extra.put("violations", r.violations());
          extra.put("template_hash", r.templateHashAlg().shortName());
          // a SHA-384 list is a TD guest's: name the RTMRs it extended, by the one TD table
          Map<String, String> td = new LinkedHashMap<>();
          r.tdRegisters().forEach((reg, v) -> td.put(reg.label(), Hex.encode(v)));
          if (!td.isEmpty()) {
            extra.put("td_registers", td);
          }
        } else {
          // a log whose data differs from what its digests say was measured is refused: its
          // registers may replay, but what it shows (Secure Boot, GPT, ...) is not what was
          // measured
          TcgEventLog log = TcgEventLog.parse(bytes).verifyDigests();
          pcrs = log.replay();
          events = log.events().size();
          extra.put("format", log.format().name().toLowerCase(Locale.ROOT));
          extra.put("startup_locality", log.startupLocality());
          extra.put("secure_boot", secureBoot(log.secureBoot()));
        }
        if (common.json) {
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("banks", pcrs.toHexMap());
          doc.put("events", events);
          doc.putAll(extra);
          CliIo.printJson(out, doc);
        } else {
          out.printf("%s log, %d %s%n", f, events, f == Format.ima ? "entries" : "events");
          extra.forEach((k, v) -> out.printf("%s: %s%n", k, v));
          pcrs.toHexMap()
              .forEach(
                  (bank, regs) -> regs.forEach((i, v) -> out.printf("%s %2s %s%n", bank, i, v)));
        }
        return ExitCodes.OK;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (VerificationException e) {
        return Outputs.failure(out, err, common.json, e);
      }
    }
  }

  @Command(name = "show", description = "Decode every event of a log.")
  static final class Show implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin Common common;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        byte[] bytes = CliIo.read(common.file, "log");
        Format f = common.resolve(bytes);
        List<Map<String, Object>> events = new ArrayList<>();
        List<Map<String, Object>> mismatches = new ArrayList<>();
        if (f == Format.ima) {
          ImaLog log = ImaLog.parse(bytes);
          int i = 0;
          for (ImaEntry e : log.entries()) {
            events.add(describe(i++, e));
          }
        } else {
          // show displays a forged log too, so it can be inspected, but marks every entry whose
          // data is not what its digests hash
          TcgEventLog log = TcgEventLog.parse(bytes);
          Map<Integer, DigestMismatch> bad = new LinkedHashMap<>();
          for (DigestMismatch m : log.digestMismatches()) {
            bad.put(m.index(), m);
            mismatches.add(mismatch(m));
          }
          for (TcgEvent e : log.events()) {
            Map<String, Object> d = e.describe();
            DigestMismatch m = bad.get(e.index());
            if (m != null) {
              d = new LinkedHashMap<>(d);
              d.put("digest_mismatch", m.bank().shortName());
            }
            events.add(d);
          }
        }
        if (common.json) {
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("format", f.name());
          doc.put("events", events);
          if (!mismatches.isEmpty()) {
            doc.put("digest_mismatches", mismatches);
          }
          CliIo.printJson(out, doc);
        } else {
          for (Map<String, Object> e : events) {
            out.println(e);
          }
          for (Map<String, Object> m : mismatches) {
            out.println(
                "WARNING " + Failure.EVENT_DIGEST_MISMATCH.code() + ": " + m.get("message"));
          }
        }
        return ExitCodes.OK;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (VerificationException e) {
        return Outputs.failure(out, err, common.json, e);
      }
    }
  }

  @Command(
      name = "containers",
      description =
          "Attribute the entries of an IMA list (ima-cgpath, ima-dep-cgn) to pods and containers"
              + " and fold their virtual registers.")
  static final class Containers implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the IMA list, ASCII or binary")
    Path file;

    @Option(
        names = "--policy",
        paramLabel = "measurement.yaml",
        description = "measurement policy: its hashAlgorithm and system baseline")
    Path policy;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        Optional<MeasurementPolicy> p = Optional.empty();
        if (policy != null) {
          try {
            p = Optional.of(MeasurementPolicy.parse(CliIo.read(policy, "policy")));
          } catch (MeasurementPolicy.Invalid e) {
            throw new CliIo.BadInput(policy + ": " + e.getMessage());
          }
        }
        byte[] bytes = CliIo.read(file, "IMA list");
        ImaLog log;
        try {
          log = ImaLog.parse(bytes);
        } catch (VerificationException e) {
          if (e.failure() == Failure.TEMPLATE_HASH_MISMATCH) {
            throw e; // the list was tampered with: a verification failure, not bad input
          }
          throw new CliIo.BadInput(file + ": " + e.failure().code() + ": " + e.getMessage());
        }
        if (p.isPresent() && p.get().hashAlgorithm().hashAlg() != log.templateHashAlg()) {
          throw new CliIo.BadInput(
              policy
                  + ": hashAlgorithm "
                  + p.get().hashAlgorithm()
                  + " does not match the list's template hash "
                  + log.templateHashAlg().shortName());
        }
        ContainerAttribution.Result r;
        try {
          r = ContainerAttribution.measure(log, p);
        } catch (VerificationException e) {
          throw new CliIo.BadInput(file + ": " + e.failure().code() + ": " + e.getMessage());
        }
        if (!r.cgroupAware() && log.size() > 0) {
          err.println(
              "warning: no entry carries a cgroup field (template without cg-path or cgn):"
                  + " node-level measurements only");
        }
        Map<String, Object> doc = containersDocument(r);
        if (json) {
          CliIo.printJson(out, doc);
        } else {
          out.printf(
              "%d pods, %d containers, %d host entries, %d unattributed (%s)%n",
              r.pods().size(),
              r.containers().size(),
              r.hostEntries(),
              r.unattributed(),
              r.hashAlgorithm().shortName());
          r.pods()
              .forEach(
                  (uid, m) ->
                      out.printf(
                          "pod %s events %d register %s%n",
                          uid, m.entries().size(), Hex.encode(m.register())));
          r.containers()
              .forEach(
                  (id, m) ->
                      out.printf(
                          "container %s pod %s events %d register %s%n",
                          id, m.pod().orElse("-"), m.entries().size(), Hex.encode(m.register())));
        }
        return ExitCodes.OK;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (VerificationException e) {
        return Outputs.failure(out, err, json, e);
      }
    }
  }

  @Command(
      name = "appraise",
      description =
          "Appraise an IMA list against a runtime policy (Keylime's runtime policy JSON,"
              + " version 1).")
  static final class Appraise implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the IMA list, ASCII or binary")
    Path file;

    @Option(
        names = "--runtime-policy",
        required = true,
        paramLabel = "policy.json",
        description = "the runtime policy")
    Path policy;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        RuntimePolicy p;
        try {
          p = RuntimePolicy.fromKeylimeJson(CliIo.read(policy, "runtime policy"));
        } catch (RuntimePolicy.Invalid e) {
          throw new CliIo.BadInput(policy + ": " + e.getMessage());
        }
        ImaLog log;
        try {
          // mismatching entries are kept so the appraisal can name them with the rest
          log = ImaLog.parse(CliIo.read(file, "IMA list"), ImaLog.HashCheck.RECORD);
        } catch (VerificationException e) {
          throw new CliIo.BadInput(file + ": " + e.failure().code() + ": " + e.getMessage());
        }
        RuntimeAppraiser.Appraisal a;
        try {
          a = RuntimeAppraiser.appraise(log, p);
        } catch (VerificationException e) {
          throw new CliIo.BadInput(policy + ": verification-keys: " + e.getMessage());
        }
        List<Map<String, Object>> failures = new ArrayList<>();
        for (RuntimeAppraiser.Finding f : a.failures()) {
          failures.add(f.toMap());
        }
        if (json) {
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("passed", a.passed());
          doc.put("entries", a.entries());
          doc.put("excluded", a.excluded());
          doc.put("signatures_verified", a.signaturesVerified());
          doc.put("failures", failures);
          CliIo.printJson(out, doc);
        } else {
          out.printf(
              "%s: %d entries, %d excluded, %d signatures verified, %d failures%n",
              a.passed() ? "PASSED" : "FAILED",
              a.entries(),
              a.excluded(),
              a.signaturesVerified(),
              failures.size());
          for (RuntimeAppraiser.Finding f : a.failures()) {
            out.printf(
                "entry %d %s %s %s: %s%n", f.entry(), f.rule(), f.path(), f.digest(), f.detail());
          }
        }
        return a.passed() ? ExitCodes.OK : ExitCodes.FAILED;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
    }
  }

  @Command(
      name = "runtime-policy",
      description =
          "Print a runtime policy (Keylime's JSON, version 1) allowing exactly what an IMA list"
              + " holds.")
  static final class RuntimePolicyOut implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "the IMA list, ASCII or binary")
    Path file;

    @Option(
        names = "--key",
        paramLabel = "PEM",
        description = "an IMA signature public key (PEM) to include as a verification key")
    List<Path> keys = List.of();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try {
        ImaLog log;
        try {
          log = ImaLog.parse(CliIo.read(file, "IMA list"));
        } catch (VerificationException e) {
          if (e.failure() == Failure.TEMPLATE_HASH_MISMATCH) {
            return Outputs.failure(out, err, false, e);
          }
          throw new CliIo.BadInput(file + ": " + e.failure().code() + ": " + e.getMessage());
        }
        List<String> pems = new ArrayList<>();
        for (Path k : keys) {
          pems.add(new String(CliIo.read(k, "key"), java.nio.charset.StandardCharsets.US_ASCII));
        }
        RuntimePolicy p = RuntimePolicy.fromLog(log).withVerificationKeys(pems);
        try {
          p.keyring();
        } catch (VerificationException e) {
          throw new CliIo.BadInput("--key: " + e.getMessage());
        }
        out.print(new String(p.toKeylimeJson(), java.nio.charset.StandardCharsets.UTF_8));
        out.println();
        return ExitCodes.OK;
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
    }
  }

  /** The command contract's JSON shape, key for key. */
  static Map<String, Object> containersDocument(ContainerAttribution.Result r) {
    Map<String, Object> pods = new LinkedHashMap<>();
    r.pods()
        .forEach(
            (uid, m) -> {
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("events", m.entries().size());
              d.put("containers", m.containers());
              d.put("register", Hex.encode(m.register()));
              pods.put(uid, d);
            });
    Map<String, Object> containers = new LinkedHashMap<>();
    r.containers()
        .forEach(
            (id, m) -> {
              Map<String, Object> d = new LinkedHashMap<>();
              d.put("pod", m.pod().orElse(null));
              d.put("events", m.entries().size());
              d.put("register", Hex.encode(m.register()));
              containers.put(id, d);
            });
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("hash_algorithm", r.hashAlgorithm().shortName());
    doc.put("pods", pods);
    doc.put("containers", containers);
    doc.put("host", Map.of("events", r.hostEntries()));
    doc.put("unattributed", r.unattributed());
    return doc;
  }

  static Map<String, Object> describe(int index, ImaEntry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("index", index);
    m.put("pcr", e.pcr());
    m.put("template", e.templateName());
    m.put("template_hash", Hex.encode(e.templateHash()));
    e.fileDigest()
        .ifPresent(d -> m.put("file_digest", d.algorithm() + ":" + Hex.encode(d.value())));
    m.put("file", e.fileName());
    if (e.hasSignature()) {
      m.put("signature", Hex.encode(e.signature()));
    }
    if (e.buffer().length > 0) {
      m.put("buffer", Hex.encode(e.buffer()));
    }
    m.put("violation", e.violation());
    return m;
  }

  static Map<String, Object> mismatch(DigestMismatch m) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("code", Failure.EVENT_DIGEST_MISMATCH.code());
    d.put("index", m.index());
    d.put("type", m.typeName());
    d.put("pcr", m.pcr());
    d.put("bank", m.bank().shortName());
    d.put("message", m.describe());
    return d;
  }

  static Map<String, Object> secureBoot(SecureBootState s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("enabled", s.secureBootEnabled().map(Object.class::cast).orElse("unknown"));
    m.put("pk", s.pkPresent());
    m.put("kek", s.kekPresent());
    m.put("db", s.dbPresent());
    m.put("dbx", s.dbxPresent());
    return m;
  }

  static Set<HashAlg> imaBanks(List<String> names) throws CliIo.BadInput {
    Set<HashAlg> out = EnumSet.noneOf(HashAlg.class);
    for (String n : names) {
      out.add(HashAlg.fromName(n).orElseThrow(() -> new CliIo.BadInput("unknown bank " + n)));
    }
    return out;
  }

  static ImaReplayMode imaMode(String s) throws CliIo.BadInput {
    return switch (s) {
      case "per-bank" -> ImaReplayMode.PER_BANK;
      case "old-kernel" -> ImaReplayMode.OLD_KERNEL;
      default -> throw new CliIo.BadInput("--ima-mode must be per-bank or old-kernel");
    };
  }
}
