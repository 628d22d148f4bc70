package dev.vouch.evidence.dcap;

/** The report a quote signs: an SGX enclave report or a TDX TD report. */
public sealed interface QuoteBody permits EnclaveReport, TdReport {
  /** The 64 bytes of report data the enclave or TD chose (nonce, key hash). */
  byte[] reportData();
}
