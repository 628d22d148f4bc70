package dev.vouch.policy.flavor;

import java.util.Objects;
import java.util.Optional;

/**
 * A flavor with its signature, ISecL's {@code {"flavor": ..., "signature": ...}} shape. Vouch
 * writes the signature as a detached-payload JWS (see {@link FlavorSigner}); flavors imported from
 * ISecL carry its RSA signature, which Vouch keeps but cannot check, so they count as not trusted
 * until re-signed by the server key.
 *
 * @param flavor the flavor
 * @param signature the signature text, empty for an unsigned flavor
 */
public record SignedFlavor(Flavor flavor, Optional<String> signature) {
  public SignedFlavor {
    Objects.requireNonNull(flavor, "flavor");
    Objects.requireNonNull(signature, "signature");
  }

  /** An unsigned flavor. */
  public static SignedFlavor unsigned(Flavor flavor) {
    return new SignedFlavor(flavor, Optional.empty());
  }
}
