package dev.vouch.evidence.tdx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.dcap.DcapQuote;
import dev.vouch.evidence.dcap.TdReport;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import dev.vouch.evidence.tpm.ima.ImaReplay;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one TD register table, and a TD guest's SHA-384 IMA list replayed onto it. */
class TdRegisterTest {
  // shared research vectors/ima/MANIFEST.md, the cc-api TD guest list: expected_pcr_by_replay
  private static final String RTMR2_FROM_ZERO =
      "2bf0f23664e604d20ef899d35c483ae0ae900942e33c60d7d4938cf718670fedb55030721e68891b370ad62312e62c28";

  private static byte[] imaList() throws Exception {
    try (InputStream in =
        TdRegisterTest.class.getResourceAsStream("/vectors/ima/cc-api/ima_log.txt")) {
      return in.readAllBytes();
    }
  }

  @Test
  void pcrsMapOntoTdRegistersAsTheUefiCcMeasurementTableSays() {
    assertThat(TdRegister.forPcr(0)).contains(TdRegister.MRTD);
    assertThat(TdRegister.forPcr(1)).contains(TdRegister.RTMR0);
    assertThat(TdRegister.forPcr(7)).contains(TdRegister.RTMR0);
    for (int pcr = 2; pcr <= 6; pcr++) {
      assertThat(TdRegister.forPcr(pcr)).contains(TdRegister.RTMR1);
    }
    for (int pcr = 8; pcr <= 15; pcr++) {
      assertThat(TdRegister.forPcr(pcr)).contains(TdRegister.RTMR2);
    }
    assertThat(TdRegister.forPcr(16)).isEmpty();
    assertThat(TdRegister.forPcr(23)).isEmpty();
  }

  @Test
  void ccelMrIndexesAndImaColumnsNameTheSameRegisters() {
    assertThat(TdRegister.forCcMrIndex(0)).contains(TdRegister.MRTD);
    assertThat(TdRegister.forCcMrIndex(3)).contains(TdRegister.RTMR2);
    assertThat(TdRegister.forCcMrIndex(5)).isEmpty();
    assertThat(TdRegister.forImaColumn(10)).contains(TdRegister.RTMR2);
    assertThat(TdRegister.forImaColumn(2)).contains(TdRegister.RTMR2);
    assertThat(TdRegister.forImaColumn(3)).contains(TdRegister.RTMR3);
    assertThat(TdRegister.forImaColumn(5)).isEmpty();
    assertThat(TdRegister.MRTD.rtmrIndex()).isEmpty();
    assertThat(TdRegister.RTMR3.rtmrIndex()).hasValue(3);
    assertThat(TdRegister.MRTD.claimName()).isEqualTo("tdx.mr_td");
    assertThat(TdRegister.RTMR1.claimName()).isEqualTo("tdx.rtmr.1");
  }

  @Test
  void aSha384ImaListReplaysItsRtmrWithoutBeingToldTheBank() throws Exception {
    ImaReplay.Result r = ImaReplay.replayDefaultBanks(imaList(), ImaReplayMode.PER_BANK);
    assertThat(r.templateHashAlg()).isEqualTo(HashAlg.SHA384);
    assertThat(r.pcrs().banks())
        .containsExactlyInAnyOrder(HashAlg.SHA1, HashAlg.SHA256, HashAlg.SHA384);
    assertThat(r.pcrs().get(HashAlg.SHA384, 2).map(Hex::encode)).contains(RTMR2_FROM_ZERO);
    // the manifest's other banks of the same list
    assertThat(r.pcrs().get(HashAlg.SHA1, 2).map(Hex::encode))
        .contains("5d2e465933fe441878b944bd46befb3a6b604a7d");
    assertThat(r.pcrs().get(HashAlg.SHA256, 2).map(Hex::encode))
        .contains("47e5b1c661c77002d11d43a41a0cde162387607cb7cd5211218638640fdde7d0");
    assertThat(Optional.ofNullable(r.tdRegisters().get(TdRegister.RTMR2)).map(Hex::encode))
        .contains(RTMR2_FROM_ZERO);
    assertThat(r.tdRegisters()).containsOnlyKeys(TdRegister.RTMR2);
  }

  @Test
  void theImaEntriesOnTopOfTheFirmwareRtmr2GiveTheQuotedRtmr2() throws Exception {
    CcelLog ccel = CcelLog.parse(TdxVectors.bytes("cc-api/ccel_data.bin"));
    TdReport td = DcapQuote.parse(TdxVectors.bytes("cc-api/quote.bin")).tdReport().orElseThrow();
    ImaLog ima = ImaLog.parse(imaList());
    byte[] reg = ccel.rtmr(2);
    MessageDigest md = MessageDigest.getInstance("SHA-384");
    for (ImaEntry e : ima.entries()) {
      assertThat(TdRegister.forImaColumn(e.pcr())).contains(TdRegister.RTMR2);
      md.update(reg);
      md.update(e.templateHash());
      reg = md.digest();
    }
    assertThat(Hex.encode(reg)).isEqualTo(Hex.encode(td.rtmr(2)));
  }

  @Test
  void aSha1ListNamesNoTdRegister() throws Exception {
    byte[] list;
    try (InputStream in =
        TdRegisterTest.class.getResourceAsStream("/vectors/ima/keylime/ima_measurements.txt")) {
      list = in.readAllBytes();
    }
    ImaReplay.Result r = ImaReplay.replayDefaultBanks(list, ImaReplayMode.PER_BANK);
    assertThat(r.pcrs().banks()).containsExactlyInAnyOrder(HashAlg.SHA1, HashAlg.SHA256);
    assertThat(r.tdRegisters()).isEmpty();
  }
}
