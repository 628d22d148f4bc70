package dev.vouch.agent.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Base64;

/**
 * Trustee's sample attester: {@code {"svn": "1", "report_data": base64(digest)}}. It proves
 * nothing, so it exists only for tests and load generation and must be asked for by name: {@link
 * #explicitlyEnabled()}.
 */
public final class SampleEvidenceProvider implements EvidenceProvider {
  private SampleEvidenceProvider() {}

  /** The sample attester, for a caller that chose it on purpose (e.g. {@code --tee sample}). */
  public static SampleEvidenceProvider explicitlyEnabled() {
    return new SampleEvidenceProvider();
  }

  @Override
  public String tee() {
    return "sample";
  }

  @Override
  public JsonNode evidence(byte[] bindingDigest) {
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    n.put("svn", "1");
    n.put("report_data", Base64.getEncoder().encodeToString(bindingDigest));
    return n;
  }
}
