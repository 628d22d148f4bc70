package dev.vouch.policy.flavor;

import dev.vouch.core.Claims;
import dev.vouch.evidence.Expectations;
import dev.vouch.evidence.tpm.AkCertificateVerifier;
import dev.vouch.evidence.tpm.TpmEvidenceBundle;
import dev.vouch.evidence.tpm.TpmEvidenceVerifier;
import dev.vouch.evidence.tpm.eventlog.TcgEventLog;
import java.util.List;

/**
 * The real Google Compute Engine evidence of the vectors (Container-Optimized OS 85: vTPM quotes,
 * firmware log), verified by the TPM verifier against Google's EK root.
 *
 * @param claims the verifier's claims
 * @param rawLog the firmware event log as the bundle carries it
 * @param log the same, parsed
 */
record GceVector(Claims claims, byte[] rawLog, TcgEventLog log) {
  static GceVector verified() throws Exception {
    byte[] bundle = Vectors.read("tpm/gce-cos-85-bundle.json");
    byte[] root = Vectors.read("tpm/google-tpm-ek-root-1.cer");
    Claims claims =
        TpmEvidenceVerifier.withAkRoots(
                // the vectors ship no Google CRL
                AkCertificateVerifier.ofEncodedRoots(List.of(root)).withoutRevocation())
            .verify(bundle, Expectations.none())
            .claims();
    byte[] raw = TpmEvidenceBundle.parse(bundle).eventLog().orElseThrow();
    return new GceVector(claims, raw, TcgEventLog.parse(raw));
  }
}
