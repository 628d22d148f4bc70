package dev.vouch.policy.flavor;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;

/**
 * The parts a host's trust is split into, as ISecL names them. PLATFORM covers firmware (PCR 0-7),
 * OS the boot chain, HOST_UNIQUE the values only one machine has (initrd, hardware UUID), SOFTWARE
 * and IMA files measured after boot, ASSET_TAG an administrator's tag certificate.
 */
public enum FlavorPart {
  PLATFORM,
  OS,
  HOST_UNIQUE,
  SOFTWARE,
  ASSET_TAG,
  IMA;

  /** Reads an ISecL part name such as {@code "HOST_UNIQUE"}. */
  public static FlavorPart parse(String name) throws VerificationException {
    for (FlavorPart p : values()) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw new VerificationException(Failure.MALFORMED, "unknown flavor part " + name);
  }
}
