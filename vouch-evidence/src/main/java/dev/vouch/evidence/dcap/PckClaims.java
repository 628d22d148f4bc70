package dev.vouch.evidence.dcap;

import dev.vouch.core.Claims;
import dev.vouch.core.bytes.Hex;

/**
 * Claims both DCAP verifiers (SGX and TDX) take from the PCK certificate's SGX extension, under the
 * TEE's prefix; the values are those Intel's QvE hands Trustee as supplemental data, so that
 * Trustee's claim tree can be rebuilt from them. Every value is read from a PCK certificate whose
 * chain to Intel's root verified.
 */
public final class PckClaims {
  private PckClaims() {}

  /**
   * {@code <tee>.pck.sgx_type}: {@code Standard}, {@code Scalable} or {@code Scalable with
   * Integrity}.
   */
  public static final String SGX_TYPE = ".pck.sgx_type";

  /**
   * {@code <tee>.pck.ppid}: hex platform provisioning id (Trustee's {@code platform_provider_id}).
   */
  public static final String PPID = ".pck.ppid";

  /**
   * {@code <tee>.platform_instance_id}: hex platform instance id as Trustee prints it (a
   * little-endian GUID printed big-endian); only from a Platform CA-issued PCK certificate.
   */
  public static final String PLATFORM_INSTANCE_ID = ".platform_instance_id";

  /** {@code <tee>.pck.dynamic_platform} (boolean); only with the platform instance id. */
  public static final String DYNAMIC_PLATFORM = ".pck.dynamic_platform";

  /** {@code <tee>.pck.cached_keys} (boolean); only with the platform instance id. */
  public static final String CACHED_KEYS = ".pck.cached_keys";

  /** {@code <tee>.pck.smt_enabled} (boolean); only with the platform instance id. */
  public static final String SMT_ENABLED = ".pck.smt_enabled";

  /**
   * {@code <tee>.root_key_id}: hex SHA-384 of the Intel root key the PCK chain validated to
   * (Trustee's {@code root_key_id}).
   */
  public static final String ROOT_KEY_ID = ".root_key_id";

  /**
   * Puts the PCK claims of {@code v} under {@code tee} ({@code sgx} or {@code tdx}): those of its
   * PCK certificate and the root key id.
   */
  public static void put(Claims.Builder c, String tee, VerifiedQuote v) {
    put(c, tee, v.pck());
    c.put(tee + ROOT_KEY_ID, Hex.encode(v.rootKeyId()));
  }

  /** Puts the PCK claims of {@code pck} under {@code tee} ({@code sgx} or {@code tdx}). */
  private static void put(Claims.Builder c, String tee, PckExtensions pck) {
    c.put(tee + SGX_TYPE, sgxTypeName(pck.sgxType()));
    if (pck.ppid().length > 0) {
      c.put(tee + PPID, Hex.encode(pck.ppid()));
    }
    pck.platform()
        .ifPresent(
            p -> {
              c.put(tee + PLATFORM_INSTANCE_ID, Hex.encode(p.instanceIdBigEndian()));
              c.put(tee + DYNAMIC_PLATFORM, p.dynamicPlatform());
              c.put(tee + CACHED_KEYS, p.cachedKeys());
              c.put(tee + SMT_ENABLED, p.smtEnabled());
            });
  }

  /** Intel's names for the SGX type, as Trustee reports them. */
  static String sgxTypeName(int sgxType) {
    return switch (sgxType) {
      case 0 -> "Standard";
      case 1 -> "Scalable";
      case 2 -> "Scalable with Integrity";
      default -> "Unknown (" + sgxType + ")";
    };
  }

  /** {@code value} as {@code bytes} little-endian bytes in hex, as Trustee prints header fields. */
  public static String leHex(long value, int bytes) {
    byte[] b = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      b[i] = (byte) (value >>> (8 * i));
    }
    return Hex.encode(b);
  }
}
