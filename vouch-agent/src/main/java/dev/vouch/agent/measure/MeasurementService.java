package dev.vouch.agent.measure;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.agent.tpm.Attestation;
import dev.vouch.agent.tpm.KeyHandle;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.cima.CgroupOwner;
import dev.vouch.evidence.cima.ContainerAttribution;
import dev.vouch.evidence.cima.ContainerEventLog;
import dev.vouch.evidence.cima.ContainerEvidence;
import dev.vouch.evidence.cima.ContainerSubject;
import dev.vouch.evidence.cima.MeasurementPolicy;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import dev.vouch.evidence.tpm.protocol.AgentProblem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.logging.Logger;

/**
 * The measurement API, transport-neutral: a request and the kernel-identified caller in, a JSON
 * reply or a problem out. Routes (all {@code GET}):
 *
 * <ul>
 *   <li>{@code /v1/measurement?register=container|pod|system} → {@code {"register", "subject",
 *       "hash_algorithm", "value", "events"}};
 *   <li>{@code /v1/eventlog} → {@link ContainerEventLog} JSON, or TCG CEL JSON when {@code
 *       format=cel} or {@code Accept: application/cel+json};
 *   <li>{@code /v1/evidence?nonce=HEX} → {@link ContainerEvidence}.
 * </ul>
 *
 * Isolated ({@code measure.container.isolated: true}): a workload's subject is its own container
 * (or pod, {@code register=pod}); naming another in {@code container=} or {@code pod=} is refused
 * (403), and so is the system register. A host process, or any caller when not isolated, names the
 * subject with {@code container=} or {@code pod=}. The IMA list is read afresh on each request.
 */
public final class MeasurementService {
  private static final Logger LOG = Logger.getLogger(MeasurementService.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int STABLE_ATTEMPTS = 5;

  /** The media type of a TCG Canonical Event Log in JSON. */
  public static final String CEL_JSON = "application/cel+json";

  /** Who is calling, as the kernel says. */
  public sealed interface Caller {
    /** A process in a pod's or container's cgroup. */
    record Workload(ContainerSubject subject) implements Caller {}

    /** A process outside pods and containers (the node's own services, an administrator). */
    record Node() implements Caller {}

    /** The caller could not be identified, or its cgroup is not recognisable. */
    record Unknown(String reason) implements Caller {}

    /** The caller as its cgroup owner says. */
    static Caller of(CgroupOwner owner) {
      return switch (owner) {
        case CgroupOwner.Host h -> new Node();
        case CgroupOwner.Unattributed u -> new Unknown("cgroup not recognisable: " + u.reason());
        case CgroupOwner.Container c -> new Workload(ContainerSubject.of(c).orElseThrow());
        case CgroupOwner.Pod p -> new Workload(ContainerSubject.of(p).orElseThrow());
      };
    }
  }

  /** A request: path, decoded query parameters and the Accept header (empty string if none). */
  public record Request(String path, Map<String, String> query, String accept) {
    public Request {
      query = Map.copyOf(query);
    }
  }

  /** A reply with its media type. */
  public record Reply(int status, String contentType, byte[] body) {
    static Reply json(byte[] body) {
      return new Reply(200, "application/json", body);
    }

    static Reply problem(String code, int status, String detail) {
      return new Reply(
          status, "application/problem+json", new AgentProblem(code, status, detail).toJson());
    }
  }

  private final Path imaList;
  private final Optional<MeasurementPolicy> policy;
  private final TpmClient tpm;
  private final KeyHandle ak;
  private final java.util.concurrent.atomic.AtomicBoolean warnedNoCgroups =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * @param imaList the binary (or ASCII) IMA list, normally the kernel's
   * @param policy the measurement policy (baseline, algorithm, isolation); none: not isolated
   * @param tpm the TPM that quotes evidence (used under this service's lock)
   * @param ak the attestation key
   */
  public MeasurementService(
      Path imaList, Optional<MeasurementPolicy> policy, TpmClient tpm, KeyHandle ak) {
    this.imaList = Objects.requireNonNull(imaList, "imaList");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.tpm = tpm;
    this.ak = ak;
  }

  /** True when callers are identified by the kernel and see only their own pod. */
  public boolean isolated() {
    return policy.map(p -> p.measure().container().isolated()).orElse(false);
  }

  /** Answers {@code request} for {@code caller}; never throws. */
  public Reply handle(Request request, Caller caller) {
    try {
      return switch (request.path()) {
        case "/v1/measurement" -> measurement(request, caller);
        case "/v1/eventlog" -> eventLog(request, caller);
        case "/v1/evidence" -> evidence(request, caller);
        default -> Reply.problem("NOT_FOUND", 404, "no route " + request.path());
      };
    } catch (Refused r) {
      LOG.info(
          () ->
              "measure: refused "
                  + request.path()
                  + " to "
                  + describe(caller)
                  + ": "
                  + r.getMessage());
      return Reply.problem(r.code, r.status, r.getMessage());
    } catch (TpmException e) {
      LOG.warning(() -> "measure: TPM failed: " + e.getMessage());
      return e.isUnavailable()
          ? Reply.problem(AgentProblem.TPM_UNAVAILABLE, 503, e.getMessage())
          : Reply.problem(AgentProblem.TPM_ERROR, 500, e.getMessage());
    } catch (IOException e) {
      LOG.warning(() -> "measure: cannot read the IMA list: " + e.getMessage());
      return Reply.problem(
          AgentProblem.IO_ERROR, 500, "cannot read the IMA list: " + e.getMessage());
    } catch (VerificationException e) {
      // this node's own list or policy is unusable: the agent's fault, not the caller's
      return Reply.problem(e.failure().code(), 500, "the node's IMA list: " + e.getMessage());
    }
  }

  private static String describe(Caller c) {
    return switch (c) {
      case Caller.Workload w -> w.subject().toString();
      case Caller.Node n -> "a node process";
      case Caller.Unknown u -> "an unidentified caller";
    };
  }

  /** A refusal with its HTTP status and stable code. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;
    final String code;
    final int status;

    Refused(String code, int status, String message) {
      super(message);
      this.code = code;
      this.status = status;
    }
  }

  private static Refused badRequest(String message) {
    return new Refused(Failure.MALFORMED.code(), 400, message);
  }

  private static Refused forbidden(String message) {
    return new Refused("FORBIDDEN", 403, message);
  }

  /** The subject of a request: the caller's own when isolated, otherwise the one named. */
  ContainerSubject subject(Request req, Caller caller, boolean podRegister) throws Refused {
    Optional<String> pod = Optional.ofNullable(req.query().get("pod"));
    Optional<String> container = Optional.ofNullable(req.query().get("container"));
    if (isolated()) {
      switch (caller) {
        case Caller.Unknown u -> throw forbidden("caller not identified: " + u.reason());
        case Caller.Workload w -> {
          ContainerSubject own = w.subject();
          if (pod.isPresent() && !pod.equals(own.pod())
              || container.isPresent() && !container.equals(own.container())) {
            throw forbidden("a workload sees only its own pod's measurements");
          }
          if (podRegister) {
            return new ContainerSubject(
                Optional.of(own.pod().orElseThrow(() -> forbidden("this container is in no pod"))),
                Optional.empty());
          }
          return own;
        }
        case Caller.Node n -> {
          // the node's own processes may ask about any subject
        }
      }
    }
    if (pod.isPresent() && !ContainerSubject.isPodUid(pod.get())) {
      throw badRequest("pod must be a pod uid");
    }
    if (container.isPresent() && !ContainerSubject.isContainerId(container.get())) {
      throw badRequest("container must be a 64-hex container id");
    }
    if (podRegister) {
      if (pod.isEmpty()) {
        throw badRequest("register=pod needs pod=UID");
      }
      return new ContainerSubject(pod, Optional.empty());
    }
    if (pod.isEmpty() && container.isEmpty()) {
      throw badRequest("name the subject with container=ID or pod=UID");
    }
    return new ContainerSubject(pod, container);
  }

  private Reply measurement(Request req, Caller caller)
      throws Refused, IOException, VerificationException {
    String register = req.query().getOrDefault("register", "container");
    ImaLog list = readList();
    ObjectNode o = JSON.createObjectNode();
    switch (register) {
      case "system" -> {
        if (isolated() && !(caller instanceof Caller.Node)) {
          throw forbidden("the system register is not served to containers");
        }
        HashAlg alg = list.templateHashAlg();
        o.put("register", "system");
        o.put("hash_algorithm", alg.shortName());
        o.put(
            "value",
            Hex.encode(
                list.replay(java.util.Set.of(alg), ImaReplayMode.PER_BANK)
                    .get(alg, ImaLog.IMA_PCR)
                    .orElse(new byte[alg.size()])));
        o.put("events", list.size());
      }
      case "container", "pod" -> {
        ContainerSubject s = subject(req, caller, register.equals("pod"));
        ContainerEventLog log = eventLogOf(list, s);
        o.put("register", register);
        ObjectNode subj = o.putObject("subject");
        subj.put("pod", log.subject().pod().orElse(null));
        subj.put("container", log.subject().container().orElse(null));
        o.put("hash_algorithm", log.hashAlgorithm().shortName());
        o.put("value", Hex.encode(log.register()));
        o.put("events", log.ownEvents());
      }
      default -> throw badRequest("register must be container, pod or system");
    }
    return Reply.json(JSON.writeValueAsBytes(o));
  }

  private Reply eventLog(Request req, Caller caller)
      throws Refused, IOException, VerificationException {
    boolean cel = "cel".equals(req.query().get("format")) || req.accept().contains(CEL_JSON);
    String format = req.query().getOrDefault("format", cel ? "cel" : "json");
    if (!format.equals("cel") && !format.equals("json")) {
      throw badRequest("format must be json or cel");
    }
    ContainerSubject s = subject(req, caller, "pod".equals(req.query().get("register")));
    ContainerEventLog log = eventLogOf(readList(), s);
    return cel ? new Reply(200, CEL_JSON, log.toCelJson()) : Reply.json(log.toJson());
  }

  private Reply evidence(Request req, Caller caller)
      throws Refused, IOException, VerificationException, TpmException {
    String n = req.query().getOrDefault("nonce", "");
    if (n.isEmpty()
        || n.length() % 2 != 0
        || n.length() > 2 * ContainerEvidence.MAX_NONCE
        || !Hex.isHex(n)) {
      throw badRequest("nonce must be 1 to " + ContainerEvidence.MAX_NONCE + " bytes of hex");
    }
    byte[] nonce = Hex.decode(n);
    ContainerSubject s = subject(req, caller, "pod".equals(req.query().get("register")));
    ContainerEvidence ev = quote(s, nonce);
    LOG.info(() -> "measure: evidence for " + s);
    return Reply.json(ev.toJson());
  }

  /**
   * Reads PCR 10, cuts the list at the prefix that replays to it, folds the subject's register,
   * quotes with the binding and reads PCR 10 again; retried while IMA extends in between, so the
   * events sent are exactly the ones quoted.
   */
  private synchronized ContainerEvidence quote(ContainerSubject s, byte[] nonce)
      throws IOException, VerificationException, TpmException, Refused {
    for (int attempt = 0; attempt < STABLE_ATTEMPTS; attempt++) {
      ImaLog whole = readList();
      HashAlg bank = whole.templateHashAlg();
      List<PcrSelection> sel = List.of(PcrSelection.of(bank, ImaLog.IMA_PCR));
      PcrValues before = tpm.pcrRead(sel);
      OptionalInt prefix =
          whole.matchQuoted(
              bank, before.get(bank, ImaLog.IMA_PCR).orElseThrow(), ImaReplayMode.PER_BANK);
      if (prefix.isEmpty()) {
        continue; // the list moved past the register (or this TPM is not the list's)
      }
      ContainerEventLog log = eventLogOf(whole.prefix(prefix.getAsInt()), s);
      Attestation q = tpm.quote(ak, ContainerEvidence.binding(log.register(), nonce), sel);
      PcrValues after = tpm.pcrRead(sel);
      if (!before.equals(after)) {
        continue;
      }
      TpmEvidenceBundle bundle =
          new TpmEvidenceBundle(
              AkKeys.parse(ak.publicArea()),
              Optional.empty(),
              List.of(),
              List.of(new TpmEvidenceBundle.Quote(q.attest(), q.signature())),
              after,
              Optional.empty(),
              Optional.empty(),
              Optional.empty());
      return new ContainerEvidence(nonce, log, bundle);
    }
    throw new Refused(
        AgentProblem.IO_ERROR, 503, "the IMA list does not settle on the quoted PCR 10; try again");
  }

  private ContainerEventLog eventLogOf(ImaLog list, ContainerSubject s)
      throws VerificationException, Refused {
    ContainerAttribution.Result r = ContainerAttribution.measure(list, policy);
    if (!r.cgroupAware() && list.size() > 0 && !warnedNoCgroups.getAndSet(true)) {
      LOG.warning(
          "measure: the IMA template carries no cgroup field (boot with ima_template=ima-cgpath):"
              + " containers have no entries of their own, only node-level measurements");
    }
    // a container named by its id alone gets the pod its entries name
    if (s.container().isPresent() && r.containers().containsKey(s.container().get())) {
      Optional<String> pod = r.containers().get(s.container().get()).pod();
      if (s.pod().isPresent() && pod.isPresent() && !s.pod().equals(pod)) {
        throw badRequest("container " + s.container().get() + " is not in pod " + s.pod().get());
      }
      s = new ContainerSubject(s.pod().or(() -> pod), s.container());
    }
    return ContainerEventLog.of(list, r, s, policy, !isolated());
  }

  private ImaLog readList() throws IOException, VerificationException {
    byte[] bytes = Files.readAllBytes(imaList);
    return ImaLog.parse(bytes, ImaLog.HashCheck.RECORD);
  }
}
