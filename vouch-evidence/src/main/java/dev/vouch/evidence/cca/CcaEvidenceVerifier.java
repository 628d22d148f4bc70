package dev.vouch.evidence.cca;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Claims;
import dev.vouch.core.Failure;
import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.Crypto;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Verifies an Arm CCA attestation token: the platform token's signature by a trusted IAK, the realm
 * token's signature by the RAK it carries, the binding between them (the platform challenge is the
 * hash of the RAK), and the realm challenge against the expected nonce (it must start with the
 * nonce and be zero after it). Produces the claims named in {@link CcaClaims}.
 *
 * <p>Platform keys come from the anchors given at construction and from {@link
 * Expectations#collateral()} files, recognised by content ({@link CcaTrustAnchor#recognise}); there
 * is no certificate chain above the IAK. Without any key the result is {@link
 * Failure#COLLATERAL_MISSING}. Evidence is the raw token or Trustee's {@code {"token": [bytes]}}.
 *
 * <p>Realm keys and collateral anchors already seen by this instance are reused (bounded caches
 * keyed by their exact bytes), so re-attesting a realm skips re-parsing its key.
 *
 * <p>Failures: MALFORMED / TRUNCATED / UNSUPPORTED for the encoding, SIGNATURE_INVALID when a
 * signature does not verify, KEY_MISMATCH when no anchor covers the platform or the RAK is not the
 * one the platform vouched for, REPORT_DATA_MISMATCH for the realm challenge. Thread-safe.
 */
public final class CcaEvidenceVerifier implements EvidenceVerifier {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int REPORT_DATA_LENGTH = 64;

  private final List<CcaTrustAnchor> anchors;
  private final BoundedCache<EcKey> realmKeys = new BoundedCache<>(1024);
  private final BoundedCache<List<CcaTrustAnchor>> collateralAnchors = new BoundedCache<>(64);

  /** A verifier that takes platform keys from the collateral only. */
  public CcaEvidenceVerifier() {
    this(List.of());
  }

  /** A verifier that trusts these platform keys, plus any the collateral supplies. */
  public CcaEvidenceVerifier(List<CcaTrustAnchor> anchors) {
    this.anchors = List.copyOf(anchors);
  }

  @Override
  public Tee tee() {
    return Tee.CCA;
  }

  /** The realm challenge is 64 bytes; CCA has no init data field here. */
  @Override
  public int reportDataLength() {
    return REPORT_DATA_LENGTH;
  }

  @Override
  public VerifiedEvidence verify(byte[] evidence, Expectations expected)
      throws VerificationException {
    CcaToken token = CcaToken.parse(unwrap(evidence));
    CcaPlatformClaims platform = CcaPlatformClaims.parse(token.platform().payload());
    verifyPlatformSignature(token.platform(), platform, anchorsFor(expected));

    CcaRealmClaims realm = CcaRealmClaims.parse(token.realm().payload());
    EcKey rak = realmKeys.get(realm.publicKey(), k -> realm.realmKey());
    token.realm().verify(rak, "CCA realm token");
    byte[] keyHash = realm.publicKeyHash().digest(realm.publicKey());
    if (!Crypto.constantTimeEquals(keyHash, platform.challenge())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "the realm key's "
              + realm.publicKeyHashAlgo()
              + " hash differs from the platform challenge: the platform did not vouch for it");
    }
    checkReportData(realm.challenge(), expected.nonce());
    return new VerifiedEvidence(Tee.CCA, claims(platform, realm));
  }

  /** Trustee's CCA evidence is JSON {@code {"token": [byte, ...]}}; the raw token also works. */
  static byte[] unwrap(byte[] evidence) throws VerificationException {
    if (evidence.length == 0 || evidence[0] != '{') {
      return evidence;
    }
    try {
      JsonNode token = JSON.readTree(evidence).path("token");
      if (token.isTextual()) {
        return Base64.getDecoder().decode(token.asText());
      }
      if (!token.isArray()) {
        throw new VerificationException(
            Failure.MALFORMED, "CCA evidence JSON lacks a token byte array");
      }
      byte[] out = new byte[token.size()];
      for (int i = 0; i < out.length; i++) {
        JsonNode b = token.get(i);
        if (!b.isInt() || b.asInt() < 0 || b.asInt() > 255) {
          throw new VerificationException(
              Failure.MALFORMED, "CCA evidence JSON token[" + i + "] is not a byte");
        }
        out[i] = (byte) b.asInt();
      }
      return out;
    } catch (IOException | IllegalArgumentException e) {
      throw new VerificationException(
          Failure.MALFORMED, "CCA evidence is neither a CBOR token nor Trustee JSON", e);
    }
  }

  private List<CcaTrustAnchor> anchorsFor(Expectations expected) throws VerificationException {
    List<CcaTrustAnchor> all = new ArrayList<>(anchors);
    for (byte[] file : expected.collateral()) {
      all.addAll(collateralAnchors.get(file, CcaTrustAnchor::recognise));
    }
    return all;
  }

  /**
   * The platform token must verify with an anchor that covers the platform's IDs. Several anchors
   * may be on offer (a store lists many platforms); the first that verifies wins.
   */
  private static void verifyPlatformSignature(
      CoseSign1 cose, CcaPlatformClaims platform, List<CcaTrustAnchor> anchors)
      throws VerificationException {
    if (anchors.isEmpty()) {
      throw new VerificationException(
          Failure.COLLATERAL_MISSING,
          "no CCA platform key (IAK) is configured or supplied as collateral");
    }
    boolean usable = false;
    for (CcaTrustAnchor a : anchors) {
      if (!a.covers(platform.implementationId(), platform.instanceId())
          || a.key().curve() != cose.algorithm().curve()) {
        continue;
      }
      usable = true;
      if (cose.verifies(a.key())) {
        return;
      }
    }
    if (!usable) {
      throw new VerificationException(
          Failure.KEY_MISMATCH,
          "no trusted "
              + cose.algorithm().curve().jwkName()
              + " platform key covers implementation "
              + Hex.encode(platform.implementationId())
              + ", instance "
              + Hex.encode(platform.instanceId()));
    }
    throw new VerificationException(
        Failure.SIGNATURE_INVALID,
        "CCA platform token: " + cose.algorithm() + " signature does not verify with any IAK");
  }

  /** The realm challenge must start with the nonce and be zero after it (Trustee pads so). */
  private static void checkReportData(byte[] challenge, Optional<byte[]> nonce)
      throws VerificationException {
    if (nonce.isEmpty()) {
      return;
    }
    byte[] n = nonce.get();
    if (n.length > REPORT_DATA_LENGTH) {
      throw new VerificationException(
          Failure.REPORT_DATA_MISMATCH,
          "a " + n.length + "-byte nonce cannot fit the 64-byte realm challenge");
    }
    byte[] want = new byte[REPORT_DATA_LENGTH];
    System.arraycopy(n, 0, want, 0, n.length);
    if (!Crypto.constantTimeEquals(want, challenge)) {
      throw new VerificationException(
          Failure.REPORT_DATA_MISMATCH,
          "the realm challenge is not the expected nonce followed by zeros");
    }
  }

  private static Claims claims(CcaPlatformClaims p, CcaRealmClaims r) {
    Claims.Builder c = Claims.builder();
    c.put(CcaClaims.REPORT_DATA, Hex.encode(r.challenge()));
    c.put(CcaClaims.PLATFORM_PROFILE, p.profile());
    c.put(CcaClaims.PLATFORM_CHALLENGE, Hex.encode(p.challenge()));
    c.put(CcaClaims.PLATFORM_IMPLEMENTATION_ID, Hex.encode(p.implementationId()));
    c.put(CcaClaims.PLATFORM_INSTANCE_ID, Hex.encode(p.instanceId()));
    c.put(CcaClaims.PLATFORM_CONFIG, Hex.encode(p.config()));
    c.put(CcaClaims.PLATFORM_LIFECYCLE, p.lifecycle());
    c.put(CcaClaims.PLATFORM_LIFECYCLE_STATE, p.lifecycleState());
    c.put(CcaClaims.PLATFORM_HASH_ALGO, p.hashAlgo());
    p.verificationService().ifPresent(v -> c.put(CcaClaims.PLATFORM_VERIFICATION_SERVICE, v));
    c.put(CcaClaims.PLATFORM_SW_COMPONENTS, p.swComponents().size());
    for (int i = 0; i < p.swComponents().size(); i++) {
      SwComponent sw = p.swComponents().get(i);
      String prefix = CcaClaims.PLATFORM_SW + i + ".";
      sw.type().ifPresent(v -> c.put(prefix + "type", v));
      c.put(prefix + "measurement", Hex.encode(sw.measurement()));
      c.put(prefix + "signer_id", Hex.encode(sw.signerId()));
      sw.version().ifPresent(v -> c.put(prefix + "version", v));
      sw.hashAlgo().ifPresent(v -> c.put(prefix + "hash_algo", v));
    }
    r.profile().ifPresent(v -> c.put(CcaClaims.REALM_PROFILE, v));
    c.put(CcaClaims.REALM_CHALLENGE, Hex.encode(r.challenge()));
    c.put(CcaClaims.REALM_PERSONALIZATION_VALUE, Hex.encode(r.personalizationValue()));
    c.put(CcaClaims.REALM_RIM, Hex.encode(r.initialMeasurement()));
    List<byte[]> rems = r.extensibleMeasurements();
    for (int i = 0; i < rems.size(); i++) {
      c.put(CcaClaims.REALM_REM + i, Hex.encode(rems.get(i)));
    }
    c.put(CcaClaims.REALM_HASH_ALGO, r.hashAlgo());
    c.put(CcaClaims.REALM_PUBLIC_KEY, Hex.encode(r.publicKey()));
    c.put(CcaClaims.REALM_PUBLIC_KEY_HASH_ALGO, r.publicKeyHashAlgo());
    return c.build();
  }
}
