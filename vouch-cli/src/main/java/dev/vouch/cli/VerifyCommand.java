package dev.vouch.cli;

import dev.vouch.core.Tee;
import dev.vouch.core.VerificationException;
import dev.vouch.core.VerifiedEvidence;
import dev.vouch.evidence.CollateralFolder;
import dev.vouch.evidence.EvidenceVerifier;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.Verifiers;
import dev.vouch.evidence.azure.AzSnpVtpmVerifier;
import dev.vouch.evidence.cima.ContainerEvidenceVerifier;
import dev.vouch.evidence.dcap.ExpiredCollateral;
import dev.vouch.evidence.runtime.RuntimePolicy;
import dev.vouch.evidence.snp.SnpEvidenceVerifier;
import dev.vouch.evidence.tpm.AkCertificateVerifier;
import dev.vouch.evidence.tpm.AkKeys;
import dev.vouch.evidence.tpm.PcrFiles;
import dev.vouch.evidence.tpm.TpmAttest;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vouch verify}: verifies evidence offline and prints the claims it supports. Exit 0 when
 * valid, 1 when it fails a check, 2 for bad input.
 */
@Command(
    name = "verify",
    description = "Verify evidence offline and print its claims.",
    sortOptions = false)
final class VerifyCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  /** The kinds {@code --tee} takes, as the help and the usage error name them. */
  static final String KINDS = "tpm, tdx, sgx, snp, cca, az-snp-vtpm, az-tdx-vtpm, container";

  @Option(names = "--tee", required = true, description = "evidence kind: " + KINDS)
  String tee;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  static final class Source {
    @Option(
        names = "--evidence",
        description =
            "evidence file (TPM: Vouch bundle JSON or Trustee's tpm evidence JSON; container:"
                + " the measurement agent's /v1/evidence JSON)")
    Path evidence;

    @ArgGroup(exclusive = false)
    Tpm2Tools files;
  }

  /** tpm2-tools outputs as they are. */
  static final class Tpm2Tools {
    @Option(names = "--quote", required = true, description = "quote.msg (TPMS_ATTEST)")
    Path quote;

    @Option(
        names = "--signature",
        required = true,
        description = "quote.sig (TPMT_SIGNATURE or -f plain)")
    Path signature;

    @Option(
        names = "--ak",
        required = true,
        description = "AK public key: PEM, DER SPKI, TPM2B_PUBLIC or TPMT_PUBLIC")
    Path ak;

    @Option(
        names = "--pcrs",
        required = true,
        description = "PCR values: tpm2_quote -F values (or its serialized -o default)")
    Path pcrs;

    @Option(names = "--eventlog", description = "TCG firmware event log to check against the quote")
    Path eventlog;

    @Option(names = "--ima", description = "IMA list (binary or ASCII) to check against PCR 10")
    Path ima;
  }

  @Option(
      names = "--nonce",
      description = "expected nonce (hex); without it freshness is unchecked")
  String nonce;

  @Option(
      names = "--collateral",
      description =
          "folder of collateral, any file names (TPM: trusted AK CA certificates, PEM or DER)")
  Path collateral;

  @Option(names = "--at", description = "verification time, ISO-8601 (default: now)")
  String at;

  @Option(
      names = "--no-revocation",
      description =
          "do not require CRLs for the AMD (SNP) or AK certificate (TPM) chain, for recorded"
              + " evidence whose CRLs were not kept; the claims then say"
              + " snp.revocation_checked=false or tpm.ak.revocation_checked=false")
  boolean noRevocation;

  @Option(
      names = "--runtime-policy",
      paramLabel = "policy.json",
      description =
          "container evidence only: appraise the container's own entries against this runtime"
              + " policy (Keylime's JSON format); an unknown file or digest fails naming the entry")
  Path runtimePolicy;

  @Option(names = "--json", description = "print one JSON document")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      Tee kind =
          Tee.fromWireName(tee)
              .orElseThrow(() -> new CliIo.BadInput("--tee must be one of " + KINDS));
      List<byte[]> files = collateral == null ? List.of() : collateralFiles(collateral);
      Expectations expected =
          new Expectations(
              nonce == null ? Optional.empty() : Optional.of(CliIo.hex(nonce, "--nonce")),
              parseTime(at),
              files);
      EvidenceVerifier verifier;
      if (kind == Tee.TPM) {
        // for TPM evidence the collateral folder holds the trusted AK CA roots
        // (CRLs among those files are not roots: the AK verifier reads them as CRLs)
        if (files.isEmpty()) {
          verifier = TpmEvidenceVerifier.trustingSuppliedAk();
        } else {
          AkCertificateVerifier roots = AkCertificateVerifier.ofEncodedRoots(files);
          verifier =
              TpmEvidenceVerifier.withAkRoots(noRevocation ? roots.withoutRevocation() : roots);
        }
      } else if (kind == Tee.SNP && noRevocation) {
        verifier = new SnpEvidenceVerifier().withoutRevocation();
      } else if (kind == Tee.AZ_SNP_VTPM && noRevocation) {
        verifier = new AzSnpVtpmVerifier(new SnpEvidenceVerifier().withoutRevocation());
      } else {
        verifier =
            Verifiers.defaults()
                .forTee(kind)
                .orElseThrow(
                    () -> new CliIo.BadInput("--tee " + tee + " is not supported by this version"));
      }
      if (runtimePolicy != null) {
        if (!(verifier instanceof ContainerEvidenceVerifier container)) {
          throw new CliIo.BadInput("--runtime-policy is for --tee container only");
        }
        try {
          verifier =
              container.withRuntimePolicy(
                  RuntimePolicy.fromKeylimeJson(CliIo.read(runtimePolicy, "runtime policy")));
        } catch (RuntimePolicy.Invalid e) {
          throw new CliIo.BadInput(runtimePolicy + ": " + e.getMessage());
        }
      }
      if (source.evidence == null && kind != Tee.TPM) {
        throw new CliIo.BadInput("--quote/--signature/--ak/--pcrs are for --tee tpm only");
      }
      VerifiedEvidence v;
      try {
        v =
            source.evidence != null
                ? verifier.verify(CliIo.read(source.evidence, "evidence"), expected)
                : ((TpmEvidenceVerifier) verifier).verify(bundle(source.files), expected);
        // no policy here: expired Intel collateral, a claim since Trustee parity, is refused as
        // the default AS policy refuses it
        ExpiredCollateral.refuse(v);
      } catch (VerificationException e) {
        if (json) {
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("valid", false);
          doc.put("tee", kind.wireName());
          doc.put("claims", Map.of());
          doc.put("errors", List.of(Outputs.error(e)));
          CliIo.printJson(out, doc);
        } else {
          err.println("FAILED " + e.failure().code() + ": " + e.getMessage());
        }
        return ExitCodes.FAILED;
      }
      if (json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("valid", true);
        doc.put("tee", kind.wireName());
        doc.put("claims", v.claims().asMap());
        // Intel evidence carries its TCB verdict at the top level, as the CLI contract says
        // az-tdx-vtpm evidence carries the TD quote's verdict under tdx.*
        String intel = kind == Tee.AZ_TDX_VTPM ? "tdx" : kind.wireName();
        Object status = v.claims().get(intel + ".tcb_status");
        if (status != null) {
          doc.put("tcb_status", status);
          doc.put(
              "advisory_ids",
              Optional.ofNullable(v.claims().get(intel + ".advisory_ids")).orElse(List.of()));
        }
        doc.put("errors", List.of());
        CliIo.printJson(out, doc);
      } else {
        out.println("VALID " + kind.wireName() + " evidence");
        v.claims().asMap().forEach((k, val) -> out.println("  " + k + " = " + val));
      }
      return ExitCodes.OK;
    } catch (CliIo.BadInput e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    } catch (VerificationException e) {
      // only reachable for unusable trust anchors given with --collateral
      err.println("error: --collateral: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    }
  }

  private static Instant parseTime(String at) throws CliIo.BadInput {
    if (at == null) {
      return Instant.now();
    }
    try {
      return Instant.parse(at);
    } catch (DateTimeParseException e) {
      throw new CliIo.BadInput("--at must be an ISO-8601 instant such as 2026-01-31T12:00:00Z");
    }
  }

  /** The collateral folder, read as {@code vouch server --collateral} reads it. */
  static List<byte[]> collateralFiles(Path dir) throws CliIo.BadInput {
    try {
      return CollateralFolder.read(dir);
    } catch (IOException e) {
      throw new CliIo.BadInput("--collateral " + e.getMessage());
    }
  }

  /**
   * Assembles a bundle from tpm2-tools files; parse errors of the files are verification failures.
   */
  private static TpmEvidenceBundle bundle(Tpm2Tools f)
      throws CliIo.BadInput, VerificationException {
    byte[] attest = CliIo.read(f.quote, "quote");
    byte[] sig = CliIo.read(f.signature, "signature");
    byte[] ak = CliIo.read(f.ak, "AK");
    byte[] pcrs = CliIo.read(f.pcrs, "PCR file");
    Optional<byte[]> log =
        f.eventlog == null ? Optional.empty() : Optional.of(CliIo.read(f.eventlog, "event log"));
    Optional<byte[]> ima =
        f.ima == null ? Optional.empty() : Optional.of(CliIo.read(f.ima, "IMA list"));
    TpmAttest parsed = TpmAttest.parse(attest);
    if (parsed.quote().isEmpty()) {
      throw new VerificationException(
          dev.vouch.core.Failure.MALFORMED, "TPMS_ATTEST is a " + parsed.type() + ", not a QUOTE");
    }
    return new TpmEvidenceBundle(
        AkKeys.parse(ak),
        Optional.empty(),
        List.of(),
        List.of(new TpmEvidenceBundle.Quote(attest, sig)),
        PcrFiles.read(parsed.quote().get().selection(), pcrs),
        log,
        ima,
        Optional.empty());
  }
}
