package dev.vouch.evidence.dcap;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The TCB verdict for one quote, combined the way Intel's quote verification library combines it.
 *
 * @param status the overall status (platform, TDX module and QE combined)
 * @param advisoryIds Intel security advisories that apply, de-duplicated, in level order
 * @param platformStatus the matched platform TCB level's status (the TDX level for TDX)
 * @param tcbDate the matched platform level's TCB date
 * @param qeStatus the QE identity level's status
 * @param tdxModuleId the TDX module identity used ({@code TDX_01}, ...), when one applied
 * @param tdxModuleStatus the TDX module level's status, when a module identity applied
 * @param tcbEvaluationDataNumber the TCB info's evaluation data number
 */
public record TcbEvaluation(
    TcbStatus status,
    List<String> advisoryIds,
    TcbStatus platformStatus,
    Instant tcbDate,
    TcbStatus qeStatus,
    Optional<String> tdxModuleId,
    Optional<TcbStatus> tdxModuleStatus,
    int tcbEvaluationDataNumber) {

  public TcbEvaluation {
    advisoryIds = List.copyOf(advisoryIds);
  }
}
