package dev.vouch.server.monitor;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.runtime.RuntimeAppraiser;
import dev.vouch.evidence.tpm.PcrValues;
import dev.vouch.evidence.tpm.ima.BootAggregate;
import dev.vouch.evidence.tpm.ima.ImaCheckpoint;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import dev.vouch.server.hosts.ImaProgress;
import dev.vouch.server.store.Database;
import dev.vouch.server.store.Sql;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How far each host's IMA list is verified and appraised (table {@code host_ima_state}): what lets
 * the next attestation ask only for the entries after it. Written with the trust report in one
 * transaction ({@link TrustReportStore#add(dev.vouch.policy.flavor.TrustReport, String,
 * Database.Work)}). Thread-safe.
 */
public final class ImaStateStore {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Findings kept per host; more are counted, not kept (a report names the first ones). */
  public static final int MAX_FINDINGS = 100;

  /**
   * A host's verified IMA state.
   *
   * @param hostId the host
   * @param progress the boot and checkpoint the next attestation continues from
   * @param policy the runtime policy ({@code name@version}) the entries were appraised under
   * @param bootAggregate the boot_aggregate verdict of this boot's first entry
   * @param findings the first appraisal findings (entry numbers from the list's start)
   * @param findingsTotal all findings so far
   * @param lastRestart why verification last started again from entry 0, if it did
   * @param updated when it was written
   * @param cryptsetup the path of a cryptsetup binary a verified entry of this boot measured (full-
   *     disk encryption shown by IMA), carried so that attestations continuing from the checkpoint
   *     still see it
   */
  public record HostImaState(
      String hostId,
      ImaProgress progress,
      Optional<String> policy,
      BootAggregate.Result bootAggregate,
      List<RuntimeAppraiser.Finding> findings,
      long findingsTotal,
      Optional<String> lastRestart,
      Instant updated,
      Optional<String> cryptsetup) {
    public HostImaState {
      Objects.requireNonNull(hostId, "hostId");
      Objects.requireNonNull(progress, "progress");
      Objects.requireNonNull(policy, "policy");
      Objects.requireNonNull(bootAggregate, "bootAggregate");
      findings = List.copyOf(findings.subList(0, Math.min(findings.size(), MAX_FINDINGS)));
      lastRestart = lastRestart.map(r -> r.length() > 2000 ? r.substring(0, 2000) : r);
      Objects.requireNonNull(updated, "updated");
      Objects.requireNonNull(cryptsetup, "cryptsetup");
    }
  }

  private final Database db;

  public ImaStateStore(Database db) {
    this.db = db;
  }

  /** The host's state, if one is kept. */
  public Optional<HostImaState> get(String hostId) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT * FROM host_ima_state WHERE host_id = ?")) {
            ps.setString(1, hostId);
            try (ResultSet rs = ps.executeQuery()) {
              return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
          }
        });
  }

  /** Replaces the host's state inside the caller's transaction. */
  public static void put(Connection c, HostImaState s) throws SQLException {
    delete(c, s.hostId());
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO host_ima_state (host_id, reset_count, restart_count, entries,"
                + " replay_mode, pcr10_json, policy_name, policy_version, boot_aggregate,"
                + " findings_json, findings_total, last_restart, updated_at, cryptsetup)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ImaCheckpoint cp = s.progress().checkpoint();
      ps.setString(1, s.hostId());
      ps.setLong(2, s.progress().resetCount());
      ps.setLong(3, s.progress().restartCount());
      ps.setLong(4, cp.entries());
      ps.setString(5, cp.mode().name());
      Map<String, String> pcr10 = new LinkedHashMap<>();
      for (HashAlg b : cp.pcr10().banks()) {
        pcr10.put(b.shortName(), Hex.encode(cp.pcr10().get(b, ImaLog.IMA_PCR).orElseThrow()));
      }
      ps.setString(6, json(pcr10));
      if (s.policy().isPresent()) {
        String ref = s.policy().get();
        int at = ref.lastIndexOf('@');
        ps.setString(7, ref.substring(0, at));
        ps.setInt(8, Integer.parseInt(ref.substring(at + 1)));
      } else {
        ps.setNull(7, java.sql.Types.VARCHAR);
        ps.setNull(8, java.sql.Types.INTEGER);
      }
      ps.setString(9, s.bootAggregate().name());
      ps.setString(10, json(s.findings()));
      ps.setLong(11, s.findingsTotal());
      ps.setString(12, s.lastRestart().orElse(null));
      Sql.setInstant(ps, 13, s.updated());
      ps.setString(14, s.cryptsetup().orElse(null));
      ps.executeUpdate();
    }
  }

  /** Forgets the host's state inside the caller's transaction. */
  public static void delete(Connection c, String hostId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM host_ima_state WHERE host_id = ?")) {
      ps.setString(1, hostId);
      ps.executeUpdate();
    }
  }

  /** Forgets the host's state; true when there was one. */
  public boolean delete(String hostId) {
    return db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM host_ima_state WHERE host_id = ?")) {
            ps.setString(1, hostId);
            return ps.executeUpdate() > 0;
          }
        });
  }

  private static HostImaState row(ResultSet rs) throws SQLException {
    try {
      Map<String, String> pcr10 =
          JSON.readValue(rs.getString("pcr10_json"), new TypeReference<Map<String, String>>() {});
      PcrValues.Builder b = PcrValues.builder();
      for (Map.Entry<String, String> e : pcr10.entrySet()) {
        b.put(HashAlg.fromName(e.getKey()).orElseThrow(), ImaLog.IMA_PCR, Hex.decode(e.getValue()));
      }
      ImaCheckpoint cp =
          new ImaCheckpoint(
              rs.getLong("entries"), ImaReplayMode.valueOf(rs.getString("replay_mode")), b.build());
      String name = rs.getString("policy_name");
      Optional<String> policy =
          name == null ? Optional.empty() : Optional.of(name + "@" + rs.getInt("policy_version"));
      List<RuntimeAppraiser.Finding> findings =
          new ArrayList<>(
              JSON.readValue(
                  rs.getString("findings_json"),
                  new TypeReference<List<RuntimeAppraiser.Finding>>() {}));
      return new HostImaState(
          rs.getString("host_id"),
          new ImaProgress(rs.getLong("reset_count"), rs.getLong("restart_count"), cp),
          policy,
          BootAggregate.Result.valueOf(rs.getString("boot_aggregate")),
          findings,
          rs.getLong("findings_total"),
          Optional.ofNullable(rs.getString("last_restart")),
          Sql.instant(rs, "updated_at"),
          Optional.ofNullable(rs.getString("cryptsetup")));
    } catch (IOException e) {
      throw new UncheckedIOException("host_ima_state row of " + rs.getString("host_id"), e);
    }
  }

  private static String json(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
