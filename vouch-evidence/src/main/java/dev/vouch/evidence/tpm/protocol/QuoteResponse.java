package dev.vouch.evidence.tpm.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A trust agent's answer to a {@link QuoteRequest}. JSON:
 *
 * <pre>{@code
 * {"host_id": "node-1", "evidence": {<TpmEvidenceBundle, version 1>}, "host": {<HostInfo>},
 *  "ima_offset": 0, "software": [{"path": "/opt/app/run", "sha256": "hex"}]}
 * }</pre>
 *
 * The {@code evidence} member is exactly the document {@code vouch verify --tee tpm --evidence}
 * reads, so a saved response can be checked offline. Nothing here is trusted for being here: the
 * verifier checks the quote against the AK it enrolled, not the one in the bundle.
 *
 * @param hostId the host id the agent claims
 * @param evidence quote, PCR values, AK and (as asked) event log and IMA entries
 * @param host unsigned host facts
 * @param imaOffset index of the first IMA entry in {@code evidence.imaLog()} (0 when none was sent)
 * @param software the software measurements of PCR 15, in extend order, when they were asked for
 */
public record QuoteResponse(
    String hostId,
    TpmEvidenceBundle evidence,
    HostInfo host,
    long imaOffset,
    Optional<List<SoftwareMeasurement>> software) {

  private static final Set<String> MEMBERS =
      Set.of("host_id", "evidence", "host", "ima_offset", "software");

  public QuoteResponse {
    if (!HostIds.isValid(hostId)) {
      throw new IllegalArgumentException("invalid host id");
    }
    Objects.requireNonNull(evidence, "evidence");
    Objects.requireNonNull(host, "host");
    if (imaOffset < 0) {
      throw new IllegalArgumentException("negative IMA offset");
    }
    software = software.map(List::copyOf);
  }

  /** A response without software measurements. */
  public QuoteResponse(String hostId, TpmEvidenceBundle evidence, HostInfo host, long imaOffset) {
    this(hostId, evidence, host, imaOffset, Optional.empty());
  }

  public byte[] toJson() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("host_id", hostId);
    o.set("evidence", evidence.toJsonNode());
    o.set("host", host.toJsonNode());
    o.put("ima_offset", imaOffset);
    software.ifPresent(s -> o.set("software", SoftwareMeasurement.toJson(s)));
    return Json.write(o);
  }

  /**
   * Reads a response; the evidence is parsed as {@link TpmEvidenceBundle#parse} does.
   *
   * @throws VerificationException MALFORMED for bad JSON or members, and whatever the bundle parser
   *     reports for the evidence
   */
  public static QuoteResponse parse(byte[] json) throws VerificationException {
    return parse(tree(json));
  }

  /**
   * An agent's reply read once as a JSON object (strict: duplicate members refused), for {@link
   * #parse(ObjectNode)} or {@link AgentProblem#parse(JsonNode)}.
   *
   * @throws VerificationException MALFORMED when it is not a JSON object
   */
  public static ObjectNode tree(byte[] json) throws VerificationException {
    return Json.object(json, "quote response");
  }

  /** Reads a quote response from its {@link #tree}. */
  public static QuoteResponse parse(ObjectNode o) throws VerificationException {
    Json.onlyMembers(o, MEMBERS, "quote response");
    String hostId = HostIds.require(Json.text(o, "host_id"));
    JsonNode evidence = Json.required(o, "evidence");
    if (!evidence.isObject()) {
      throw new VerificationException(Failure.MALFORMED, "\"evidence\" must be an object");
    }
    TpmEvidenceBundle bundle = TpmEvidenceBundle.parse(evidence);
    HostInfo host = HostInfo.fromJsonNode(Json.required(o, "host"));
    JsonNode ima = o.get("ima_offset");
    long imaOffset = ima == null ? 0 : Json.count(ima, "ima_offset");
    JsonNode sw = o.get("software");
    Optional<List<SoftwareMeasurement>> software =
        sw == null ? Optional.empty() : Optional.of(SoftwareMeasurement.fromJson(sw));
    return new QuoteResponse(hostId, bundle, host, imaOffset, software);
  }
}
