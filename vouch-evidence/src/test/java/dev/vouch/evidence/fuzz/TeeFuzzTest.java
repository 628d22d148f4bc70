package dev.vouch.evidence.fuzz;

import static dev.vouch.evidence.fuzz.ParserFuzzTest.failsClosed;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.vouch.evidence.azure.AzureEvidence;
import dev.vouch.evidence.azure.HclReport;
import dev.vouch.evidence.cca.CcaPlatformClaims;
import dev.vouch.evidence.cca.CcaRealmClaims;
import dev.vouch.evidence.cca.CcaToken;
import dev.vouch.evidence.dcap.DcapCollateral;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.snp.SnpEvidence;
import dev.vouch.evidence.snp.SnpReport;
import dev.vouch.evidence.tdx.CcelLog;
import dev.vouch.evidence.tdx.CcelTable;
import dev.vouch.evidence.tdx.TdxEvidence;

/**
 * Jazzer fuzz targets for the confidential-computing evidence parsers: DCAP quotes (TDX, SGX) and
 * collateral files, SNP reports and evidence, CCA tokens (CBOR/COSE) and their claim sets, and the
 * CCEL table and log, Azure vTPM evidence and HCL reports. Same property and folders as {@link
 * ParserFuzzTest}.
 */
class TeeFuzzTest {
  static void all(byte[] data) {
    dcapTarget(data);
    snpTarget(data);
    ccaTarget(data);
    ccelTarget(data);
    azureTarget(data);
  }

  static void azureTarget(byte[] data) {
    failsClosed(() -> AzureEvidence.parse(data, AzureEvidence.Kind.SNP));
    failsClosed(() -> AzureEvidence.parse(data, AzureEvidence.Kind.TDX));
    failsClosed(() -> HclReport.parse(data).attestationKey());
    failsClosed(() -> HclReport.parse(data).userData());
  }

  static void dcapTarget(byte[] data) {
    failsClosed(() -> DcapQuote.parse(data));
    failsClosed(() -> TdxEvidence.parse(data));
    failsClosed(() -> DcapCollateral.parseFile(data));
  }

  static void snpTarget(byte[] data) {
    failsClosed(() -> SnpReport.parse(data));
    failsClosed(() -> SnpEvidence.parse(data));
  }

  static void ccaTarget(byte[] data) {
    failsClosed(() -> CcaToken.parse(data));
    failsClosed(() -> CcaPlatformClaims.parse(data));
    failsClosed(() -> CcaRealmClaims.parse(data));
  }

  static void ccelTarget(byte[] data) {
    failsClosed(() -> CcelLog.parse(data));
    failsClosed(() -> CcelTable.parse(data));
  }

  @FuzzTest(maxDuration = "30s")
  void dcap(byte[] data) {
    dcapTarget(data);
  }

  @FuzzTest(maxDuration = "30s")
  void snp(byte[] data) {
    snpTarget(data);
  }

  @FuzzTest(maxDuration = "30s")
  void cca(byte[] data) {
    ccaTarget(data);
  }

  @FuzzTest(maxDuration = "30s")
  void azure(byte[] data) {
    azureTarget(data);
  }

  @FuzzTest(maxDuration = "30s")
  void ccel(byte[] data) {
    ccelTarget(data);
  }
}
