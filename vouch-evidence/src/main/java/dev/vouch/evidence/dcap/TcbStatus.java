package dev.vouch.evidence.dcap;

import java.util.Optional;

/**
 * Intel's TCB statuses, as TCB info and QE identity levels name them and as Intel's quote
 * verification library reports the overall result. {@link #wireName()} is Intel's spelling.
 */
public enum TcbStatus {
  UP_TO_DATE("UpToDate"),
  SW_HARDENING_NEEDED("SWHardeningNeeded"),
  CONFIGURATION_NEEDED("ConfigurationNeeded"),
  CONFIGURATION_AND_SW_HARDENING_NEEDED("ConfigurationAndSWHardeningNeeded"),
  OUT_OF_DATE("OutOfDate"),
  OUT_OF_DATE_CONFIGURATION_NEEDED("OutOfDateConfigurationNeeded"),
  TD_RELAUNCH_ADVISED("TDRelaunchAdvised"),
  TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED("TDRelaunchAdvisedConfigurationNeeded"),
  REVOKED("Revoked");

  private final String wireName;

  TcbStatus(String wireName) {
    this.wireName = wireName;
  }

  /** Intel's name, e.g. {@code "UpToDate"}. */
  public String wireName() {
    return wireName;
  }

  /** Looks a status up by Intel's name. */
  public static Optional<TcbStatus> fromWireName(String s) {
    for (TcbStatus t : values()) {
      if (t.wireName.equals(s)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
