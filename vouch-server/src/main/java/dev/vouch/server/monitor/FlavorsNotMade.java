package dev.vouch.server.monitor;

import dev.vouch.core.Failure;
import java.util.Objects;

/**
 * A request to make flavors from a host that makes none: the host's evidence verified, but it
 * cannot give what was asked for (no template applies, the template defines none of the parts, the
 * host measured nothing for a part). A refusal of the request, not a verdict on the host.
 */
public final class FlavorsNotMade extends Exception {
  private static final long serialVersionUID = 1L;

  private final Failure failure;

  public FlavorsNotMade(Failure failure, String message) {
    super(message);
    this.failure = Objects.requireNonNull(failure, "failure");
  }

  /** Why, as a stable failure code. */
  public Failure failure() {
    return failure;
  }
}
