package dev.vouch.server.registrar;

import dev.vouch.evidence.tpm.protocol.HostIds;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where an enrolled host goes in the attestation manager: its host group (which selects the poll
 * interval) and how the manager reaches its agent. The agent states both when it enrolls; they take
 * effect when activation succeeds.
 *
 * @param group the host group, 1-128 characters of {@code A-Z a-z 0-9 _ -}
 * @param connection {@link #NATS} for the NATS channel, or the agent's {@code https://} URL
 * @param flavorGroups the flavor groups the agent asks the host to be judged by (at most {@link
 *     #MAX_FLAVOR_GROUPS}, never {@code host_unique}); they apply only to a host that is new to the
 *     manager, so that a re-enrolling agent cannot move itself out of an administrator's groups
 */
public record Placement(String group, String connection, List<String> flavorGroups) {
  /** How many flavor groups an agent may ask for. */
  public static final int MAX_FLAVOR_GROUPS = 16;

  /** The connection value that means "over NATS". */
  public static final String NATS = "nats";

  /** Group {@code default}, reached over NATS. */
  public static final Placement DEFAULT = new Placement("default", NATS);

  public Placement {
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(connection, "connection");
    flavorGroups = List.copyOf(flavorGroups);
    String why = problem(group, connection, flavorGroups);
    if (why != null) {
      throw new IllegalArgumentException(why);
    }
  }

  /**
   * The placement an agent asked for.
   *
   * @throws EnrollmentException MALFORMED_REQUEST for a bad group or connection
   */
  public static Placement of(String group, String connection) throws EnrollmentException {
    return of(group, connection, List.of());
  }

  /** A placement in no flavor group of the agent's choosing. */
  public Placement(String group, String connection) {
    this(group, connection, List.of());
  }

  /**
   * The placement an agent asked for, with flavor groups.
   *
   * @throws EnrollmentException MALFORMED_REQUEST for a bad group, connection or flavor group
   */
  public static Placement of(String group, String connection, List<String> flavorGroups)
      throws EnrollmentException {
    String why = problem(group, connection, flavorGroups);
    if (why != null) {
      throw new EnrollmentException(EnrollmentError.MALFORMED_REQUEST, why);
    }
    return new Placement(group, connection, flavorGroups);
  }

  private static String problem(String group, String connection, List<String> flavorGroups) {
    if (!HostIds.isValid(group)) {
      return "host group must be 1-128 characters of A-Z a-z 0-9 _ -";
    }
    if (flavorGroups.size() > MAX_FLAVOR_GROUPS) {
      return "at most " + MAX_FLAVOR_GROUPS + " flavor groups";
    }
    for (String g : flavorGroups) {
      if (g == null || !HostIds.isValid(g) || g.equals("host_unique")) {
        return "flavor groups must be 1-128 characters of A-Z a-z 0-9 _ -, not host_unique";
      }
    }
    if (connection.equals(NATS)) {
      return null;
    }
    // the manager dials this address, so only an absolute https URL naming a host is usable
    String bad = "connection must be \"nats\" or an https:// URL of the agent";
    if (connection.length() > 2000) {
      return bad + " (at most 2000 characters)";
    }
    try {
      URI u = new URI(connection);
      if (u.getScheme() == null
          || !u.getScheme().toLowerCase(Locale.ROOT).equals("https")
          || u.getHost() == null
          || u.getUserInfo() != null) {
        return bad;
      }
      return null;
    } catch (URISyntaxException e) {
      return bad;
    }
  }
}
