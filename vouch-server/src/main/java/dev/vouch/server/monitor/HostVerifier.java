package dev.vouch.server.monitor;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.runtime.RuntimeAppraiser;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.evidence.tpm.eventlog.KernelCommandLine;
import dev.vouch.evidence.tpm.ima.BootAggregate;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.policy.flavor.Fault;
import dev.vouch.policy.flavor.Flavor;
import dev.vouch.policy.flavor.FlavorFactory;
import dev.vouch.policy.flavor.FlavorGroup;
import dev.vouch.policy.flavor.FlavorMatcher;
import dev.vouch.policy.flavor.FlavorPart;
import dev.vouch.policy.flavor.FlavorRuleResult;
import dev.vouch.policy.flavor.FlavorSigner;
import dev.vouch.policy.flavor.FlavorTemplate;
import dev.vouch.policy.flavor.GoldenFlavors;
import dev.vouch.policy.flavor.HostEvidence;
import dev.vouch.policy.flavor.HostFacts;
import dev.vouch.policy.flavor.HostStatus;
import dev.vouch.policy.flavor.HostTrust;
import dev.vouch.policy.flavor.ImaMeasurement;
import dev.vouch.policy.flavor.MatchPolicy;
import dev.vouch.policy.flavor.MeasuredFacts;
import dev.vouch.policy.flavor.PartTrust;
import dev.vouch.policy.flavor.RuntimeFaults;
import dev.vouch.policy.flavor.SignedFlavor;
import dev.vouch.policy.report.TrustReport;
import dev.vouch.policy.report.TrustReports;
import dev.vouch.server.hosts.AgentException;
import dev.vouch.server.hosts.HostAttestation;
import dev.vouch.server.hosts.HostAttestor;
import dev.vouch.server.hosts.ImaProgress;
import dev.vouch.server.manager.AttestationOutcome;
import dev.vouch.server.manager.Host;
import dev.vouch.server.manager.HostWorker;
import dev.vouch.server.registrar.EnrollmentException;
import dev.vouch.server.store.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies one host end to end, as the attestation manager's {@link HostWorker}: a fresh quote and
 * event log through {@link HostAttestor}, then golden flavors (TOFU adoption or strict refusal,
 * audited), the flavor match under the host's flavor group (Secure Boot must be on), and a signed
 * trust report stored with the host's history. The outcome's status is the report's status, and its
 * {@link AttestationOutcome#baseline()} says when a new boot measured other values than the host's
 * golden flavors (published as {@code baseline-changed}). In TOFU, a part for which administrator-
 * approved flavors exist is judged by those flavors only, and a new boot that matches none of them
 * is not adopted: the host fails.
 *
 * <ul>
 *   <li>An answer that fails a check (signature, nonce, PCR digest, event log, ...) gives {@code
 *       ATTESTATION_FAILED} with a signed report naming the failure code.
 *   <li>An agent that cannot be reached (or is broken: TPM link, lockout, missing agent TLS
 *       settings) writes no report, since nothing was measured: a failed host stays failed with
 *       reason {@code agent-unreachable} and keeps its failed report and cordon; other hosts become
 *       {@code UNKNOWN} (see {@link AttestationOutcome#notMeasured}).
 * </ul>
 */
public final class HostVerifier implements HostWorker {
  private static final Logger LOG = LoggerFactory.getLogger(HostVerifier.class);

  /** The group hosts assigned to no flavor group are judged by (ISecL's {@code automatic}). */
  public static final String DEFAULT_GROUP = FlavorStore.AUTOMATIC;

  /**
   * How hosts are judged.
   *
   * @param mode TOFU (first measurements of each boot become golden) or STRICT
   * @param goldenParts the parts adopted as golden in TOFU mode
   * @param templates the templates golden flavors and flavors made from hosts follow: the first
   *     whose conditions hold for the host's facts is used
   * @param reportValidity how long a trust report is valid
   */
  public record Settings(
      GoldenFlavors.Mode mode,
      Set<FlavorPart> goldenParts,
      List<FlavorTemplate> templates,
      Duration reportValidity,
      boolean requireDiskEncryption) {
    public Settings {
      Objects.requireNonNull(mode, "mode");
      goldenParts = Set.copyOf(goldenParts);
      templates = List.copyOf(templates);
      if (templates.isEmpty()) {
        throw new IllegalArgumentException("at least one flavor template is needed");
      }
      if (reportValidity.isNegative() || reportValidity.isZero()) {
        throw new IllegalArgumentException("report validity must be positive");
      }
    }

    /** The same without the full-disk encryption prerequisite. */
    public Settings(
        GoldenFlavors.Mode mode,
        Set<FlavorPart> goldenParts,
        List<FlavorTemplate> templates,
        Duration reportValidity) {
      this(mode, goldenParts, templates, reportValidity, false);
    }

    /** TOFU over PLATFORM and HOST_UNIQUE with the built-in template; reports valid one day. */
    public static Settings defaults() {
      return new Settings(
          GoldenFlavors.Mode.TOFU,
          EnumSet.of(FlavorPart.PLATFORM, FlavorPart.HOST_UNIQUE),
          List.of(defaultTemplate()),
          Duration.ofDays(1));
    }

    /** The same with another mode. */
    public Settings withMode(GoldenFlavors.Mode other) {
      return new Settings(other, goldenParts, templates, reportValidity, requireDiskEncryption);
    }

    /** The same with full-disk encryption required (or not) as a platform prerequisite. */
    public Settings withDiskEncryptionRequired(boolean required) {
      return new Settings(mode, goldenParts, templates, reportValidity, required);
    }
  }

  private final HostAttestor attestor;
  private final FlavorStore flavors;
  private final TrustReportStore reports;
  private final ServerIdentity identity;
  private final Settings settings;
  private final Clock clock;
  private final FlavorFactory factory;
  private final Map<FlavorTemplate, GoldenFlavors> golden = new java.util.IdentityHashMap<>();
  private final FlavorMatcher matcher;
  private final TrustReports.Signer reportSigner;
  private final Optional<Runtime> runtime;

  /**
   * Where incremental IMA state and runtime policies are kept: with them the verifier continues
   * each host's IMA verification from its checkpoint and appraises the new entries against the
   * host's runtime policy.
   *
   * @param states per-host IMA checkpoints and findings
   * @param policies runtime policies and their assignment to hosts
   */
  public record Runtime(ImaStateStore states, RuntimePolicyStore policies) {
    public Runtime {
      Objects.requireNonNull(states, "states");
      Objects.requireNonNull(policies, "policies");
    }
  }

  /** A verifier without incremental IMA state or runtime policies. */
  public HostVerifier(
      HostAttestor attestor,
      FlavorStore flavors,
      TrustReportStore reports,
      ServerIdentity identity,
      Settings settings,
      Clock clock) {
    this(attestor, flavors, reports, identity, settings, clock, Optional.empty());
  }

  public HostVerifier(
      HostAttestor attestor,
      FlavorStore flavors,
      TrustReportStore reports,
      ServerIdentity identity,
      Settings settings,
      Clock clock,
      Optional<Runtime> runtime) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    this.attestor = Objects.requireNonNull(attestor, "attestor");
    this.flavors = Objects.requireNonNull(flavors, "flavors");
    this.reports = Objects.requireNonNull(reports, "reports");
    this.identity = Objects.requireNonNull(identity, "identity");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.factory = new FlavorFactory(UUID::randomUUID, clock);
    this.matcher = FlavorMatcher.trusting(List.of(identity.chain().get(0).getPublicKey()));
    for (FlavorTemplate t : settings.templates()) {
      golden.put(
          t,
          new GoldenFlavors(
              settings.mode(), factory, t, settings.goldenParts(), clock, this.matcher));
    }
    try {
      this.reportSigner = TrustReports.signer(identity.key(), identity.chain());
    } catch (VerificationException e) {
      throw new IllegalArgumentException("the server identity cannot sign reports", e);
    }
  }

  /** Where IMA state and runtime policies are kept, when they are. */
  public Optional<Runtime> runtime() {
    return runtime;
  }

  /** The settings in force. */
  public Settings settings() {
    return settings;
  }

  /** Attests {@code host} and writes its report at once (in a transaction of its own). */
  @Override
  public AttestationOutcome attest(Host host) throws InterruptedException {
    Deferred d = attestDeferred(host);
    reports.write(d.write());
    return d.outcome();
  }

  @Override
  public Deferred attestDeferred(Host host) throws InterruptedException {
    List<FlavorGroup> groups;
    try {
      groups = groupsOf(host.id());
    } catch (VerificationException e) {
      return failed(host.id(), e);
    }
    // before the quote the machine is not known: enough to see whether IMA flavors apply
    Judged preliminary = judged(host.id(), "", groups);
    Optional<RuntimePolicyStore.Stored> policy =
        runtime.flatMap(r -> r.policies().effective(host.id(), host.group()));
    Optional<ImaStateStore.HostImaState> state = runtime.flatMap(r -> r.states().get(host.id()));
    // IMA flavors judge every file of the list, and entries appraised under another policy must be
    // appraised again: both need the list from entry 0, but the replay state does not depend on
    // the policy, so the checkpoint is kept when the re-read list reproduces it (re-appraisal)
    boolean imaFlavors =
        preliminary.candidates().stream().anyMatch(f -> f.flavor().ima().isPresent());
    Optional<String> policyRef = policy.map(RuntimePolicyStore.Stored::ref);
    Optional<String> reappraisal =
        state.isEmpty()
            ? Optional.empty()
            : imaFlavors
                ? Optional.of("IMA flavors judge the whole list")
                : state.get().policy().equals(policyRef)
                    ? Optional.empty()
                    : Optional.of(
                        "runtime policy "
                            + state.get().policy().orElse("(none)")
                            + " -> "
                            + policyRef.orElse("(none)"));
    Optional<ImaStateStore.HostImaState> continued = state.filter(s -> reappraisal.isEmpty());
    HostAttestation att;
    try {
      att =
          attestor.attest(
              host.id(),
              Optional.of(host.connection()),
              continued.map(ImaStateStore.HostImaState::progress));
    } catch (AgentException | EnrollmentException e) {
      return new Deferred(
          AttestationOutcome.notMeasured(
              host,
              e instanceof AgentException a && a.certificateRevoked()
                  ? AttestationOutcome.AGENT_CERTIFICATE_REVOKED
                  : AttestationOutcome.AGENT_UNREACHABLE,
              e.getMessage()),
          c -> null);
    } catch (VerificationException e) {
      return failed(host.id(), e);
    }
    try {
      // a cryptsetup run IMA measured earlier in this boot, when this attestation continues the
      // checkpoint and so reads only later entries
      Optional<String> carried =
          att.imaOffset() > 0 && att.imaRestart().isEmpty()
              ? continued.flatMap(ImaStateStore.HostImaState::cryptsetup)
              : Optional.empty();
      HostEvidence evidence = evidence(host.id(), att, carried);
      // HOST_UNIQUE flavors follow the machine the quote came from, not the host id
      Judged before = judged(host.id(), evidence.host().hardwareUuid(), groups);
      Optional<ImaStateStore.HostImaState> kept =
          reappraisal.isPresent() ? state.flatMap(s -> reproduced(s, att)) : Optional.empty();
      Optional<String> restart =
          reappraisal.isPresent() && kept.isEmpty()
              ? Optional.of(notReproduced(state.get(), att, reappraisal.get()))
              : att.imaRestart();
      Optional<ImaStateStore.HostImaState> imaState =
          imaState(
              host.id(),
              att,
              continued.filter(s -> att.imaRestart().isEmpty()),
              kept,
              policy,
              restart,
              evidence.measured().cryptsetup());
      GoldenFlavors.Decision d =
          golden
              .get(templateFor(evidence))
              .decide(
                  host.id(),
                  evidence,
                  flavors.goldenResetCount(host.id()),
                  before.baseline(),
                  before.approved());
      List<SignedFlavor> adopted = sign(d.adopted());
      boolean audited =
          flavors.decide(d.audit(), adopted, groups.stream().map(FlavorGroup::name).toList());
      // a boot refused again at the next poll is no news: its baseline change was published once
      Optional<dev.vouch.policy.flavor.BaselineChange> change =
          audited ? d.change() : Optional.empty();
      if (d.action() != GoldenFlavors.Action.KEPT) {
        LOG.info("host {}: golden flavors {}: {}", host.id(), d.action(), d.audit().reason());
      }
      boolean refusedInTofu =
          d.action() == GoldenFlavors.Action.REFUSED && settings.mode() == GoldenFlavors.Mode.TOFU;
      // after an adoption the new golden flavors replace the old ones (as the store now has it)
      List<SignedFlavor> candidates =
          d.action() == GoldenFlavors.Action.ADOPTED
              ? before.withGolden(adopted)
              : before.candidates();
      HostTrust trust =
          RuntimeFaults.withImaRules(
              judge(groups, before.members(), candidates, before.own(adopted), evidence),
              imaRules(att, imaState));
      if (refusedInTofu && trust.status() == HostStatus.VERIFIED) {
        // the group may not judge the constrained part: a refused boot must fail all the same
        trust =
            new HostTrust(
                HostStatus.ATTESTATION_FAILED,
                false,
                trust.parts(),
                trust.flavors(),
                d.audit().reason());
      }
      Prerequisites pre = prerequisites(trust, evidence);
      trust = pre.trust();
      Instant now = clock.instant();
      TrustReport report =
          TrustReport.of(
              UUID.randomUUID(),
              host.id(),
              evidence,
              trust,
              now,
              settings.reportValidity(),
              evidence.measured().sources(evidence.host()));
      Database.Work<?> write = pending(report, imaState, state.isPresent(), host.id());
      List<String> reasons = new ArrayList<>(reasons(trust));
      if (refusedInTofu && trust.status() != HostStatus.VERIFIED) {
        reasons.add(0, "golden-refused: " + d.audit().reason());
      }
      pre.diskEncryption()
          .ifPresent(r -> reasons.add(0, AttestationOutcome.FDE_NOT_MEASURED + ": " + r));
      return new Deferred(
          new AttestationOutcome(
              trust.status(),
              reasons,
              Optional.of(report.id().toString()),
              OptionalLong.of(att.resetCount()),
              change,
              imaState.isPresent() ? restart : Optional.empty(),
              trust.flavors().stream().map(f -> f.flavorId().toString()).toList()),
          write);
    } catch (VerificationException e) {
      return failed(host.id(), e);
    }
  }

  /**
   * The verdict on {@code evidence} under the host's flavor groups and the flavors stored now,
   * adopting and storing nothing: what {@link #attest} decides for a boot whose golden flavors are
   * kept. Used to show that stored data judge the same after a schema upgrade.
   *
   * @throws VerificationException POLICY_DENIED when an assigned group is not defined
   */
  public HostTrust verdict(String hostId, HostEvidence evidence) throws VerificationException {
    List<FlavorGroup> groups = groupsOf(hostId);
    Judged now = judged(hostId, evidence.host().hardwareUuid(), groups);
    return prerequisites(
            judge(groups, now.members(), now.candidates(), now.own(List.of()), evidence), evidence)
        .trust();
  }

  /**
   * A verdict after the platform prerequisites the settings add to the flavor match.
   *
   * @param trust the verdict
   * @param diskEncryption why the full-disk encryption prerequisite is not met, when it is not
   */
  private record Prerequisites(HostTrust trust, Optional<String> diskEncryption) {}

  /**
   * {@code trust} with the platform prerequisites applied, the one place every host verdict ({@link
   * #attest}, {@link #verdict}) passes: with {@code hosts.require_disk_encryption}, a host whose
   * measured facts show no encrypted disk is ATTESTATION_FAILED however well its flavors match, as
   * Secure Boot off is. A verdict that failed already keeps its own detail.
   */
  private Prerequisites prerequisites(HostTrust trust, HostEvidence evidence) {
    Optional<String> fde = diskEncryptionMissing(evidence.measured(), evidence.host());
    if (fde.isEmpty() || trust.status() != HostStatus.VERIFIED) {
      return new Prerequisites(trust, fde);
    }
    return new Prerequisites(
        new HostTrust(
            HostStatus.ATTESTATION_FAILED, false, trust.parts(), trust.flavors(), fde.get()),
        fde);
  }

  /**
   * Makes flavors of {@code parts} from the host's current, freshly verified measurements, signs
   * them and stores them as administrator-approved (HOST_UNIQUE, ASSET_TAG and IMA bound to the
   * host, other parts shared by every host). This is how a strict-mode deployment gets its flavors.
   *
   * @throws VerificationException when the host's answer fails verification
   * @throws FlavorsNotMade when no template applies to the host, the template defines none of
   *     {@code parts} (POLICY_DENIED, naming the parts it defines), or the host gives nothing a
   *     part needs (PCR_VALUES_MISSING: no IMA list, no software measurements, a register not
   *     quoted)
   * @throws AgentException when the agent cannot be reached
   */
  public List<SignedFlavor> flavorsFromHost(String hostId, Set<FlavorPart> parts)
      throws VerificationException,
          FlavorsNotMade,
          AgentException,
          EnrollmentException,
          InterruptedException {
    return flavorsFromHost(hostId, parts, List.of());
  }

  /**
   * The same, the flavors of parts other than HOST_UNIQUE and ASSET_TAG joining {@code groups}
   * ({@code automatic} when empty; see {@link FlavorStore#groupsFor}).
   */
  public List<SignedFlavor> flavorsFromHost(
      String hostId, Set<FlavorPart> parts, List<String> groups)
      throws VerificationException,
          FlavorsNotMade,
          AgentException,
          EnrollmentException,
          InterruptedException {
    HostEvidence evidence = evidence(hostId, attestor.attest(hostId));
    FlavorTemplate template;
    List<Flavor> unsigned;
    try {
      template = templateFor(evidence);
      unsigned = factory.fromHost(evidence, template, parts);
    } catch (VerificationException e) {
      // the host verified; it cannot give what was asked for: the request is refused
      throw new FlavorsNotMade(e.failure(), e.getMessage());
    }
    List<SignedFlavor> made = sign(unsigned);
    if (made.isEmpty()) {
      // a request that makes nothing is refused with the reason, not answered "0 flavors made"
      throw new FlavorsNotMade(
          Failure.POLICY_DENIED,
          "flavor template "
              + template.label()
              + " defines none of the parts asked for "
              + new java.util.TreeSet<>(parts)
              + " for host "
              + hostId
              + "; it defines "
              + new java.util.TreeSet<>(template.parts().keySet()));
    }
    Instant now = clock.instant();
    List<SignedFlavor> bound = new ArrayList<>();
    List<SignedFlavor> shared = new ArrayList<>();
    for (SignedFlavor f : made) {
      FlavorPart p = f.flavor().part();
      // an IMA baseline is one machine's measurement order: on another host it would never match
      (p == FlavorPart.HOST_UNIQUE || p == FlavorPart.ASSET_TAG || p == FlavorPart.IMA
              ? bound
              : shared)
          .add(f);
    }
    flavors.add(bound, Optional.of(hostId), FlavorStore.Origin.HOST, true, now, groups);
    flavors.add(shared, Optional.empty(), FlavorStore.Origin.HOST, true, now, groups);
    return made;
  }

  /**
   * What a host is judged by now.
   *
   * @param candidates the flavors the matcher gets: in TOFU the host's golden flavors of a part
   *     only while no administrator-approved flavor of that part exists (approved flavors
   *     constrain, as the issue of golden flavors "constraining nothing" showed they must)
   * @param baseline the host's current golden flavors
   * @param approved per part, the administrator-approved flavors that apply to the host
   */
  private record Judged(
      List<FlavorStore.StoredFlavor> stored,
      List<Flavor> baseline,
      Map<FlavorPart, List<SignedFlavor>> approved,
      Map<String, Set<UUID>> members) {

    /** Oldest first, as stored; golden flavors of a part with approved flavors left out. */
    List<SignedFlavor> candidates() {
      return stored.stream()
          .filter(f -> f.origin() != FlavorStore.Origin.GOLDEN || !constrained(f.flavor()))
          .map(FlavorStore.StoredFlavor::flavor)
          .toList();
    }

    /** The candidates once {@code golden} replaced the host's golden flavors (newest last). */
    List<SignedFlavor> withGolden(List<SignedFlavor> golden) {
      List<SignedFlavor> out = new ArrayList<>();
      stored.stream()
          .filter(f -> f.origin() != FlavorStore.Origin.GOLDEN)
          .forEach(f -> out.add(f.flavor()));
      golden.stream().filter(f -> !constrained(f)).forEach(out::add);
      return out;
    }

    /** The ids of the host's own flavors: host-bound ones and {@code adopted}. */
    Set<UUID> own(List<SignedFlavor> adopted) {
      Set<UUID> out = new java.util.HashSet<>();
      stored.stream().filter(FlavorStore.StoredFlavor::bound).forEach(f -> out.add(f.id()));
      adopted.forEach(f -> out.add(f.flavor().meta().id()));
      return out;
    }

    private boolean constrained(SignedFlavor f) {
      return approved.containsKey(f.flavor().part());
    }
  }

  /**
   * What the host is judged by under {@code groups}: the members of those groups, and the host's
   * own flavors (bound to it: HOST_UNIQUE/ASSET_TAG, golden ones), which count in every group of
   * the host. A flavor of another group does not count, not even to constrain TOFU.
   */
  private Judged judged(String hostId, String hardwareId, List<FlavorGroup> groups) {
    List<String> names = new ArrayList<>();
    names.add(FlavorStore.HOST_UNIQUE);
    groups.forEach(g -> names.add(g.name()));
    FlavorStore.Applicable applicable = flavors.applicable(hostId, hardwareId, settings.mode());
    Map<String, Set<UUID>> members = new java.util.HashMap<>();
    names.forEach(n -> members.put(n, applicable.members(n)));
    Set<UUID> inGroups = new java.util.HashSet<>();
    members.values().forEach(inGroups::addAll);
    List<FlavorStore.StoredFlavor> stored =
        applicable.flavors().stream().filter(f -> inGroups.contains(f.id()) || f.bound()).toList();
    Map<FlavorPart, List<SignedFlavor>> approved = new EnumMap<>(FlavorPart.class);
    List<Flavor> baseline = new ArrayList<>();
    for (FlavorStore.StoredFlavor f : stored) {
      if (f.origin() == FlavorStore.Origin.GOLDEN) {
        baseline.add(f.flavor().flavor());
      } else if (f.approved()) {
        approved
            .computeIfAbsent(f.flavor().flavor().part(), p -> new ArrayList<>())
            .add(f.flavor());
      }
    }
    return new Judged(stored, baseline, approved, members);
  }

  /** Signs flavors with the server key (imported ones are re-signed so the matcher trusts them). */
  public List<SignedFlavor> sign(List<Flavor> unsigned) throws VerificationException {
    List<SignedFlavor> out = new ArrayList<>(unsigned.size());
    for (Flavor f : unsigned) {
      out.add(FlavorSigner.sign(f, identity.key()));
    }
    return out;
  }

  /** The first template whose conditions hold for the host. */
  private FlavorTemplate templateFor(HostEvidence evidence) throws VerificationException {
    for (FlavorTemplate t : settings.templates()) {
      if (t.appliesTo(evidence.host())) {
        return t;
      }
    }
    throw new VerificationException(
        dev.vouch.core.Failure.POLICY_DENIED,
        "no flavor template applies to host " + evidence.host().hostName());
  }

  /**
   * The flavor group {@code name} as stored; {@code automatic} is the built-in {@link
   * #defaultGroup()} and {@code host_unique} the built-in {@link #hostUniqueGroup()} unless an
   * administrator stored one of that name.
   */
  public Optional<FlavorGroup> group(String name) {
    return flavors
        .group(name)
        .or(
            () ->
                switch (name) {
                  case DEFAULT_GROUP -> Optional.of(defaultGroup());
                  case FlavorStore.HOST_UNIQUE -> Optional.of(hostUniqueGroup());
                  default -> Optional.empty();
                });
  }

  /**
   * The flavor groups a host is judged by: those it is assigned to, or {@code automatic} when none.
   *
   * @throws VerificationException POLICY_DENIED when an assigned group is not defined (fail closed)
   */
  public List<FlavorGroup> groupsOf(String hostId) throws VerificationException {
    List<FlavorStore.Assignment> assigned = flavors.assignments(hostId);
    if (assigned.isEmpty()) {
      return List.of(group(DEFAULT_GROUP).orElseThrow());
    }
    List<FlavorGroup> out = new ArrayList<>();
    for (FlavorStore.Assignment a : assigned) {
      out.add(
          group(a.group())
              .orElseThrow(
                  () ->
                      new VerificationException(
                          Failure.POLICY_DENIED,
                          "host "
                              + hostId
                              + " is assigned to undefined flavor group "
                              + a.group())));
    }
    return out;
  }

  /**
   * Judges the host under each group with that group's members only plus {@code always}, the host's
   * own flavors (bound to it: host-unique, golden, golden adopted just now): a host in several
   * groups must satisfy every one, as ISecL merges its groups' results.
   */
  private HostTrust judge(
      List<FlavorGroup> groups,
      Map<String, Set<UUID>> members,
      List<SignedFlavor> candidates,
      Set<UUID> always,
      HostEvidence evidence) {
    // flavors in host_unique bound to no host count for every host, as before groups held flavors
    Set<UUID> everyGroup = new java.util.HashSet<>(always);
    everyGroup.addAll(members.get(FlavorStore.HOST_UNIQUE));
    List<HostTrust> each = new ArrayList<>();
    for (FlavorGroup g : groups) {
      Set<UUID> in = members.get(g.name());
      List<SignedFlavor> mine =
          candidates.stream()
              .filter(
                  f ->
                      in.contains(f.flavor().meta().id())
                          || everyGroup.contains(f.flavor().meta().id()))
              .toList();
      each.add(matcher.match(g, mine, evidence));
    }
    return allOf(groups, each);
  }

  /**
   * One verdict from the verdicts of several groups: VERIFIED and overall only when every group
   * says so; a part is trusted when every group that judged it trusts it; the detail names the
   * groups that failed.
   */
  static HostTrust allOf(List<FlavorGroup> groups, List<HostTrust> each) {
    if (each.size() == 1) {
      return each.get(0);
    }
    HostStatus status = HostStatus.VERIFIED;
    boolean overall = true;
    Map<FlavorPart, PartTrust> parts = new EnumMap<>(FlavorPart.class);
    Map<UUID, dev.vouch.policy.flavor.FlavorResult> results = new java.util.LinkedHashMap<>();
    List<String> details = new ArrayList<>();
    for (int i = 0; i < each.size(); i++) {
      HostTrust t = each.get(i);
      overall &= t.overall();
      // Secure Boot off is the same finding in every group and wins, as in one group
      if (t.status() == HostStatus.SECURE_BOOT_DISABLED
          || (t.status() != HostStatus.VERIFIED && status == HostStatus.VERIFIED)) {
        status = t.status();
      }
      if (t.status() != HostStatus.VERIFIED) {
        details.add("flavor group " + groups.get(i).name() + ": " + t.detail());
      }
      for (PartTrust p : t.parts().values()) {
        parts.merge(
            p.part(),
            p,
            (a, b) -> {
              List<FlavorRuleResult> rules = new ArrayList<>(a.rules());
              rules.addAll(b.rules());
              return new PartTrust(a.part(), a.trusted() && b.trusted(), rules);
            });
      }
      t.flavors().forEach(f -> results.putIfAbsent(f.flavorId(), f));
    }
    String detail = details.isEmpty() ? each.get(0).detail() : String.join("; ", details);
    return new HostTrust(status, overall, parts, List.copyOf(results.values()), detail);
  }

  /**
   * The built-in group {@code automatic}: PLATFORM must match (ANY_OF, REQUIRED); every other part
   * counts when the host has flavors of it (OS ANY_OF, SOFTWARE and IMA ALL_OF, HOST_UNIQUE and
   * ASSET_TAG LATEST). ISecL's {@code automatic} also requires an OS flavor, which TPM-only hosts
   * without an OS measurement plan never have.
   */
  public static FlavorGroup defaultGroup() {
    Map<FlavorPart, MatchPolicy> p = new EnumMap<>(FlavorPart.class);
    p.put(FlavorPart.PLATFORM, policy(MatchPolicy.MatchType.ANY_OF, true));
    p.put(FlavorPart.OS, policy(MatchPolicy.MatchType.ANY_OF, false));
    p.put(FlavorPart.SOFTWARE, policy(MatchPolicy.MatchType.ALL_OF, false));
    p.put(FlavorPart.IMA, policy(MatchPolicy.MatchType.ALL_OF, false));
    p.put(FlavorPart.HOST_UNIQUE, policy(MatchPolicy.MatchType.LATEST, false));
    p.put(FlavorPart.ASSET_TAG, policy(MatchPolicy.MatchType.LATEST, false));
    return new FlavorGroup(DEFAULT_GROUP, p);
  }

  /**
   * The built-in group {@code host_unique}: HOST_UNIQUE and ASSET_TAG, LATEST, counted when the
   * host has such flavors. Hosts are not assigned to it; its flavors count for their host in every
   * group.
   */
  public static FlavorGroup hostUniqueGroup() {
    Map<FlavorPart, MatchPolicy> p = new EnumMap<>(FlavorPart.class);
    p.put(FlavorPart.HOST_UNIQUE, policy(MatchPolicy.MatchType.LATEST, false));
    p.put(FlavorPart.ASSET_TAG, policy(MatchPolicy.MatchType.LATEST, false));
    return new FlavorGroup(FlavorStore.HOST_UNIQUE, p);
  }

  private static MatchPolicy policy(MatchPolicy.MatchType type, boolean required) {
    return new MatchPolicy(
        type, required ? MatchPolicy.Required.REQUIRED : MatchPolicy.Required.REQUIRED_IF_DEFINED);
  }

  /**
   * The built-in flavor template: PLATFORM = SHA-256 PCRs 0-3, 6, 7; OS = PCRs 8, 9 (what the boot
   * loader measured: GRUB's commands and kernel command line, the kernel and initrd, as ISecL's OS
   * flavor covers the boot loader and kernel); HOST_UNIQUE = PCRs 4, 5; IMA = the quoted IMA list
   * as an incremental baseline (no PCR 10 value: the list grows); each PCR's value and, as ISecL's
   * templates do, its event list ({@code eventlog_equals}) so that a fault names the event that
   * differs.
   */
  public static FlavorTemplate defaultTemplate() {
    try (InputStream in =
        HostVerifier.class.getResourceAsStream(
            "/dev/vouch/server/monitor/default-flavor-template.json")) {
      return FlavorTemplate.parse(in.readAllBytes(), true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (VerificationException e) {
      throw new IllegalStateException("the built-in flavor template does not parse", e);
    }
  }

  /**
   * Why the full-disk encryption prerequisite is not met, when it is required and no measured fact
   * shows an encrypted disk (a kernel command line naming an encrypted root, or a cryptsetup run in
   * the quoted IMA list); an agent's own claim never meets it.
   */
  private Optional<String> diskEncryptionMissing(MeasuredFacts measured, HostFacts facts) {
    if (!settings.requireDiskEncryption() || measured.diskEncryption().isPresent()) {
      return Optional.empty();
    }
    if (measured.commandLine().isPresent()) {
      KernelCommandLine.Measured line = measured.commandLine().get();
      return Optional.of(
          "full-disk encryption required: the kernel command line "
              + line.measurer().name().toLowerCase(java.util.Locale.ROOT)
              + " measured into PCR "
              + line.pcr()
              + " names no encrypted root, and no cryptsetup run is in the quoted IMA list");
    }
    return Optional.of(
        "full-disk encryption required: no kernel command line was measured into a quoted PCR 8"
            + " (GRUB) or 12 (systemd), and no cryptsetup run is in the quoted IMA list"
            + (facts.diskEncryption().isEmpty()
                ? ""
                : " (the agent reports " + facts.diskEncryption() + ", which is not measured)"));
  }

  /**
   * The facts the attestation's verified event log and the IMA entries it received that the quoted
   * PCR 10 covers measure, with {@code carried} (a cryptsetup run of this boot seen before the
   * checkpoint) when they show none; nothing without a verified log.
   */
  private static MeasuredFacts measured(
      HostAttestation att, HostEvidence evidence, Optional<String> carried)
      throws VerificationException {
    if (!evidence.eventLogVerified() || att.eventLog().isEmpty()) {
      return MeasuredFacts.none();
    }
    Optional<List<ImaMeasurement>> seen = evidence.ima();
    if (att.imaOffset() > 0 && att.imaProgress().isPresent() && att.imaLog().isPresent()) {
      int quoted = (int) (att.imaProgress().get().checkpoint().entries() - att.imaOffset());
      // the verifier enforced the template hashes of these entries; RECORD only frames them
      seen =
          Optional.of(
              ImaMeasurement.fromLog(
                  ImaLog.parse(att.imaLog().get(), ImaLog.HashCheck.RECORD), quoted));
    }
    return MeasuredFacts.from(att.eventLog().get(), evidence.pcrs(), seen).withCryptsetup(carried);
  }

  static HostEvidence evidence(String hostId, HostAttestation att) throws VerificationException {
    return evidence(hostId, att, Optional.empty());
  }

  static HostEvidence evidence(String hostId, HostAttestation att, Optional<String> carried)
      throws VerificationException {
    // the agent's facts label the report; trust comes only from the verifier's claims
    HostFacts reported = HostFacts.of(hostId, att.hardwareId(), att.host());
    HostEvidence e = HostEvidence.fromVerified(att.claims(), att.eventLog(), reported);
    // the attestor replayed these against the quoted PCR 15: their paths and digests count
    e = e.withSoftware(att.software().orElse(List.of()));
    if (att.imaOffset() == 0 && att.imaEntriesQuoted().isPresent() && att.imaLog().isPresent()) {
      // only the entries the quoted PCR 10 covers count; later ones are judged next time
      e =
          e.withIma(
              ImaMeasurement.fromLog(
                  ImaLog.parseBinary(att.imaLog().get()), att.imaEntriesQuoted().getAsInt()));
    }
    // facts the verified logs measure replace what the agent said
    return e.withMeasured(measured(att, e, carried));
  }

  /**
   * The host's IMA state after {@code att}: its checkpoint, and the runtime appraisal of the quoted
   * entries it received added to the findings of {@code continued} (the state it continued, empty
   * when it verified the list from entry 0). With {@code kept} (a re-appraisal whose re-read list
   * reproduced the checkpoint), the findings are the new policy's over the whole list and the
   * boot's verification state (boot_aggregate, last restart) is kept. Empty when the IMA list was
   * not verified.
   *
   * @throws VerificationException when the runtime policy's verification keys cannot be used
   */
  private Optional<ImaStateStore.HostImaState> imaState(
      String hostId,
      HostAttestation att,
      Optional<ImaStateStore.HostImaState> continued,
      Optional<ImaStateStore.HostImaState> kept,
      Optional<RuntimePolicyStore.Stored> policy,
      Optional<String> restart,
      Optional<String> cryptsetup)
      throws VerificationException {
    Optional<dev.vouch.server.hosts.ImaProgress> progress = att.imaProgress();
    if (runtime.isEmpty() || progress.isEmpty()) {
      return Optional.empty();
    }
    long offset = att.imaOffset();
    List<RuntimeAppraiser.Finding> findings =
        new ArrayList<>(continued.map(ImaStateStore.HostImaState::findings).orElse(List.of()));
    long total = continued.map(ImaStateStore.HostImaState::findingsTotal).orElse(0L);
    if (policy.isPresent() && att.imaLog().isPresent()) {
      int quoted = (int) (progress.get().checkpoint().entries() - offset);
      // the verifier enforced the template hashes of these entries; RECORD only frames them
      ImaLog entries = ImaLog.parse(att.imaLog().get(), ImaLog.HashCheck.RECORD).prefix(quoted);
      RuntimeAppraiser.Appraisal a;
      try {
        a = RuntimeAppraiser.appraise(entries, policy.get().policy());
      } catch (RuntimePolicy.Invalid e) {
        throw new VerificationException(
            Failure.POLICY_DENIED, "runtime policy " + policy.get().ref() + ": " + e.getMessage());
      }
      for (RuntimeAppraiser.Finding f : a.failures()) {
        findings.add(
            new RuntimeAppraiser.Finding(
                (int) (f.entry() + offset),
                f.path(),
                f.digest(),
                f.algorithm(),
                f.rule(),
                f.detail()));
      }
      total += a.failures().size();
      if (!a.failures().isEmpty()) {
        LOG.info(
            "host {}: {} IMA entries fail runtime policy {}",
            hostId,
            a.failures().size(),
            policy.get().ref());
      }
    }
    restart.ifPresent(r -> LOG.info("host {}: ima-restart: {}", hostId, r));
    kept.ifPresent(
        k ->
            LOG.info(
                "host {}: IMA checkpoint at entry {} kept, {} entries re-appraised",
                hostId,
                k.progress().checkpoint().entries(),
                progress.get().checkpoint().entries()));
    Optional<ImaStateStore.HostImaState> before = continued.or(() -> kept);
    return Optional.of(
        new ImaStateStore.HostImaState(
            hostId,
            progress.get(),
            policy.map(RuntimePolicyStore.Stored::ref),
            before.map(ImaStateStore.HostImaState::bootAggregate).orElse(att.bootAggregate()),
            findings,
            total,
            restart.or(() -> before.flatMap(ImaStateStore.HostImaState::lastRestart)),
            clock.instant(),
            cryptsetup));
  }

  /**
   * {@code state} when {@code att} (the list read again from entry 0 and verified against a fresh
   * quote) is of the same boot and its first checkpoint entries replay to the checkpoint's PCR 10
   * in every bank kept: the entries appraised before are the ones read now. Empty otherwise, and
   * verification starts from zero.
   */
  private static String notReproduced(
      ImaStateStore.HostImaState state, HostAttestation att, String why) {
    ImaProgress was = state.progress();
    if (att.resetCount() != was.resetCount() || att.restartCount() != was.restartCount()) {
      return "reboot: reset/restart count "
          + att.resetCount()
          + "/"
          + att.restartCount()
          + ", the checkpoint's "
          + was.resetCount()
          + "/"
          + was.restartCount();
    }
    return "mismatch: the list read again for "
        + why
        + " does not reproduce the checkpoint at entry "
        + was.checkpoint().entries();
  }

  private static Optional<ImaStateStore.HostImaState> reproduced(
      ImaStateStore.HostImaState state, HostAttestation att) {
    dev.vouch.evidence.tpm.ima.ImaCheckpoint cp = state.progress().checkpoint();
    Optional<ImaProgress> now = att.imaProgress();
    if (now.isEmpty()
        || att.imaLog().isEmpty()
        || att.imaOffset() != 0
        || att.resetCount() != state.progress().resetCount()
        || att.restartCount() != state.progress().restartCount()
        || now.get().checkpoint().entries() < cp.entries()
        || now.get().checkpoint().mode() != cp.mode()) {
      return Optional.empty();
    }
    try {
      // the verifier enforced every template hash of these bytes; RECORD only frames them again
      ImaLog prefix =
          ImaLog.parse(att.imaLog().get(), ImaLog.HashCheck.RECORD).prefix((int) cp.entries());
      dev.vouch.evidence.tpm.PcrValues replayed = prefix.replay(cp.pcr10().banks(), cp.mode());
      for (dev.vouch.core.crypto.HashAlg b : cp.pcr10().banks()) {
        byte[] want = cp.pcr10().get(b, ImaLog.IMA_PCR).orElseThrow();
        byte[] got = replayed.get(b, ImaLog.IMA_PCR).orElseGet(() -> new byte[b.size()]);
        if (!java.util.Arrays.equals(want, got)) {
          return Optional.empty();
        }
      }
      return Optional.of(state);
    } catch (VerificationException e) {
      return Optional.empty();
    }
  }

  /** The IMA part's boot_aggregate and runtime-policy rules for this attestation. */
  private static List<dev.vouch.policy.flavor.FlavorRuleResult> imaRules(
      HostAttestation att, Optional<ImaStateStore.HostImaState> state) {
    List<dev.vouch.policy.flavor.FlavorRuleResult> rules = new ArrayList<>();
    BootAggregate.Result boot =
        state.map(ImaStateStore.HostImaState::bootAggregate).orElse(att.bootAggregate());
    if (boot != BootAggregate.Result.NOT_CHECKED) {
      rules.add(RuntimeFaults.bootAggregate(boot == BootAggregate.Result.MISMATCH));
    }
    if (state.isPresent() && state.get().policy().isPresent()) {
      rules.add(
          RuntimeFaults.runtimePolicy(
              state.get().policy().get(), state.get().findings(), state.get().findingsTotal()));
    }
    return rules;
  }

  /** A signed report for an answer that failed verification, so the failure has a record too. */
  private Deferred failed(String hostId, VerificationException e) {
    String reason = e.failure().code() + ": " + e.getMessage();
    Instant now = clock.instant();
    TrustReport report =
        new TrustReport(
            UUID.randomUUID(),
            hostId,
            new HostFacts(hostId, "", "", "", "", "", "2.0"),
            Optional.empty(),
            HostStatus.ATTESTATION_FAILED,
            false,
            Map.of(),
            List.of(),
            reason,
            now,
            now.plus(settings.reportValidity()));
    try {
      // nothing verified survives a failed check: the next attestation starts from entry 0
      Database.Work<?> write = pending(report, Optional.empty(), true, hostId);
      return new Deferred(
          new AttestationOutcome(
              HostStatus.ATTESTATION_FAILED, List.of(reason), Optional.of(report.id().toString())),
          write);
    } catch (VerificationException signing) {
      LOG.warn("host {}: cannot sign the failure report: {}", hostId, signing.getMessage());
      return new Deferred(
          new AttestationOutcome(HostStatus.ATTESTATION_FAILED, List.of(reason), Optional.empty()),
          c -> null);
    }
  }

  /**
   * Signs {@code report} and returns what stores it and, in the same transaction, the host's IMA
   * state after it: {@code ima}, or none (the next attestation reads the list from entry 0).
   *
   * @param hadState whether the host had an IMA state before: without one and without {@code ima}
   *     there is nothing to delete
   */
  private Database.Work<?> pending(
      TrustReport report, Optional<ImaStateStore.HostImaState> ima, boolean hadState, String hostId)
      throws VerificationException {
    String jws = reportSigner.sign(report);
    boolean imaWrite = runtime.isPresent() && (ima.isPresent() || hadState);
    return c -> {
      if (imaWrite) {
        if (ima.isPresent()) {
          ImaStateStore.put(c, ima.get());
        } else {
          ImaStateStore.delete(c, hostId);
        }
      }
      TrustReportStore.insert(c, report, jws);
      return null;
    };
  }

  /** One line per failed rule fault, or the trust detail when no rule says more. */
  private static List<String> reasons(HostTrust trust) {
    if (trust.status() == HostStatus.VERIFIED) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (PartTrust part : trust.parts().values()) {
      for (FlavorRuleResult r : part.rules()) {
        for (Fault f : r.faults()) {
          out.add(part.part() + " " + f.name() + ": " + f.description());
        }
      }
    }
    if (out.isEmpty()) {
      out.add(trust.detail());
    } else if (trust.status() == HostStatus.SECURE_BOOT_DISABLED) {
      out.add(0, trust.detail());
    }
    return out;
  }
}
