package dev.vouch.policy.flavor;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;

/**
 * Decides when a host's current measurements become its golden flavors.
 *
 * <p>In {@link Mode#TOFU} (trust on first use, the seed behaviour of Open Edge Trusted Compute) the
 * first measurements of every boot become the host's golden flavors: when the host is seen for the
 * first time, or its TPM reset count differs from the one the current golden flavors were taken at
 * (a reboot), new flavors of the configured parts are made from the verified evidence. In {@link
 * Mode#STRICT} nothing is adopted automatically: only flavors an administrator approved count.
 * Every decision, including "keep", comes with an {@link AuditRecord} for the server to store.
 */
public final class GoldenFlavors {
  /** How golden flavors are chosen. */
  public enum Mode {
    TOFU,
    STRICT
  }

  /** What a decision did. */
  public enum Action {
    /** New golden flavors were made from the current measurements. */
    ADOPTED,
    /** The current golden flavors stay (same boot). */
    KEPT,
    /** Measurements of a new boot were not adopted (strict mode). */
    REFUSED
  }

  /**
   * An audit entry for one decision.
   *
   * @param hostId the host
   * @param resetCount the TPM reset count of the evidence
   * @param previousResetCount the reset count the golden flavors were taken at, if any
   * @param mode the mode in force
   * @param action what was done
   * @param flavorIds the flavors adopted (empty unless ADOPTED)
   * @param reason a sentence for people
   * @param at when
   */
  public record AuditRecord(
      String hostId,
      long resetCount,
      OptionalLong previousResetCount,
      Mode mode,
      Action action,
      List<UUID> flavorIds,
      String reason,
      Instant at) {
    public AuditRecord {
      Objects.requireNonNull(hostId, "hostId");
      Objects.requireNonNull(previousResetCount, "previousResetCount");
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(action, "action");
      flavorIds = List.copyOf(flavorIds);
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * A decision.
   *
   * @param action what was done
   * @param adopted the new golden flavors (unsigned; empty unless ADOPTED)
   * @param audit the audit entry
   */
  public record Decision(Action action, List<Flavor> adopted, AuditRecord audit) {
    public Decision {
      adopted = List.copyOf(adopted);
    }
  }

  private final Mode mode;
  private final FlavorFactory factory;
  private final FlavorTemplate template;
  private final Set<FlavorPart> parts;
  private final Clock clock;

  /**
   * @param mode TOFU or STRICT
   * @param factory makes the flavors
   * @param template the template the flavors follow
   * @param parts the parts adopted on first use (typically PLATFORM and HOST_UNIQUE)
   * @param clock the time of audit records
   */
  public GoldenFlavors(
      Mode mode,
      FlavorFactory factory,
      FlavorTemplate template,
      Set<FlavorPart> parts,
      Clock clock) {
    this.mode = Objects.requireNonNull(mode, "mode");
    this.factory = Objects.requireNonNull(factory, "factory");
    this.template = Objects.requireNonNull(template, "template");
    this.parts = parts.isEmpty() ? EnumSet.noneOf(FlavorPart.class) : EnumSet.copyOf(parts);
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public Mode mode() {
    return mode;
  }

  /**
   * Decides for one verified attestation.
   *
   * @param hostId the host
   * @param evidence its verified evidence (must carry the quote's reset count)
   * @param goldenResetCount the reset count at which the host's current golden flavors were taken;
   *     empty when it has none
   * @throws VerificationException MALFORMED when the evidence has no reset count; what {@link
   *     FlavorFactory#fromHost} throws when flavors cannot be made
   */
  public Decision decide(String hostId, HostEvidence evidence, OptionalLong goldenResetCount)
      throws VerificationException {
    long reset =
        evidence
            .resetCount()
            .orElseThrow(
                () ->
                    new VerificationException(
                        Failure.MALFORMED, "golden flavors need the quote's TPM reset count"));
    Instant now = clock.instant();
    boolean sameBoot = goldenResetCount.isPresent() && goldenResetCount.getAsLong() == reset;
    if (sameBoot) {
      return decision(
          Action.KEPT,
          List.of(),
          hostId,
          reset,
          goldenResetCount,
          "same boot (reset count " + reset + ")",
          now);
    }
    String boot =
        goldenResetCount.isEmpty()
            ? "first measurements of the host (reset count " + reset + ")"
            : "first measurements after a reboot (reset count "
                + goldenResetCount.getAsLong()
                + " -> "
                + reset
                + ")";
    if (mode == Mode.STRICT) {
      return decision(
          Action.REFUSED,
          List.of(),
          hostId,
          reset,
          goldenResetCount,
          boot + " not adopted: strict mode counts administrator-approved flavors only",
          now);
    }
    List<Flavor> made = factory.fromHost(evidence, template, parts);
    return decision(
        Action.ADOPTED,
        made,
        hostId,
        reset,
        goldenResetCount,
        boot + " adopted as golden (TOFU)",
        now);
  }

  private Decision decision(
      Action action,
      List<Flavor> made,
      String hostId,
      long reset,
      OptionalLong previous,
      String reason,
      Instant at) {
    List<UUID> ids = made.stream().map(f -> f.meta().id()).toList();
    return new Decision(
        action, made, new AuditRecord(hostId, reset, previous, mode, action, ids, reason, at));
  }
}
