package dev.vouch.evidence.tpm.ima;

/**
 * How the kernel extended banks other than the one whose template hash the list shows.
 *
 * <ul>
 *   <li>{@link #PER_BANK}: kernels since 5.1 extend each bank with that bank's hash of the template
 *       data; a violation extends all {@code 0xff} bytes of the bank's digest size.
 *   <li>{@link #OLD_KERNEL}: older kernels extended every bank with the SHA-1 template hash,
 *       zero-padded to the bank's digest size; a violation extends twenty {@code 0xff} bytes,
 *       zero-padded the same way.
 * </ul>
 */
public enum ImaReplayMode {
  PER_BANK,
  OLD_KERNEL
}
