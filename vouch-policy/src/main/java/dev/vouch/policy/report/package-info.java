/**
 * Trust reports: {@link dev.vouch.policy.report.TrustReport} (ISecL's report shape plus status),
 * its JSON ({@link dev.vouch.policy.report.TrustReportJson}) and JWS signing with an {@code x5c}
 * chain ({@link dev.vouch.policy.report.TrustReports}).
 */
package dev.vouch.policy.report;
