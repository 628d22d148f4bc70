package dev.vouch.agent.tpm;

import java.util.Map;
import java.util.OptionalInt;

/**
 * A TPM 2.0 response code (TPM 2.0 Part 2, TPM_RC), decoded into its name and the handle, session
 * or parameter it refers to.
 *
 * <p>Format-1 codes (bit 7 set) carry an error number in bits 0..5 and say which handle, session or
 * parameter was wrong; format-0 codes are plain errors, warnings (bit 11), vendor codes (bit 10) or
 * TPM 1.2 codes (bit 8 clear).
 *
 * @param value the raw 32-bit response code as the TPM sent it
 */
public record ResponseCode(int value) {
  public static final int SUCCESS = 0x000;

  // format-0 errors (RC_VER1 = 0x100)
  public static final int TPM_RC_INITIALIZE = 0x100;
  public static final int TPM_RC_FAILURE = 0x101;
  public static final int TPM_RC_AUTH_MISSING = 0x125;
  public static final int TPM_RC_POLICY = 0x126;
  public static final int TPM_RC_COMMAND_CODE = 0x143;
  public static final int TPM_RC_NV_UNINITIALIZED = 0x14A;
  public static final int TPM_RC_NV_DEFINED = 0x14C;

  // format-1 errors (RC_FMT1 = 0x080)
  public static final int TPM_RC_VALUE = 0x084;
  public static final int TPM_RC_HANDLE = 0x08B;
  public static final int TPM_RC_AUTH_FAIL = 0x08E;
  public static final int TPM_RC_SIZE = 0x095;
  public static final int TPM_RC_POLICY_FAIL = 0x09D;
  public static final int TPM_RC_INTEGRITY = 0x09F;
  public static final int TPM_RC_BAD_AUTH = 0x0A2;

  // warnings (RC_WARN = 0x900)
  public static final int TPM_RC_OBJECT_MEMORY = 0x902;
  public static final int TPM_RC_SESSION_MEMORY = 0x903;
  public static final int TPM_RC_YIELDED = 0x908;
  public static final int TPM_RC_TESTING = 0x90A;
  public static final int TPM_RC_RETRY = 0x922;

  private static final Map<Integer, String[]> KNOWN =
      Map.ofEntries(
          e(
              0x100,
              "TPM_RC_INITIALIZE",
              "TPM not initialized by TPM2_Startup or already initialized"),
          e(0x101, "TPM_RC_FAILURE", "the TPM is in failure mode"),
          e(0x103, "TPM_RC_SEQUENCE", "improper use of a sequence handle"),
          e(0x10B, "TPM_RC_PRIVATE", "not currently used"),
          e(0x119, "TPM_RC_HMAC", "not currently used"),
          e(0x120, "TPM_RC_DISABLED", "the command is disabled"),
          e(0x121, "TPM_RC_EXCLUSIVE", "the command failed because audit sequence is required"),
          e(0x124, "TPM_RC_AUTH_TYPE", "authorization handle is not correct for the command"),
          e(0x125, "TPM_RC_AUTH_MISSING", "the command requires an authorization session"),
          e(0x126, "TPM_RC_POLICY", "policy failure in math operation or an invalid authPolicy"),
          e(0x127, "TPM_RC_PCR", "PCR check fail"),
          e(0x128, "TPM_RC_PCR_CHANGED", "PCR have changed since checked"),
          e(0x12D, "TPM_RC_UPGRADE", "the TPM is in field upgrade mode"),
          e(0x12E, "TPM_RC_TOO_MANY_CONTEXTS", "context ID counter is at maximum"),
          e(0x12F, "TPM_RC_AUTH_UNAVAILABLE", "authValue or authPolicy is not available"),
          e(0x130, "TPM_RC_REBOOT", "a _TPM_Init and Startup(CLEAR) is required"),
          e(0x131, "TPM_RC_UNBALANCED", "the protection algorithms are not reasonably balanced"),
          e(0x142, "TPM_RC_COMMAND_SIZE", "command size is inconsistent with the contents"),
          e(0x143, "TPM_RC_COMMAND_CODE", "command code not supported"),
          e(0x144, "TPM_RC_AUTHSIZE", "the authorization size is out of range"),
          e(0x145, "TPM_RC_AUTH_CONTEXT", "use of an authorization session with a context command"),
          e(0x146, "TPM_RC_NV_RANGE", "NV offset+size is out of range"),
          e(0x147, "TPM_RC_NV_SIZE", "requested allocation size is larger than allowed"),
          e(0x148, "TPM_RC_NV_LOCKED", "NV access locked"),
          e(0x149, "TPM_RC_NV_AUTHORIZATION", "NV access authorization fails"),
          e(0x14A, "TPM_RC_NV_UNINITIALIZED", "the NV index has not been written"),
          e(0x14B, "TPM_RC_NV_SPACE", "insufficient space for NV allocation"),
          e(0x14C, "TPM_RC_NV_DEFINED", "NV index or persistent object already defined"),
          e(0x150, "TPM_RC_BAD_CONTEXT", "context in TPM2_ContextLoad is not valid"),
          e(0x151, "TPM_RC_CPHASH", "cpHash value already set or not correct"),
          e(0x152, "TPM_RC_PARENT", "handle for parent is not a valid parent"),
          e(0x153, "TPM_RC_NEEDS_TEST", "some function needs testing"),
          e(0x154, "TPM_RC_NO_RESULT", "an internal function cannot process a request"),
          e(0x155, "TPM_RC_SENSITIVE", "the sensitive area did not unmarshal correctly"),
          e(0x081, "TPM_RC_ASYMMETRIC", "asymmetric algorithm not supported or not correct"),
          e(0x082, "TPM_RC_ATTRIBUTES", "inconsistent attributes"),
          e(0x083, "TPM_RC_HASH", "hash algorithm not supported or not appropriate"),
          e(0x084, "TPM_RC_VALUE", "value is out of range or is not correct for the context"),
          e(0x085, "TPM_RC_HIERARCHY", "hierarchy is not enabled or is not correct for the use"),
          e(0x087, "TPM_RC_KEY_SIZE", "key size is not supported"),
          e(0x088, "TPM_RC_MGF", "mask generation function not supported"),
          e(0x089, "TPM_RC_MODE", "mode of operation not supported"),
          e(0x08A, "TPM_RC_TYPE", "the type of the value is not appropriate for the use"),
          e(0x08B, "TPM_RC_HANDLE", "the handle is not correct for the use"),
          e(0x08C, "TPM_RC_KDF", "unsupported key derivation function"),
          e(0x08D, "TPM_RC_RANGE", "value was out of allowed range"),
          e(0x08E, "TPM_RC_AUTH_FAIL", "the authorization HMAC check failed"),
          e(0x08F, "TPM_RC_NONCE", "invalid nonce size or nonce value mismatch"),
          e(0x090, "TPM_RC_PP", "authorization requires assertion of physical presence"),
          e(0x092, "TPM_RC_SCHEME", "unsupported or incompatible scheme"),
          e(0x095, "TPM_RC_SIZE", "structure is the wrong size"),
          e(0x096, "TPM_RC_SYMMETRIC", "unsupported symmetric algorithm or key size"),
          e(0x097, "TPM_RC_TAG", "incorrect structure tag"),
          e(0x098, "TPM_RC_SELECTOR", "union selector is incorrect"),
          e(0x09A, "TPM_RC_INSUFFICIENT", "the TPM was unable to unmarshal a value"),
          e(0x09B, "TPM_RC_SIGNATURE", "the signature is not valid"),
          e(0x09C, "TPM_RC_KEY", "key fields are not compatible with the selected use"),
          e(0x09D, "TPM_RC_POLICY_FAIL", "a policy check failed"),
          e(0x09F, "TPM_RC_INTEGRITY", "integrity check failed"),
          e(0x0A0, "TPM_RC_TICKET", "invalid ticket"),
          e(0x0A1, "TPM_RC_RESERVED_BITS", "reserved bits not set to zero as required"),
          e(0x0A2, "TPM_RC_BAD_AUTH", "authorization failure without DA implications"),
          e(0x0A3, "TPM_RC_EXPIRED", "the policy has expired"),
          e(0x0A4, "TPM_RC_POLICY_CC", "the commandCode in the policy is not the command code"),
          e(0x0A5, "TPM_RC_BINDING", "public and sensitive portions of an object are not bound"),
          e(0x0A6, "TPM_RC_CURVE", "curve not supported"),
          e(0x0A7, "TPM_RC_ECC_POINT", "point is not on the required curve"),
          e(0x901, "TPM_RC_CONTEXT_GAP", "gap for context ID is too large"),
          e(0x902, "TPM_RC_OBJECT_MEMORY", "out of memory for object contexts"),
          e(0x903, "TPM_RC_SESSION_MEMORY", "out of memory for session contexts"),
          e(0x904, "TPM_RC_MEMORY", "out of shared object/session memory"),
          e(0x905, "TPM_RC_SESSION_HANDLES", "out of session handles"),
          e(0x906, "TPM_RC_OBJECT_HANDLES", "out of object handles"),
          e(0x907, "TPM_RC_LOCALITY", "bad locality"),
          e(0x908, "TPM_RC_YIELDED", "the TPM has suspended operation on the command"),
          e(0x909, "TPM_RC_CANCELED", "the command was canceled"),
          e(0x90A, "TPM_RC_TESTING", "the TPM is performing self-tests"),
          e(0x920, "TPM_RC_NV_RATE", "the TPM is rate-limiting accesses to prevent wearout of NV"),
          e(0x921, "TPM_RC_LOCKOUT", "authorizations are locked out (dictionary attack defence)"),
          e(0x922, "TPM_RC_RETRY", "the TPM was not able to start the command, retry it"),
          e(0x923, "TPM_RC_NV_UNAVAILABLE", "the command may require writing of NV"));

  private static Map.Entry<Integer, String[]> e(int code, String name, String text) {
    return Map.entry(code, new String[] {name, text});
  }

  /** True for format-1 codes, which name the handle, session or parameter at fault. */
  public boolean isFormat1() {
    return (value & 0x080) != 0;
  }

  /** True for format-0 warnings (bit 11), e.g. TPM_RC_OBJECT_MEMORY or TPM_RC_RETRY. */
  public boolean isWarning() {
    return !isFormat1() && isTpm2() && (value & 0x400) == 0 && (value & 0x800) != 0;
  }

  private boolean isTpm2() {
    return isFormat1() || (value & 0x100) != 0;
  }

  /**
   * The code with the handle, session or parameter number removed: one of the {@code TPM_RC_*}
   * constants for the errors this class knows, comparable with {@code ==}.
   */
  public int base() {
    if (isFormat1()) {
      return value & 0x0BF;
    }
    return value & 0xFFF;
  }

  /** The parameter number (1-based) a format-1 code refers to. */
  public OptionalInt parameter() {
    return isFormat1() && (value & 0x040) != 0
        ? OptionalInt.of((value >>> 8) & 0xF)
        : OptionalInt.empty();
  }

  /** The session number (1-based) a format-1 code refers to. */
  public OptionalInt session() {
    return isFormat1() && (value & 0x040) == 0 && (value & 0x800) != 0
        ? OptionalInt.of((value >>> 8) & 0x7)
        : OptionalInt.empty();
  }

  /** The handle number (1-based) a format-1 code refers to; absent when the TPM sent 0. */
  public OptionalInt handle() {
    if (!isFormat1() || (value & 0x040) != 0 || (value & 0x800) != 0) {
      return OptionalInt.empty();
    }
    int n = (value >>> 8) & 0x7;
    return n == 0 ? OptionalInt.empty() : OptionalInt.of(n);
  }

  /** The symbolic name, e.g. {@code TPM_RC_HANDLE}, or a description of an unknown code. */
  public String name() {
    if (value == SUCCESS) {
      return "TPM_RC_SUCCESS";
    }
    if ((value & 0xFFFFF000) != 0) {
      return String.format("layer 0x%02x code 0x%03x", value >>> 16, value & 0xFFF);
    }
    if (!isTpm2()) {
      return String.format("TPM 1.2 code 0x%03x", value & 0x7F);
    }
    if (!isFormat1() && (value & 0x400) != 0) {
      return String.format("vendor code 0x%03x", value & 0x7F);
    }
    String[] known = KNOWN.get(base());
    return known != null ? known[0] : String.format("unknown TPM_RC 0x%03x", base());
  }

  /** A one-line explanation: name, meaning and position, e.g. for error messages and logs. */
  public String describe() {
    StringBuilder sb = new StringBuilder(name());
    String[] known = (value & 0xFFFFF000) == 0 && isTpm2() ? KNOWN.get(base()) : null;
    if (known != null) {
      sb.append(" (").append(known[1]).append(')');
    }
    parameter().ifPresent(p -> sb.append(", parameter ").append(p));
    session().ifPresent(s -> sb.append(", session ").append(s));
    handle().ifPresent(h -> sb.append(", handle ").append(h));
    sb.append(String.format(" [0x%x]", value));
    return sb.toString();
  }

  @Override
  public String toString() {
    return describe();
  }
}
