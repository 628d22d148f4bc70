package dev.vouch.evidence.cima;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.protocol.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A pod's or container's event log as the measurement agent serves it and as container evidence
 * carries it: the baseline of system processes its register starts from, then every IMA entry of
 * the node's list in log order. Entries the subject may see (its own pod's, the host's, those of no
 * cgroup) carry their template data; the others are <em>redacted</em> to their template hash, so
 * that the whole list still replays to the quoted PCR 10 while another pod's paths, cgroups and
 * file digests stay hidden.
 *
 * <p>The register is {@code R = H(R || d)} from zero, first over the baseline digests {@code
 * H(process)} (see {@link MeasurementPolicy#baseline()}), then over the template hash of each
 * visible entry the subject owns (a violation extends all {@code 0xff}). Agent and verifier both
 * call {@link #register()}.
 *
 * <p>JSON ({@link #toJson}, {@link #parse}), TCG-style after CIMA's {@code TcgEventlog}:
 *
 * <pre>
 * {"version":1,"hash_algorithm":"sha256","subject":{"pod":"uid"|null,"container":"hex"|null},
 *  "isolated":true,
 *  "baseline":{"with_parameter":bool,"processes":[{"process":"/usr/bin/containerd","digest":"hex"}]},
 *  "events":[{"rec_num":1,"imr_index":10,"event_type":20,
 *             "digests":[{"alg":"sha256","digest":"hex"}],
 *             "template_name":"ima-cgpath","event":"base64 template data"}
 *            | {..., "digests":[...], "redacted":true}]}
 * </pre>
 *
 * {@link #toCelJson} writes the same events as TCG Canonical Event Log JSON records ({@code
 * application/cel+json}). Immutable.
 */
public record ContainerEventLog(
    HashAlg hashAlgorithm,
    ContainerSubject subject,
    boolean isolated,
    boolean withParameter,
    List<String> baseline,
    List<Event> events) {

  /** CIMA's event type for an IMA measurement (not a TCG PC Client type). */
  public static final int IMA_MEASUREMENT_EVENT = 0x14;

  /** Bound on events in a document: a busy node's list, with room to spare. */
  static final int MAX_EVENTS = 4_000_000;

  /**
   * One IMA entry.
   *
   * @param pcr the register the kernel extended
   * @param templateHash the template hash (what the kernel extended)
   * @param templateName empty when redacted
   * @param templateData empty when redacted
   */
  public record Event(
      int pcr, byte[] templateHash, Optional<String> templateName, Optional<byte[]> templateData) {
    public Event {
      templateHash = templateHash.clone();
      templateData = templateData.map(byte[]::clone);
      if (templateName.isPresent() != templateData.isPresent()) {
        throw new IllegalArgumentException("template name and data go together");
      }
    }

    public boolean redacted() {
      return templateData.isEmpty();
    }

    @Override
    public byte[] templateHash() {
      return templateHash.clone();
    }

    @Override
    public Optional<byte[]> templateData() {
      return templateData.map(byte[]::clone);
    }
  }

  public ContainerEventLog {
    baseline = List.copyOf(baseline);
    events = List.copyOf(events);
  }

  /**
   * The log {@code subject} gets of {@code list}: entries it may see in full (see {@link
   * ContainerSubject#sees}), the others redacted; with {@code showAll} (the agent is not isolated)
   * nothing is redacted.
   *
   * @param attribution the attribution of {@code list}, for each entry's owner
   * @param policy the measurement policy whose baseline the registers start from
   */
  public static ContainerEventLog of(
      ImaLog list,
      ContainerAttribution.Result attribution,
      ContainerSubject subject,
      Optional<MeasurementPolicy> policy,
      boolean showAll) {
    List<Event> events = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      ImaEntry e = list.entries().get(i);
      boolean shown = showAll || subject.sees(attribution.entryOwners().get(i));
      events.add(
          new Event(
              e.pcr(),
              e.templateHash(),
              shown ? Optional.of(e.templateName()) : Optional.empty(),
              shown ? Optional.of(e.templateData()) : Optional.empty()));
    }
    return new ContainerEventLog(
        attribution.hashAlgorithm(),
        subject,
        !showAll,
        policy.map(p -> p.measure().system().withParameter()).orElse(false),
        policy.map(p -> p.measure().system().processes()).orElse(List.of()),
        events);
  }

  /** Number of entries the subject's register folds (its own, not the baseline). */
  public int ownEvents() throws VerificationException {
    return visible().owned().size();
  }

  /** The subject's register, replayed from the baseline and the subject's own entries. */
  public byte[] register() throws VerificationException {
    VirtualRegister r = new VirtualRegister(hashAlgorithm, baselineValue());
    byte[] violation = new byte[hashAlgorithm.size()];
    Arrays.fill(violation, (byte) 0xff);
    for (ImaEntry e : visible().owned()) {
      r.extend(e.violation() ? violation : e.templateHash());
    }
    return r.value();
  }

  /** The baseline value every register of this node starts from. */
  byte[] baselineValue() {
    VirtualRegister r = VirtualRegister.zero(hashAlgorithm);
    for (String proc : baseline) {
      r.extend(hashAlgorithm.digest(MeasurementPolicy.processMeasurement(proc, withParameter)));
    }
    return r.value();
  }

  /**
   * Every entry's extension of {@code pcr} in the template hash's own bank, redacted or not, from
   * zero: what the TPM holds when the quote covers the whole list.
   */
  public byte[] replayPcr(int pcr) {
    byte[] cur = new byte[hashAlgorithm.size()];
    byte[] zero = new byte[hashAlgorithm.size()];
    byte[] ones = new byte[hashAlgorithm.size()];
    Arrays.fill(ones, (byte) 0xff);
    for (Event e : events) {
      if (e.pcr() == pcr) {
        byte[] th = e.templateHash();
        cur = PcrValues.extend(hashAlgorithm, cur, Arrays.equals(th, zero) ? ones : th);
      }
    }
    return cur;
  }

  /**
   * The visible entries, parsed, with the 1-based record number of each in the whole log, their
   * attribution, and the subject.
   */
  record Visible(
      ImaLog log,
      List<Integer> recNums,
      ContainerAttribution.Result owners,
      ContainerSubject subject) {
    /** The entries the subject's register folds, in log order. */
    List<ImaEntry> owned() {
      List<ImaEntry> out = new ArrayList<>();
      for (int i = 0; i < log.size(); i++) {
        if (subject.folds(owners.entryOwners().get(i))) {
          out.add(log.entries().get(i));
        }
      }
      return out;
    }
  }

  /**
   * The entries shown in full, framed and parsed as the kernel's binary list (template hashes
   * recorded, not enforced: the verifier decides what a mismatch means).
   */
  Visible visible() throws VerificationException {
    List<Integer> recNums = new ArrayList<>();
    List<Event> shown = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      if (!events.get(i).redacted()) {
        recNums.add(i + 1);
        shown.add(events.get(i));
      }
    }
    ImaLog log = ImaLog.parseBinary(frame(shown), hashAlgorithm, ImaLog.HashCheck.RECORD);
    return new Visible(log, recNums, ContainerAttribution.measure(log, Optional.empty()), subject);
  }

  /** The subject's own entries as a list of their own (for appraisal). */
  ImaLog ownedLog(Visible v) throws VerificationException {
    List<Event> own = new ArrayList<>();
    for (int i = 0; i < v.log().size(); i++) {
      if (subject.folds(v.owners().entryOwners().get(i))) {
        own.add(events.get(v.recNums().get(i) - 1));
      }
    }
    return ImaLog.parseBinary(frame(own), hashAlgorithm, ImaLog.HashCheck.RECORD);
  }

  /** Events with template data in the kernel's binary list form. */
  private static byte[] frame(List<Event> shown) {
    ByteArrayOutputStream bin = new ByteArrayOutputStream();
    for (Event e : shown) {
      ImaLog.writeEntry(
          bin,
          e.pcr(),
          e.templateHash(),
          e.templateName().orElseThrow(),
          e.templateData().orElseThrow());
    }
    return bin.toByteArray();
  }

  // ---------------------------------------------------------------- JSON

  /** Strict reading for the package's documents (duplicate keys, trailing tokens refused). */
  static final ObjectMapper JSON = Json.MAPPER;

  /** The TCG-style document. */
  public ObjectNode toJsonNode() {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", 1);
    root.put("hash_algorithm", hashAlgorithm.shortName());
    root.set("subject", subjectJson(subject));
    root.put("isolated", isolated);
    ObjectNode base = root.putObject("baseline");
    base.put("with_parameter", withParameter);
    ArrayNode procs = base.putArray("processes");
    for (String p : baseline) {
      procs
          .addObject()
          .put("process", p)
          .put(
              "digest",
              Hex.encode(
                  hashAlgorithm.digest(MeasurementPolicy.processMeasurement(p, withParameter))));
    }
    ArrayNode evs = root.putArray("events");
    Base64.Encoder b64 = Base64.getEncoder();
    int n = 0;
    for (Event e : events) {
      ObjectNode o = evs.addObject();
      o.put("rec_num", ++n);
      o.put("imr_index", e.pcr());
      o.put("event_type", IMA_MEASUREMENT_EVENT);
      o.putArray("digests")
          .addObject()
          .put("alg", hashAlgorithm.shortName())
          .put("digest", Hex.encode(e.templateHash()));
      if (e.redacted()) {
        o.put("redacted", true);
      } else {
        o.put("template_name", e.templateName().get());
        o.put("event", b64.encodeToString(e.templateData().get()));
      }
    }
    return root;
  }

  public byte[] toJson() {
    return toJsonNode().toString().getBytes(StandardCharsets.UTF_8);
  }

  static ObjectNode subjectJson(ContainerSubject s) {
    ObjectNode o = JSON.createObjectNode();
    o.put("pod", s.pod().orElse(null));
    o.put("container", s.container().orElse(null));
    return o;
  }

  /**
   * The events as TCG Canonical Event Log JSON records: {@code recnum}, {@code pcr}, {@code
   * digests} ({@code hashAlg}, {@code digest}), {@code content_type} {@code ima_template} with
   * {@code template_name} and base64 {@code template_data}. A redacted entry keeps its digest and
   * carries {@code "content":{"redacted":true}} (the CEL has no redaction of its own). The baseline
   * comes first as {@code vouch_system_process} records of the virtual register, without a PCR.
   */
  public byte[] toCelJson() {
    ArrayNode recs = JSON.createArrayNode();
    int n = 0;
    for (String p : baseline) {
      ObjectNode o = recs.addObject();
      o.put("recnum", n++);
      o.putArray("digests")
          .addObject()
          .put("hashAlg", hashAlgorithm.shortName())
          .put(
              "digest",
              Hex.encode(
                  hashAlgorithm.digest(MeasurementPolicy.processMeasurement(p, withParameter))));
      o.put("content_type", "vouch_system_process");
      o.putObject("content").put("process", p).put("with_parameter", withParameter);
    }
    Base64.Encoder b64 = Base64.getEncoder();
    for (Event e : events) {
      ObjectNode o = recs.addObject();
      o.put("recnum", n++);
      o.put("pcr", e.pcr());
      o.putArray("digests")
          .addObject()
          .put("hashAlg", hashAlgorithm.shortName())
          .put("digest", Hex.encode(e.templateHash()));
      o.put("content_type", "ima_template");
      ObjectNode c = o.putObject("content");
      if (e.redacted()) {
        c.put("redacted", true);
      } else {
        c.put("template_name", e.templateName().get());
        c.put("template_data", b64.encodeToString(e.templateData().get()));
      }
    }
    return recs.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Reads {@link #toJson} output strictly. */
  public static ContainerEventLog parse(byte[] json) throws VerificationException {
    try {
      return fromJson(JSON.readTree(json));
    } catch (IOException e) {
      throw new VerificationException(
          Failure.MALFORMED, "container event log is not JSON: " + e.getMessage());
    }
  }

  static ContainerEventLog fromJson(JsonNode root) throws VerificationException {
    members(
        root,
        "event log",
        Set.of("version", "hash_algorithm", "subject", "isolated", "baseline", "events"));
    if (root.path("version").asInt(-1) != 1 || !root.path("version").isInt()) {
      throw malformed("event log version must be 1");
    }
    HashAlg alg =
        HashAlg.fromName(text(root, "hash_algorithm"))
            .filter(a -> a.size() >= 20)
            .orElseThrow(() -> malformed("unknown hash_algorithm"));
    ContainerSubject subject = subject(root.path("subject"));
    if (!root.path("isolated").isBoolean()) {
      throw malformed("isolated must be a boolean");
    }
    JsonNode base = root.path("baseline");
    members(base, "baseline", Set.of("with_parameter", "processes"));
    if (!base.path("with_parameter").isBoolean() || !base.path("processes").isArray()) {
      throw malformed("baseline needs with_parameter (boolean) and processes (array)");
    }
    boolean withParameter = base.path("with_parameter").booleanValue();
    List<String> procs = new ArrayList<>();
    for (JsonNode p : base.path("processes")) {
      members(p, "baseline process", Set.of("process", "digest"));
      String proc = text(p, "process");
      byte[] want = alg.digest(MeasurementPolicy.processMeasurement(proc, withParameter));
      if (!Hex.encode(want).equals(text(p, "digest"))) {
        throw new VerificationException(
            Failure.TEMPLATE_HASH_MISMATCH,
            "baseline process '" + proc + "': digest is not the hash of what it names");
      }
      procs.add(proc);
    }
    JsonNode evs = root.path("events");
    if (!evs.isArray() || evs.size() > MAX_EVENTS) {
      throw malformed("events must be an array of at most " + MAX_EVENTS);
    }
    List<Event> events = new ArrayList<>(evs.size());
    Base64.Decoder b64 = Base64.getDecoder();
    int n = 0;
    for (JsonNode e : evs) {
      n++;
      String where = "event " + n;
      members(
          e,
          where,
          Set.of(
              "rec_num",
              "imr_index",
              "event_type",
              "digests",
              "redacted",
              "template_name",
              "event"));
      if (e.path("rec_num").asLong(-1) != n || !e.path("rec_num").isIntegralNumber()) {
        throw malformed(where + ": rec_num must be " + n + " (events in log order, none missing)");
      }
      JsonNode pcr = e.path("imr_index");
      if (!pcr.isInt() || pcr.intValue() < 0 || pcr.intValue() > 23) {
        throw malformed(where + ": imr_index must be a PCR number");
      }
      if (e.path("event_type").asInt(-1) != IMA_MEASUREMENT_EVENT) {
        throw malformed(where + ": event_type must be " + IMA_MEASUREMENT_EVENT);
      }
      JsonNode d = e.path("digests");
      if (!d.isArray() || d.size() != 1) {
        throw malformed(where + ": digests must hold the one template hash");
      }
      members(d.get(0), where + " digest", Set.of("alg", "digest"));
      if (!alg.shortName().equals(text(d.get(0), "alg"))) {
        throw malformed(where + ": digest algorithm is not the log's hash_algorithm");
      }
      byte[] th = hex(text(d.get(0), "digest"), alg.size(), where);
      boolean redacted = e.path("redacted").asBoolean(false);
      if (redacted) {
        if (e.has("template_name") || e.has("event")) {
          throw malformed(where + ": a redacted event carries no template");
        }
        events.add(new Event(pcr.intValue(), th, Optional.empty(), Optional.empty()));
      } else {
        String name = text(e, "template_name");
        if (name.isEmpty()
            || name.length() > 255
            || !name.chars().allMatch(c -> c > 32 && c < 127)) {
          throw malformed(where + ": template_name is not a template name");
        }
        byte[] data;
        try {
          data = b64.decode(text(e, "event"));
        } catch (IllegalArgumentException x) {
          throw malformed(where + ": event is not base64");
        }
        events.add(new Event(pcr.intValue(), th, Optional.of(name), Optional.of(data)));
      }
    }
    return new ContainerEventLog(
        alg, subject, root.path("isolated").booleanValue(), withParameter, procs, events);
  }

  static ContainerSubject subject(JsonNode s) throws VerificationException {
    members(s, "subject", Set.of("pod", "container"));
    Optional<String> pod = optionalText(s, "pod");
    Optional<String> container = optionalText(s, "container");
    if (pod.isEmpty() && container.isEmpty()) {
      throw malformed("subject names neither a pod nor a container");
    }
    // a subject must be something attribution can produce
    if (pod.isPresent()
        && !(CgroupOwner.of("/kubepods.slice/kubepods-pod" + pod.get() + ".slice")
            instanceof CgroupOwner.Pod)) {
      throw malformed("subject pod is not a pod uid");
    }
    if (container.isPresent() && !container.get().matches("[0-9a-f]{64}")) {
      throw malformed("subject container is not a 64-hex container id");
    }
    return new ContainerSubject(pod, container);
  }

  private static void members(JsonNode n, String where, Set<String> allowed)
      throws VerificationException {
    if (!n.isObject()) {
      throw malformed(where + " must be an object");
    }
    Json.onlyMembers(n, allowed, where);
  }

  private static String text(JsonNode n, String field) throws VerificationException {
    return Json.text(n, field);
  }

  private static Optional<String> optionalText(JsonNode n, String field)
      throws VerificationException {
    return Json.optionalText(n, field);
  }

  private static byte[] hex(String s, int size, String where) throws VerificationException {
    if (s.length() != 2 * size || !Hex.isHex(s)) {
      throw malformed(where + ": digest must be " + size + " bytes of hex");
    }
    return Hex.decode(s);
  }

  static VerificationException malformed(String message) {
    return new VerificationException(Failure.MALFORMED, message);
  }
}
