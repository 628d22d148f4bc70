package dev.vouch.policy.flavor;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/** Small hand-made flavors and hosts for rule and policy tests. */
final class Synthetic {
  static final String A = "aa".repeat(32);
  static final String B = "bb".repeat(32);
  static final String UUID_HOST = "11111111-2222-3333-4444-555555555555";
  static final FlavorEvent SB =
      new FlavorEvent(
          0x80000001L, "EV_EFI_VARIABLE_DRIVER_CONFIG", List.of("SecureBoot"), "01".repeat(32));
  static final FlavorEvent DB =
      new FlavorEvent(0x80000001L, "EV_EFI_VARIABLE_DRIVER_CONFIG", List.of("db"), "02".repeat(32));
  static final FlavorEvent SEP = new FlavorEvent(4, "EV_SEPARATOR", List.of(), "03".repeat(32));
  static final FlavorEvent INITRD =
      new FlavorEvent(0xd, "EV_IPL", List.of("initrd"), "04".repeat(32));

  private Synthetic() {}

  static HostFacts facts() {
    return new HostFacts("h1", UUID_HOST, "Ubuntu", "24.04", "EDK II", "1.0", "2.0");
  }

  /**
   * PCR 7 after extending these digests from zero, computed here with the JDK's SHA-256 so that
   * integrity checks are judged against an independent replay.
   */
  static byte[] sha256Chain(FlavorEvent... events) {
    try {
      byte[] v = new byte[32];
      for (FlavorEvent e : events) {
        java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
        md.update(v);
        md.update(Hex.decode(e.measurement()));
        v = md.digest();
      }
      return v;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A host with PCR 0 = A and PCR 7 events SB, DB, SEP, INITRD (PCR 7 is their replay), Secure Boot
   * on, reset count 5.
   */
  static HostEvidence host() {
    return new HostEvidence(
        facts(),
        PcrValues.builder()
            .put(HashAlg.SHA256, 0, Hex.decode(A))
            .put(HashAlg.SHA256, 7, sha256Chain(SB, DB, SEP, INITRD))
            .build(),
        Map.of(HashAlg.SHA256, Map.of(7, List.of(SB, DB, SEP, INITRD))),
        true,
        Optional.of(true),
        OptionalLong.of(5),
        Optional.empty());
  }

  static Flavor flavor(FlavorPart part, long id, PcrRule... rules) {
    ObjectNode d = JsonNodeFactory.instance.objectNode();
    d.put("flavor_part", part.name());
    d.put("label", "f" + id);
    return new Flavor(
        new FlavorMeta(new UUID(0, id), part, "f" + id, "VOUCH", d, Optional.empty()),
        List.of(rules),
        Optional.empty(),
        Map.of());
  }

  static PcrRule pcr0(String value) {
    return new PcrRule(0, HashAlg.SHA256, value, true, Optional.empty(), Optional.empty());
  }

  static SignedFlavor good(FlavorPart part, long id) {
    return SignedFlavor.unsigned(flavor(part, id, pcr0(A)));
  }

  static SignedFlavor bad(FlavorPart part, long id) {
    return SignedFlavor.unsigned(flavor(part, id, pcr0(B)));
  }
}
