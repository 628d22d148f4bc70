package dev.vouch.policy.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.json.Jcs;
import dev.vouch.core.pki.Revocation;
import dev.vouch.policy.report.X5cJws;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * The audit chain's head at one record, signed by the server's reporting key (a JWS typed {@code
 * vouch-audit-checkpoint+jws} with the key's chain in {@code x5c}). Whoever can rewrite the
 * database cannot make a checkpoint for a rewritten chain without the sealed key.
 */
public record AuditCheckpoint(long seq, String head, Instant at) {
  /** The JWS {@code typ} of checkpoints. */
  public static final String TYPE = "vouch-audit-checkpoint+jws";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Signs this checkpoint with a signer made by {@link #signer}. */
  public String sign(X5cJws.Signer signer) throws VerificationException {
    ObjectNode o = JSON.createObjectNode();
    o.put("type", "vouch-audit-checkpoint");
    o.put("seq", seq);
    o.put("head", head);
    o.put("at", at.toString());
    return signer.sign(Jcs.canonicalize(o));
  }

  /** A signer of checkpoints for the reporting key and its chain. */
  public static X5cJws.Signer signer(java.security.PrivateKey key, List<X509Certificate> chain)
      throws VerificationException {
    return X5cJws.signer(key, chain, TYPE);
  }

  /** A checkpoint whose signature checked out, and whether its signer was pinned by the caller. */
  public record Verified(AuditCheckpoint checkpoint, boolean anchored) {}

  /**
   * Verifies a signed checkpoint. With no {@code roots} the chain carried in the checkpoint is its
   * own anchor: the signature is checked, but nothing says whose key it is, and the result says so.
   *
   * @throws VerificationException the codes of {@link X5cJws#verify}, MALFORMED for a payload that
   *     is no checkpoint
   */
  public static Verified verify(String jws, List<X509Certificate> roots, Instant at)
      throws VerificationException {
    boolean anchored = !roots.isEmpty();
    List<X509Certificate> anchors = anchored ? roots : List.of(lastOfChain(jws));
    X5cJws.Verified v =
        X5cJws.verify(jws, TYPE, "checkpoint", anchors, List.of(), at, Revocation.DISABLED);
    JsonNode o;
    try {
      o = JSON.readTree(v.payload());
    } catch (IOException e) {
      throw new VerificationException(Failure.MALFORMED, "the checkpoint is not JSON");
    }
    if (o == null
        || !o.path("seq").canConvertToLong()
        || !o.path("head").isTextual()
        || !o.path("at").isTextual()) {
      throw new VerificationException(Failure.MALFORMED, "the checkpoint lacks seq, head or at");
    }
    try {
      return new Verified(
          new AuditCheckpoint(
              o.get("seq").longValue(),
              o.get("head").textValue(),
              Instant.parse(o.get("at").textValue())),
          anchored);
    } catch (DateTimeParseException e) {
      throw new VerificationException(Failure.MALFORMED, "the checkpoint's time is no instant");
    }
  }

  private static X509Certificate lastOfChain(String jws) throws VerificationException {
    try {
      var chain = com.nimbusds.jose.JWSObject.parse(jws.strip()).getHeader().getX509CertChain();
      if (chain == null || chain.isEmpty()) {
        throw new VerificationException(
            Failure.CHAIN_UNTRUSTED, "the checkpoint carries no certificate chain (x5c)");
      }
      return (X509Certificate)
          java.security.cert.CertificateFactory.getInstance("X.509")
              .generateCertificate(
                  new java.io.ByteArrayInputStream(chain.get(chain.size() - 1).decode()));
    } catch (java.text.ParseException | java.security.cert.CertificateException e) {
      throw new VerificationException(
          Failure.MALFORMED, "not a signed checkpoint: " + e.getMessage());
    }
  }
}
