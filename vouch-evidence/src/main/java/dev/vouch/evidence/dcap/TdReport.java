package dev.vouch.evidence.dcap;

import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.ByteReader;
import java.util.List;
import java.util.Optional;

/**
 * A TDX TD report as quoted: the TDX 1.0 body (584 bytes), or the TDX 1.5 body (648 bytes) that
 * adds {@code TEE_TCB_SVN2} and {@code MRSERVICETD}. Byte fields are as in the report.
 *
 * @param teeTcbSvn 16 bytes: [0] TDX module SVN, [1] module major version, then the rest
 * @param rtmrs RTMR0..3, 48 bytes each
 * @param teeTcbSvn2 present for a TDX 1.5 body
 * @param mrServiceTd present for a TDX 1.5 body
 */
public record TdReport(
    byte[] teeTcbSvn,
    byte[] mrSeam,
    byte[] mrSignerSeam,
    byte[] seamAttributes,
    byte[] tdAttributes,
    byte[] xfam,
    byte[] mrTd,
    byte[] mrConfigId,
    byte[] mrOwner,
    byte[] mrOwnerConfig,
    List<byte[]> rtmrs,
    byte[] reportData,
    Optional<byte[]> teeTcbSvn2,
    Optional<byte[]> mrServiceTd)
    implements QuoteBody {
  /** Length of a TDX 1.0 body. */
  public static final int SIZE_10 = 584;

  /** Length of a TDX 1.5 body. */
  public static final int SIZE_15 = 648;

  public TdReport {
    rtmrs = List.copyOf(rtmrs);
  }

  static TdReport read(ByteReader r, boolean v15) throws VerificationException {
    byte[] tcb = r.bytes(16);
    byte[] mrSeam = r.bytes(48);
    byte[] mrSignerSeam = r.bytes(48);
    byte[] seamAttr = r.bytes(8);
    byte[] tdAttr = r.bytes(8);
    byte[] xfam = r.bytes(8);
    byte[] mrTd = r.bytes(48);
    byte[] cfg = r.bytes(48);
    byte[] owner = r.bytes(48);
    byte[] ownerCfg = r.bytes(48);
    List<byte[]> rtmrs = List.of(r.bytes(48), r.bytes(48), r.bytes(48), r.bytes(48));
    byte[] reportData = r.bytes(64);
    Optional<byte[]> svn2 = Optional.empty();
    Optional<byte[]> serviceTd = Optional.empty();
    if (v15) {
      svn2 = Optional.of(r.bytes(16));
      serviceTd = Optional.of(r.bytes(48));
    }
    return new TdReport(
        tcb,
        mrSeam,
        mrSignerSeam,
        seamAttr,
        tdAttr,
        xfam,
        mrTd,
        cfg,
        owner,
        ownerCfg,
        rtmrs,
        reportData,
        svn2,
        serviceTd);
  }

  /** True when the TD runs in debug mode (TD_ATTRIBUTES bit 0, TUD.DEBUG). */
  public boolean debug() {
    return (tdAttributes[0] & 0x01) != 0;
  }

  /** RTMR {@code i} (0..3). */
  public byte[] rtmr(int i) {
    return rtmrs.get(i).clone();
  }

  @Override
  public byte[] reportData() {
    return reportData.clone();
  }

  @Override
  public byte[] teeTcbSvn() {
    return teeTcbSvn.clone();
  }
}
