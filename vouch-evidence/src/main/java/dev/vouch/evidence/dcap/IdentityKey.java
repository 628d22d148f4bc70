package dev.vouch.evidence.dcap;

/** A cache key that is one particular object (parsed collateral is shared through the cache). */
record IdentityKey(Object target, Object issuer) {
  @Override
  public boolean equals(Object o) {
    return o instanceof IdentityKey k && k.target == target && k.issuer == issuer;
  }

  @Override
  public int hashCode() {
    return 31 * System.identityHashCode(target) + System.identityHashCode(issuer);
  }
}
