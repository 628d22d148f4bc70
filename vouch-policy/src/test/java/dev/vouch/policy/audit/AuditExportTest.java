package dev.vouch.policy.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.vouch.core.Failure;
import dev.vouch.policy.report.ReportFixture;
import dev.vouch.policy.report.X5cJws;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AuditExportTest {
  private static final Instant T0 = ReportFixture.CREATED.plus(Duration.ofHours(1));

  private ReportFixture pki;
  private X5cJws.Signer signer;
  private final List<AuditRecord> records = new ArrayList<>();

  @BeforeEach
  void chain() throws Exception {
    pki = new ReportFixture("secp256r1");
    signer = AuditCheckpoint.signer(pki.key.getPrivate(), pki.chain());
    AuditRecord prev = null;
    for (int i = 0; i < 6; i++) {
      prev =
          AuditRecord.next(
              prev,
              T0.plusSeconds(i),
              new AuditEntry(
                  "alice",
                  "admin.change",
                  "PUT /api/v1/policies/p" + i,
                  "success",
                  "r" + i,
                  "10.0.0.1",
                  "status 200"));
      records.add(prev);
    }
  }

  private List<String> export() throws Exception {
    List<String> lines = new ArrayList<>();
    records.forEach(r -> lines.add(r.toJsonLine()));
    AuditRecord last = records.get(records.size() - 1);
    lines.add(
        AuditExport.checkpointLine(new AuditCheckpoint(last.seq(), last.hash(), T0).sign(signer)));
    return lines;
  }

  private AuditExport.Broken broken(List<String> lines) {
    return catchThrowableOfType(
        AuditExport.Broken.class, () -> AuditExport.verify(lines, List.of(pki.root), T0));
  }

  @Test
  void anIntactExportVerifiesAgainstThePinnedCa() throws Exception {
    AuditExport.Intact ok = AuditExport.verify(export(), List.of(pki.root), T0);
    assertThat(ok.records()).isEqualTo(6);
    assertThat(ok.head()).isEqualTo(records.get(5).hash());
    assertThat(ok.anchored()).isTrue();
  }

  @Test
  void withoutACaTheSignatureIsCheckedAndTheResultSaysTheSignerWasNotPinned() throws Exception {
    AuditExport.Intact ok = AuditExport.verify(export(), List.of(), T0);
    assertThat(ok.anchored()).isFalse();
  }

  @Test
  void anEditedRecordIsNamedByItsLine() throws Exception {
    List<String> lines = export();
    lines.set(2, lines.get(2).replace("\"alice\"", "\"mallory\""));
    AuditExport.Broken b = broken(lines);
    assertThat(b.line()).isEqualTo(3);
    assertThat(b.failure()).isEqualTo(Failure.AUDIT_RECORD_ALTERED);
  }

  @Test
  void anEditedRecordWithItsHashRecomputedBreaksTheChainAtTheNextRecord() throws Exception {
    List<String> lines = export();
    AuditRecord orig = records.get(2);
    AuditRecord forged =
        AuditRecord.after(
            records.get(1).seq(),
            records.get(1).hash(),
            orig.at(),
            new AuditEntry(
                "mallory", "admin.change", orig.entry().target(), "success", null, null, null));
    lines.set(2, forged.toJsonLine());
    AuditExport.Broken b = broken(lines);
    assertThat(b.line()).isEqualTo(4);
    assertThat(b.failure()).isEqualTo(Failure.AUDIT_CHAIN_BROKEN);
  }

  @Test
  void aDeletedRecordIsNamed() throws Exception {
    List<String> lines = export();
    lines.remove(1);
    AuditExport.Broken b = broken(lines);
    assertThat(b.line()).isEqualTo(2);
    assertThat(b.failure()).isEqualTo(Failure.AUDIT_CHAIN_BROKEN);
  }

  @Test
  void twoSwappedRecordsAreNamed() throws Exception {
    List<String> lines = export();
    Collections.swap(lines, 3, 4);
    AuditExport.Broken b = broken(lines);
    assertThat(b.line()).isEqualTo(4);
    assertThat(b.failure()).isEqualTo(Failure.AUDIT_CHAIN_BROKEN);
  }

  @Test
  void anInsertedRecordIsNamed() throws Exception {
    List<String> lines = export();
    lines.add(3, records.get(2).toJsonLine());
    AuditExport.Broken b = broken(lines);
    assertThat(b.line()).isEqualTo(4);
    assertThat(b.failure()).isEqualTo(Failure.AUDIT_CHAIN_BROKEN);
  }

  @Test
  void recordsCutFromTheEndAreSeenByTheCheckpoint() throws Exception {
    List<String> lines = export();
    lines.remove(5);
    AuditExport.Broken b = broken(lines);
    assertThat(b.failure()).isEqualTo(Failure.AUDIT_CHECKPOINT_MISMATCH);
    assertThat(b.line()).isEqualTo(6);
  }

  @Test
  void anExportWithoutACheckpointIsRefused() throws Exception {
    List<String> lines = export();
    lines.remove(lines.size() - 1);
    assertThat(broken(lines).failure()).isEqualTo(Failure.AUDIT_CHECKPOINT_MISMATCH);
  }

  @Test
  void aCheckpointForAnotherHeadIsRefused() throws Exception {
    List<String> lines = export();
    lines.set(
        6,
        AuditExport.checkpointLine(new AuditCheckpoint(6, records.get(4).hash(), T0).sign(signer)));
    AuditExport.Broken b = broken(lines);
    assertThat(b.line()).isEqualTo(7);
    assertThat(b.failure()).isEqualTo(Failure.AUDIT_CHECKPOINT_MISMATCH);
  }

  @Test
  void aFlippedBitInTheCheckpointSignatureIsRefused() throws Exception {
    List<String> lines = export();
    String line = lines.get(6);
    int sig = line.lastIndexOf('.') + 5;
    char c = line.charAt(sig);
    lines.set(6, line.substring(0, sig) + (c == 'A' ? 'B' : 'A') + line.substring(sig + 1));
    assertThat(broken(lines).failure()).isEqualTo(Failure.SIGNATURE_INVALID);
  }

  @Test
  void aCheckpointSignedByAKeyOutsideThePinnedCaIsRefused() throws Exception {
    ReportFixture other = new ReportFixture("secp256r1");
    List<String> lines = export();
    AuditRecord last = records.get(5);
    lines.set(
        6,
        AuditExport.checkpointLine(
            new AuditCheckpoint(last.seq(), last.hash(), T0)
                .sign(AuditCheckpoint.signer(other.key.getPrivate(), other.chain()))));
    assertThat(broken(lines).failure()).isEqualTo(Failure.CHAIN_UNTRUSTED);
  }

  @Test
  void aTruncatedLineIsMalformed() throws Exception {
    List<String> lines = export();
    lines.set(1, lines.get(1).substring(0, 40));
    AuditExport.Broken b = broken(lines);
    assertThat(b.line()).isEqualTo(2);
    assertThat(b.failure()).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void theHashCoversEveryMemberIncludingNullOnes() {
    AuditRecord a = records.get(0);
    AuditRecord b =
        new AuditRecord(
            a.seq(),
            a.at(),
            new AuditEntry(
                "alice", "admin.change", a.entry().target(), "success", "r0", "10.0.0.1", null),
            a.prev(),
            a.hash());
    assertThat(a.intact()).isTrue();
    assertThat(b.intact()).isFalse();
  }
}
