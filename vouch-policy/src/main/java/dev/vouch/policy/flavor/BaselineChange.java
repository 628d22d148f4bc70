package dev.vouch.policy.flavor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How a new boot's measurements differ from the host's previous golden baseline: each register the
 * previous golden flavors pinned whose value changed, with the events added and removed where the
 * verified event logs tell (the previous boot's events are kept with its golden flavors).
 *
 * @param previousResetCount the TPM reset count of the previous baseline
 * @param resetCount the TPM reset count of the new boot
 * @param adopted whether the new measurements became the baseline (TOFU without a matching
 *     administrator-approved flavor to constrain them adopts; otherwise they are refused)
 * @param pcrs the registers that changed, in bank and index order
 */
public record BaselineChange(
    OptionalLong previousResetCount, long resetCount, boolean adopted, List<PcrChange> pcrs) {
  public BaselineChange {
    Objects.requireNonNull(previousResetCount, "previousResetCount");
    pcrs = List.copyOf(pcrs);
    if (pcrs.isEmpty()) {
      throw new IllegalArgumentException("a baseline change names at least one register");
    }
  }

  /**
   * One register whose value differs from the baseline.
   *
   * @param bank the bank, e.g. {@code SHA256}
   * @param index the register
   * @param before the baseline value, lower-case hex
   * @param after the new value, lower-case hex
   * @param eventsKnown whether both boots' verified event logs were available for this register
   *     (otherwise {@code added} and {@code removed} are empty and say nothing)
   * @param added events of the new boot whose digest the baseline's events lack
   * @param removed events of the baseline whose digest the new boot's events lack
   */
  public record PcrChange(
      String bank,
      int index,
      String before,
      String after,
      boolean eventsKnown,
      List<FlavorEvent> added,
      List<FlavorEvent> removed) {
    public PcrChange {
      Objects.requireNonNull(bank, "bank");
      Objects.requireNonNull(before, "before");
      Objects.requireNonNull(after, "after");
      added = List.copyOf(added);
      removed = List.copyOf(removed);
    }

    /** One line for people: {@code SHA256 PCR 1 (1 event added: EV_... 3a5f...)}. */
    public String describe() {
      StringBuilder b = new StringBuilder(bank + " PCR " + index);
      if (eventsKnown) {
        b.append(" (");
        b.append(added.size()).append(added.size() == 1 ? " event" : " events").append(" added");
        added.forEach(e -> b.append(", ").append(e.typeName()).append(' ').append(e.measurement()));
        b.append("; ").append(removed.size()).append(" removed");
        removed.forEach(
            e -> b.append(", ").append(e.typeName()).append(' ').append(e.measurement()));
        b.append(')');
      }
      return b.toString();
    }

    /** The JSON form status events carry. */
    public Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("bank", bank);
      m.put("pcr", index);
      m.put("before", before);
      m.put("after", after);
      m.put("events_known", eventsKnown);
      m.put("events_added", added.stream().map(PcrChange::event).toList());
      m.put("events_removed", removed.stream().map(PcrChange::event).toList());
      return m;
    }

    private static Map<String, Object> event(FlavorEvent e) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("type", e.typeName());
      m.put("digest", e.measurement());
      m.put("tags", e.tags());
      // events of the new boot's log also say where they are and what their data reads
      e.index().ifPresent(i -> m.put("index", i));
      if (!e.description().isEmpty()) {
        m.put("description", e.description());
      }
      return m;
    }
  }

  /** One line for people, naming every changed register. */
  public String describe() {
    return String.join("; ", pcrs.stream().map(PcrChange::describe).toList());
  }

  /** The JSON form status events carry. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(
        "previous_reset_count",
        previousResetCount.isPresent() ? previousResetCount.getAsLong() : null);
    m.put("reset_count", resetCount);
    m.put("adopted", adopted);
    m.put("pcrs", pcrs.stream().map(PcrChange::toMap).toList());
    return m;
  }
}
