package dev.vouch.evidence.runtime;

import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaKeyring;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaSignatureVerifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Appraises every entry of an IMA list against a {@link RuntimePolicy}, as Keylime's verifier does:
 *
 * <ol>
 *   <li>an entry whose template hash is not the hash of its data fails ({@link
 *       Rule#TEMPLATE_HASH_MISMATCH}); it is still appraised, so a bad signature is named too;
 *   <li>an {@code ima-buf} entry of an ignored keyring passes; one of a keyring or buffer the
 *       policy names must carry one of its digests ({@link Rule#DIGEST_MISMATCH}), any other is
 *       {@link Rule#UNKNOWN_FILE};
 *   <li>a path matching an exclude pattern (at its start) passes;
 *   <li>with verification keys, a signed entry passes when its signature verifies over its file
 *       digest and fails ({@link Rule#BAD_SIGNATURE}) when it does not;
 *   <li>otherwise the path must be in {@code digests} ({@link Rule#UNKNOWN_FILE}) with the entry's
 *       digest among its allowed ones ({@link Rule#DIGEST_MISMATCH}).
 * </ol>
 *
 * Stateless; parse the list with {@link ImaLog.HashCheck#RECORD} so mismatching entries reach the
 * appraisal instead of stopping the parse.
 */
public final class RuntimeAppraiser {
  private RuntimeAppraiser() {}

  /** Why an entry failed. Stable: reports and faults name these. */
  public enum Rule {
    UNKNOWN_FILE,
    DIGEST_MISMATCH,
    BAD_SIGNATURE,
    TEMPLATE_HASH_MISMATCH
  }

  /**
   * One failed entry.
   *
   * @param entry the 1-based entry (line) number
   * @param path the file or buffer name
   * @param digest the entry's digest as {@code alg:hex} (empty when it has none)
   * @param algorithm the digest's algorithm
   * @param rule the rule that failed
   * @param detail a sentence for people
   */
  public record Finding(
      int entry, String path, String digest, String algorithm, Rule rule, String detail) {
    /** The finding as JSON-ready members, in the order the CLI and the API print them. */
    public java.util.Map<String, Object> toMap() {
      java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
      m.put("entry", entry);
      m.put("path", path);
      m.put("digest", digest);
      m.put("algorithm", algorithm);
      m.put("rule", rule.name());
      m.put("detail", detail);
      return m;
    }
  }

  /**
   * The appraisal of a list.
   *
   * @param failures every failed entry, in list order
   * @param entries entries appraised
   * @param excluded entries passed by an exclude pattern or an ignored keyring
   * @param signaturesVerified entries passed by a verified signature
   */
  public record Appraisal(
      List<Finding> failures, int entries, int excluded, int signaturesVerified) {
    public Appraisal {
      failures = List.copyOf(failures);
    }

    public boolean passed() {
      return failures.isEmpty();
    }
  }

  /**
   * Appraises {@code log} against {@code policy}.
   *
   * @throws VerificationException when the policy's verification keys cannot be read
   */
  public static Appraisal appraise(ImaLog log, RuntimePolicy policy) throws VerificationException {
    ImaKeyring keyring = policy.keyring();
    ImaSignatureVerifier sigs = new ImaSignatureVerifier(keyring);
    List<Pattern> excludes = policy.excludes().stream().map(Pattern::compile).toList();
    Set<Integer> mismatched = Set.copyOf(log.templateHashMismatches());
    List<Finding> failures = new ArrayList<>();
    int excluded = 0;
    int signed = 0;
    int n = 0;
    for (ImaEntry e : log.entries()) {
      n++;
      String path = e.fileName();
      String alg = e.fileDigest().map(d -> d.algorithm()).orElse("");
      String hex = e.fileDigest().map(d -> Hex.encode(d.value())).orElse("");
      String shown = hex.isEmpty() ? "" : alg + ":" + hex;
      if (mismatched.contains(n)) {
        failures.add(
            new Finding(
                n,
                path,
                shown,
                alg,
                Rule.TEMPLATE_HASH_MISMATCH,
                "the template hash is not the hash of the entry's data"));
      }
      if (isBuffer(e)) {
        if (policy.ignoredKeyrings().contains(path) || policy.ignoredKeyrings().contains("*")) {
          excluded++;
          continue;
        }
        Set<String> allowed = policy.keyrings().get(path);
        if (allowed == null) {
          allowed = policy.imaBuf().get(path);
        }
        if (allowed == null) {
          failures.add(
              new Finding(
                  n, path, shown, alg, Rule.UNKNOWN_FILE, "buffer or keyring not in policy"));
        } else if (!allowed.contains(hex) && !allowed.contains(shown)) {
          failures.add(
              new Finding(
                  n,
                  path,
                  shown,
                  alg,
                  Rule.DIGEST_MISMATCH,
                  "buffer digest not allowed for " + path));
        }
        continue;
      }
      if (isExcluded(path, excludes)) {
        excluded++;
        continue;
      }
      if (e.hasSignature() && keyring.size() > 0) {
        try {
          sigs.verify(e);
          signed++;
        } catch (VerificationException ex) {
          failures.add(
              new Finding(
                  n,
                  path,
                  shown,
                  alg,
                  Rule.BAD_SIGNATURE,
                  ex.failure().code() + ": " + ex.getMessage()));
        }
        continue;
      }
      Set<String> allowed = policy.digests().get(path);
      if (allowed == null) {
        failures.add(new Finding(n, path, shown, alg, Rule.UNKNOWN_FILE, "path not in policy"));
      } else if (hex.isEmpty() || (!allowed.contains(hex) && !allowed.contains(shown))) {
        failures.add(
            new Finding(
                n,
                path,
                shown,
                alg,
                Rule.DIGEST_MISMATCH,
                "digest not among the " + allowed.size() + " allowed"));
      }
    }
    return new Appraisal(failures, n, excluded, signed);
  }

  static boolean isBuffer(ImaEntry e) {
    return e.templateName().equals("ima-buf") || e.templateName().endsWith("|buf");
  }

  private static boolean isExcluded(String path, List<Pattern> excludes) {
    for (Pattern p : excludes) {
      if (p.matcher(path).lookingAt()) {
        return true;
      }
    }
    return false;
  }
}
