package dev.vouch.policy.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The export form of the audit log, one JSON document per line: every record from the first, in
 * order, then the signed checkpoints as {@code {"checkpoint":"<JWS>"}}, the last of which names the
 * last record. {@link #verify} is what {@code vouch audit verify} runs.
 */
public final class AuditExport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private AuditExport() {}

  /** The line a checkpoint takes in an export. */
  public static String checkpointLine(String jws) {
    return JSON.createObjectNode().put("checkpoint", jws).toString();
  }

  /**
   * An export that checked out.
   *
   * @param records how many records
   * @param head the last record's hash
   * @param checkpoints how many signed checkpoints matched
   * @param anchored whether the checkpoints' signer chains to a root the caller gave
   */
  public record Intact(long records, String head, int checkpoints, boolean anchored) {}

  /** Where an export breaks: the 1-based line and why. */
  public static final class Broken extends Exception {
    private final int line;
    private final Failure failure;

    Broken(int line, Failure failure, String message) {
      super("line " + line + ": " + failure.code() + ": " + message);
      this.line = line;
      this.failure = failure;
    }

    public int line() {
      return line;
    }

    public Failure failure() {
      return failure;
    }
  }

  /**
   * Checks an export: each record's hash, that each follows the one before (sequence and {@code
   * prev}), and that every checkpoint is signed and names the hash at its position, the last one
   * the last record (so that records cut from the end are seen too).
   *
   * @param roots the reporting CA to pin the checkpoints' signer to; empty to check the signature
   *     against the chain the checkpoint carries ({@link Intact#anchored} is then false)
   * @throws Broken naming the first line that does not check out
   */
  public static Intact verify(List<String> lines, List<X509Certificate> roots, Instant at)
      throws Broken {
    AuditRecord last = null;
    Map<Long, String> hashes = new HashMap<>();
    // an empty log's checkpoint signs the start
    hashes.put(0L, AuditRecord.GENESIS);
    List<String> checkpoints = new ArrayList<>();
    List<Integer> checkpointLines = new ArrayList<>();
    int n = 0;
    for (String raw : lines) {
      n++;
      if (raw.isBlank()) {
        continue;
      }
      JsonNode o;
      try {
        o = JSON.readTree(raw);
      } catch (IOException e) {
        throw new Broken(n, Failure.MALFORMED, "not JSON");
      }
      if (o != null && o.has("checkpoint")) {
        if (!o.get("checkpoint").isTextual()) {
          throw new Broken(n, Failure.MALFORMED, "a checkpoint is a JWS string");
        }
        checkpoints.add(o.get("checkpoint").textValue());
        checkpointLines.add(n);
        continue;
      }
      if (!checkpoints.isEmpty()) {
        throw new Broken(n, Failure.AUDIT_CHAIN_BROKEN, "a record after the checkpoints");
      }
      AuditRecord r;
      try {
        r = AuditRecord.fromJson(o == null ? JSON.nullNode() : o);
      } catch (VerificationException e) {
        throw new Broken(n, e.failure(), e.getMessage());
      }
      if (!r.intact()) {
        throw new Broken(
            n, Failure.AUDIT_RECORD_ALTERED, "record " + r.seq() + " differs from its hash");
      }
      long expected = last == null ? 1 : last.seq() + 1;
      String prev = last == null ? AuditRecord.GENESIS : last.hash();
      if (r.seq() != expected || !r.prev().equals(prev)) {
        throw new Broken(
            n,
            Failure.AUDIT_CHAIN_BROKEN,
            "record "
                + r.seq()
                + " does not follow "
                + (last == null ? "the start of the log" : "record " + last.seq())
                + " (a record was removed, inserted or moved)");
      }
      hashes.put(r.seq(), r.hash());
      last = r;
    }
    if (checkpoints.isEmpty()) {
      throw new Broken(
          n, Failure.AUDIT_CHECKPOINT_MISMATCH, "no signed checkpoint: the end cannot be shown");
    }
    boolean anchored = true;
    AuditCheckpoint newest = null;
    for (int i = 0; i < checkpoints.size(); i++) {
      int line = checkpointLines.get(i);
      AuditCheckpoint.Verified v;
      try {
        v = AuditCheckpoint.verify(checkpoints.get(i), roots, at);
      } catch (VerificationException e) {
        throw new Broken(line, e.failure(), e.getMessage());
      }
      AuditCheckpoint c = v.checkpoint();
      anchored &= v.anchored();
      if (!c.head().equals(hashes.get(c.seq()))) {
        throw new Broken(
            line,
            Failure.AUDIT_CHECKPOINT_MISMATCH,
            "the checkpoint signs record " + c.seq() + " with another hash than the records have");
      }
      if (newest == null || c.seq() > newest.seq()) {
        newest = c;
      }
    }
    long lastSeq = last == null ? 0 : last.seq();
    if (newest.seq() != lastSeq) {
      throw new Broken(
          checkpointLines.get(checkpointLines.size() - 1),
          Failure.AUDIT_CHECKPOINT_MISMATCH,
          "the newest checkpoint is at record " + newest.seq() + ", the records end at " + lastSeq);
    }
    return new Intact(lastSeq, newest.head(), checkpoints.size(), anchored);
  }
}
