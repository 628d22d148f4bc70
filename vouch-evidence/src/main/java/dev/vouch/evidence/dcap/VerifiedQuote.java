package dev.vouch.evidence.dcap;

import java.util.Optional;

/**
 * A DCAP quote whose signatures, QE binding and PCK chain verified.
 *
 * @param quote the parsed quote
 * @param pck the PCK certificate's SGX extension
 * @param tcb the TCB verdict; empty only when the verifier was built not to require collateral and
 *     none was supplied
 * @param revocationChecked true when current root and PCK CRLs were checked for the PCK chain
 *     (always with collateral); false only when no collateral was supplied to a verifier built not
 *     to require it
 */
public record VerifiedQuote(
    DcapQuote quote, PckExtensions pck, Optional<TcbEvaluation> tcb, boolean revocationChecked) {}
