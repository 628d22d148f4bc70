package dev.vouch.server.kbs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.vouch.core.VerificationException;
import dev.vouch.policy.PolicyException;
import dev.vouch.policy.rvps.ReferenceValue;
import dev.vouch.policy.rvps.ReferenceValueMessages;
import dev.vouch.policy.rvps.ReferenceValueStore;
import dev.vouch.server.policy.PolicyStore;
import dev.vouch.server.policy.StoredPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The attestation-service half of Trustee's KBS admin API, backed by this server's policy store and
 * reference value provider, behind the KBS admin JWT:
 *
 * <ul>
 *   <li>{@code POST /kbs/v0/attestation-policy} with {@code {"type", "policy_id", "policy"}}
 *       ({@code policy} is base64url of the document): Trustee's body as {@code kbs-client
 *       set-attestation-policy} sends it. Vouch's attestation policies are CEL documents (rule
 *       documents, or trust claim documents with a top-level {@code trust_claims} key, the shape of
 *       Trustee's EAR policies), so a Rego policy is refused naming the reason; {@code type} is
 *       ignored as Trustee ignores it.
 *   <li>{@code GET /kbs/v0/attestation-policy}: {@code [{"policy-id": id}, ...]} and {@code GET
 *       /kbs/v0/attestation-policy/{id}}: the document as text, as Trustee's attestation service
 *       answers {@code GET /policy} (Trustee's KBS itself has only the POST)
 *   <li>{@code POST /kbs/v0/reference-value}: an RVPS message ({@code {"version":"0.1.0",
 *       "type":"sample","payload":"<base64 of {name: value}>"}} or a signed bundle); 200, empty
 *   <li>{@code GET /kbs/v0/reference-value/{id}}: the value as JSON (a list of accepted values)
 * </ul>
 *
 * Every refusal is Trustee's: 401 with {@code AdminAuthAccess}, {@code AttestationError} (policy
 * refused), {@code PolicyEngineError} (no such policy) or {@code RvpsError}. Thread-safe.
 */
public final class KbsAdminApi {
  private static final Logger LOG = Logger.getLogger(KbsAdminApi.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  // the request paths the admin ACL judges
  private static final String ATTESTATION_POLICY = "/kbs/v0/attestation-policy";
  private static final String REFERENCE_VALUE = "/kbs/v0/reference-value";

  private final AdminAuth admin;
  private final PolicyStore policies;
  private final ReferenceValueStore referenceValues;
  private final ReferenceValueMessages messages;

  public KbsAdminApi(
      AdminAuth admin,
      PolicyStore policies,
      ReferenceValueStore referenceValues,
      ReferenceValueMessages messages) {
    this.admin = Objects.requireNonNull(admin);
    this.policies = Objects.requireNonNull(policies);
    this.referenceValues = Objects.requireNonNull(referenceValues);
    this.messages = Objects.requireNonNull(messages);
  }

  /** Stores an attestation policy as the next version of its id. */
  public void setAttestationPolicy(Optional<String> authorization, byte[] body) throws KbsError {
    admin.authorize(authorization, ATTESTATION_POLICY);
    JsonNode req;
    try {
      req = JSON.readTree(body);
    } catch (IOException e) {
      throw setPolicy("the request is not JSON");
    }
    if (req == null
        || !req.isObject()
        || !req.path("policy_id").isTextual()
        || !req.path("policy").isTextual()) {
      throw setPolicy("the request lacks the string members \"policy_id\" and \"policy\"");
    }
    String id = req.get("policy_id").textValue();
    if (!PolicyStore.ID.matcher(id).matches()) {
      throw setPolicy("policy_id must match " + PolicyStore.ID.pattern());
    }
    String source;
    try {
      source = new String(Base64.getUrlDecoder().decode(req.get("policy").textValue()), UTF8);
    } catch (IllegalArgumentException e) {
      throw setPolicy("policy must be base64url");
    }
    StoredPolicy stored;
    try {
      stored = policies.put(id, source);
    } catch (PolicyException e) {
      String type = req.path("type").asText("");
      throw setPolicy(
          ("rego".equalsIgnoreCase(type) || source.contains("package policy")
                  ? "Rego policies are not supported: Vouch's attestation policies are CEL rule"
                      + " or trust_claims documents (see trustee-default-cpu); "
                  : "")
              + e.getMessage());
    }
    LOG.info(() -> "kbs admin: attestation policy " + id + " version " + stored.version());
  }

  /** The ids of the stored attestation policies, as Trustee's AS lists them. */
  public String listAttestationPolicies(Optional<String> authorization) throws KbsError {
    admin.authorize(authorization, ATTESTATION_POLICY);
    ArrayNode out = JSON.createArrayNode();
    for (String id : policies.ids()) {
      out.addObject().put("policy-id", id);
    }
    return write(out);
  }

  /** The latest document of one attestation policy. */
  public String attestationPolicy(Optional<String> authorization, String id) throws KbsError {
    admin.authorize(authorization, ATTESTATION_POLICY + "/" + id);
    return policies
        .latest(id)
        .map(StoredPolicy::source)
        .orElseThrow(
            () -> new KbsError(KbsError.Kind.PolicyEngineError, "policy " + id + " not found"));
  }

  /** Registers the values of an RVPS message; nothing is stored unless all of it is valid. */
  public void registerReferenceValues(Optional<String> authorization, byte[] body) throws KbsError {
    admin.authorize(authorization, REFERENCE_VALUE);
    try {
      int n = messages.register(referenceValues, body).size();
      LOG.info(() -> "kbs admin: registered " + n + " reference values");
    } catch (VerificationException e) {
      throw new KbsError(
          KbsError.Kind.RvpsError,
          "Failed to register reference value: " + e.failure().code() + ": " + e.getMessage());
    }
  }

  /** One reference value's accepted values as a JSON array. */
  public String referenceValue(Optional<String> authorization, String id) throws KbsError {
    admin.authorize(authorization, REFERENCE_VALUE + "/" + id);
    ReferenceValue v =
        referenceValues.list().stream()
            .filter(x -> x.name().equals(id))
            .findFirst()
            .orElseThrow(
                () ->
                    new KbsError(
                        KbsError.Kind.RvpsError,
                        "Failed to get reference_values: No reference value found for the given"
                            + " id: "
                            + id));
    return write(JSON.valueToTree(v.values()));
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  private static KbsError setPolicy(String detail) {
    return new KbsError(KbsError.Kind.AttestationError, "Set policy failed: " + detail);
  }

  private static String write(JsonNode n) {
    try {
      return JSON.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot happen for a JSON tree", e);
    }
  }
}
