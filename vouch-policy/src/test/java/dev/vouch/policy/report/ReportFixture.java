package dev.vouch.policy.report;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.policy.flavor.Flavor;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorMatcher;
import dev.vouch.policy.flavor.FlavorMeta;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.HostEvidence;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostTrust;
import dev.vouch.policy.flavor.PcrRule;
import dev.vouch.policy.flavor.SignedFlavor;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/** A reporting CA, a reporting key and a report with one failing PLATFORM rule. */
public final class ReportFixture {
  public static final Instant CREATED = Instant.parse("2026-03-01T10:00:00Z");

  public final KeyPair rootKey;
  public final X509Certificate root;
  public final KeyPair key;
  public final X509Certificate leaf;
  public final TrustReport report;

  public ReportFixture(String curve) throws Exception {
    rootKey = TestPki.ecKey("secp384r1");
    Instant from = CREATED.minus(Duration.ofDays(1));
    Instant to = CREATED.plus(Duration.ofDays(365));
    root =
        TestPki.cert(
            "Vouch Report CA",
            rootKey.getPublic(),
            "Vouch Report CA",
            rootKey.getPrivate(),
            true,
            from,
            to);
    key = TestPki.ecKey(curve);
    leaf =
        TestPki.cert(
            "Vouch Reports",
            key.getPublic(),
            "Vouch Report CA",
            rootKey.getPrivate(),
            false,
            from,
            to);
    report = report();
  }

  public List<X509Certificate> chain() {
    return List.of(leaf, root);
  }

  public static TrustReport report() {
    HostFacts facts =
        new HostFacts(
            "h1",
            "11111111-2222-3333-4444-555555555555",
            "Ubuntu",
            "24.04",
            "EDK II",
            "1.2",
            "2.0");
    HostEvidence ev =
        new HostEvidence(
            facts,
            PcrValues.builder().put(HashAlg.SHA256, 0, Hex.decode("aa".repeat(32))).build(),
            Map.of(),
            true,
            Optional.of(true),
            OptionalLong.of(3),
            Optional.empty());
    var d = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
    d.put("flavor_part", "PLATFORM");
    Flavor f =
        new Flavor(
            new FlavorMeta(new UUID(0, 1), FlavorPart.PLATFORM, "p", "VOUCH", d, Optional.empty()),
            List.of(
                new PcrRule(
                    0, HashAlg.SHA256, "bb".repeat(32), true, Optional.empty(), Optional.empty())),
            Optional.empty(),
            Map.of());
    HostTrust trust =
        FlavorMatcher.withoutSignatureChecks()
            .match(FlavorGroup.automatic(), List.of(SignedFlavor.unsigned(f)), ev);
    return TrustReport.of(new UUID(7, 7), "host-1", ev, trust, CREATED, Duration.ofHours(24));
  }
}
