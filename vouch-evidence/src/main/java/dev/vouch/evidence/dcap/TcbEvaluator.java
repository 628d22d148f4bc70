package dev.vouch.evidence.dcap;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Matches a quote against verified TCB info and QE identity with the rules of Intel's quote
 * verification library: the first (highest) TCB level whose SGX components and PCESVN the PCK
 * certificate reaches and, for TDX, whose TDX components the TEE TCB SVN reaches (skipping the
 * module's own two bytes when a module major version is set); the TDX module identity {@code
 * TDX_<major>} by module SVN; the QE identity level by QE ISVSVN; then the statuses converge (an
 * out-of-date QE or module makes an up-to-date platform OutOfDate, a revoked one Revoked).
 *
 * <p>Where Intel's library stops with a terminal result, this throws: no matching level ("not
 * supported") and a revoked TCB are {@link Failure#TCB_OUT_OF_DATE}; a TDX module or QE that does
 * not match its identity is {@link Failure#KEY_MISMATCH}.
 */
public final class TcbEvaluator {
  private TcbEvaluator() {}

  /** Evaluates {@code quote} (with its PCK extensions) against signature-checked collateral. */
  public static TcbEvaluation evaluate(
      DcapQuote quote, PckExtensions pck, TcbInfo tcbInfo, QeIdentity qeIdentity)
      throws VerificationException {
    EnclaveReport qe = quote.qeReport();
    checkQeIdentity(qe, qeIdentity);
    Optional<TcbInfo.ModuleLevel> qeLevel =
        qeIdentity.tcbLevels().stream().filter(l -> qe.isvSvn() >= l.isvSvn()).findFirst();
    if (qeLevel.isEmpty()) {
      throw notSupported("no QE identity TCB level matches QE ISVSVN " + qe.isvSvn());
    }
    TcbStatus qeStatus = qeStatus(qeLevel.get().status());

    boolean tdx = tcbInfo.isTdx() && quote.header().isTdx();
    byte[] teeTcbSvn = tdx ? quote.tdReport().orElseThrow().teeTcbSvn() : null;
    int[] comps = pck.tcbComponents();
    TcbInfo.Level sgxLevel = null;
    TcbInfo.Level tdxLevel = null;
    for (TcbInfo.Level l : tcbInfo.tcbLevels()) {
      if (!atLeast(comps, l.sgxComponents()) || pck.pceSvn() < l.pceSvn()) {
        continue;
      }
      if (!tdx) {
        sgxLevel = l;
        break;
      }
      if (sgxLevel == null) {
        sgxLevel = l;
      }
      if (tdxAtLeast(teeTcbSvn, l.tdxComponents().orElseThrow())) {
        tdxLevel = l;
        break;
      }
    }
    if (sgxLevel == null) {
      throw notSupported(
          "no TCB level matches the PCK certificate's TCB (PCESVN " + pck.pceSvn() + ")");
    }
    Set<String> advisories = new LinkedHashSet<>();
    Optional<String> moduleId = Optional.empty();
    Optional<TcbStatus> moduleStatus = Optional.empty();
    TcbInfo.Level platform;
    TcbStatus status;
    if (!tdx) {
      platform = sgxLevel;
      status = sgxLevel.status();
    } else {
      if (tdxLevel == null) {
        throw notSupported("no TCB level matches TEE_TCB_SVN");
      }
      platform = tdxLevel;
      TdReport td = quote.tdReport().orElseThrow();
      ModuleCheck m = checkModule(quote, td, tcbInfo);
      moduleId = m.id();
      moduleStatus = m.level().map(TcbInfo.ModuleLevel::status);
      status = converge(tdxLevel.status(), moduleStatus.orElse(TcbStatus.UP_TO_DATE));
      m.level().ifPresent(l -> advisories.addAll(l.advisoryIds()));
    }
    advisories.addAll(platform.advisoryIds());
    advisories.addAll(qeLevel.get().advisoryIds());
    if (status != TcbStatus.REVOKED) {
      status = converge(status, qeStatus);
    }
    if (status == TcbStatus.REVOKED) {
      throw new VerificationException(
          Failure.TCB_OUT_OF_DATE, "TCB status is Revoked (advisories " + advisories + ")");
    }
    return new TcbEvaluation(
        status,
        List.copyOf(advisories),
        platform.status(),
        platform.tcbDate(),
        qeStatus,
        moduleId,
        moduleStatus,
        tcbInfo.tcbEvaluationDataNumber());
  }

  private static VerificationException notSupported(String why) {
    return new VerificationException(Failure.TCB_OUT_OF_DATE, "NoMatchingTcbLevel: " + why);
  }

  /** Intel's QE identity levels only say UpToDate, OutOfDate or Revoked. */
  private static TcbStatus qeStatus(TcbStatus s) {
    return switch (s) {
      case UP_TO_DATE -> TcbStatus.UP_TO_DATE;
      case REVOKED -> TcbStatus.REVOKED;
      default -> TcbStatus.OUT_OF_DATE;
    };
  }

  /** Folds an out-of-date or revoked component (QE or TDX module) into the platform status. */
  static TcbStatus converge(TcbStatus platform, TcbStatus component) {
    if (component == TcbStatus.REVOKED) {
      return TcbStatus.REVOKED;
    }
    if (component == TcbStatus.OUT_OF_DATE) {
      return switch (platform) {
        case UP_TO_DATE, SW_HARDENING_NEEDED -> TcbStatus.OUT_OF_DATE;
        case CONFIGURATION_NEEDED, CONFIGURATION_AND_SW_HARDENING_NEEDED ->
            TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED;
        default -> platform;
      };
    }
    return platform;
  }

  private static boolean atLeast(int[] have, int[] need) {
    for (int i = 0; i < 16; i++) {
      if (have[i] < need[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean tdxAtLeast(byte[] teeTcbSvn, int[] need) {
    // with a module major version set, bytes 0 and 1 are judged by the module identity instead
    int from = (teeTcbSvn[1] & 0xff) > 0 ? 2 : 0;
    for (int i = from; i < 16; i++) {
      if ((teeTcbSvn[i] & 0xff) < need[i]) {
        return false;
      }
    }
    return true;
  }

  private record ModuleCheck(Optional<String> id, Optional<TcbInfo.ModuleLevel> level) {}

  private static ModuleCheck checkModule(DcapQuote quote, TdReport td, TcbInfo info)
      throws VerificationException {
    byte[] svn = td.teeTcbSvn();
    int major = svn[1] & 0xff;
    int moduleSvn = svn[0] & 0xff;
    TcbInfo.TdxModule module =
        info.tdxModule()
            .orElseThrow(
                () -> new VerificationException(Failure.MALFORMED, "TDX TCB info lacks tdxModule"));
    byte[] mrSigner = module.mrSigner();
    byte[] attributes = module.attributes();
    Optional<TcbInfo.TdxModuleIdentity> identity = Optional.empty();
    String id = String.format(Locale.ROOT, "TDX_%02X", major);
    if (major > 0) {
      identity =
          info.tdxModuleIdentities().stream()
              .filter(i -> i.id().toUpperCase(Locale.ROOT).equals(id))
              .findFirst();
      if (identity.isEmpty()) {
        throw new VerificationException(
            Failure.KEY_MISMATCH, "TCB info has no TDX module identity " + id);
      }
      mrSigner = identity.get().mrSigner();
      attributes = identity.get().attributes();
    }
    if (!java.util.Arrays.equals(mrSigner, td.mrSignerSeam())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "MRSIGNERSEAM differs from the TDX module signer in TCB info");
    }
    byte[] seamAttributes = td.seamAttributes();
    for (int i = 0; i < seamAttributes.length; i++) {
      if (seamAttributes[i] != 0 || seamAttributes[i] != attributes[i]) {
        throw new VerificationException(
            Failure.KEY_MISMATCH, "SEAMATTRIBUTES are not the zero attributes TCB info requires");
      }
    }
    if (major == 0 && quote.header().version() > 3) {
      return new ModuleCheck(Optional.empty(), Optional.empty());
    }
    TcbInfo.TdxModuleIdentity ident =
        identity.orElseThrow(
            () -> new VerificationException(Failure.KEY_MISMATCH, "no TDX module identity " + id));
    Optional<TcbInfo.ModuleLevel> level =
        ident.tcbLevels().stream().filter(l -> moduleSvn >= l.isvSvn()).findFirst();
    if (level.isEmpty()) {
      throw notSupported("no TDX module level of " + id + " matches module SVN " + moduleSvn);
    }
    return new ModuleCheck(Optional.of(ident.id()), level);
  }

  private static void checkQeIdentity(EnclaveReport qe, QeIdentity identity)
      throws VerificationException {
    if (!masked(qe.miscSelect(), identity.miscSelectMask(), identity.miscSelect())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "QE MISCSELECT does not match Intel's QE identity");
    }
    if (!masked(qe.attributes(), identity.attributesMask(), identity.attributes())) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "QE ATTRIBUTES do not match Intel's QE identity");
    }
    if (!java.util.Arrays.equals(qe.mrSigner(), identity.mrSigner())) {
      throw new VerificationException(Failure.KEY_MISMATCH, "QE MRSIGNER is not Intel's QE signer");
    }
    if (qe.isvProdId() != identity.isvProdId()) {
      throw new VerificationException(
          Failure.KEY_MISMATCH, "QE ISVPRODID " + qe.isvProdId() + " is not Intel's QE");
    }
  }

  private static boolean masked(byte[] value, byte[] mask, byte[] expected) {
    if (value.length != mask.length || value.length != expected.length) {
      return false;
    }
    for (int i = 0; i < value.length; i++) {
      if ((value[i] & mask[i]) != expected[i]) {
        return false;
      }
    }
    return true;
  }
}
