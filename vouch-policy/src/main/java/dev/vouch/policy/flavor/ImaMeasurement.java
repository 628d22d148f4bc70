package dev.vouch.policy.flavor;

import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.tpm.ima.ImaEntry;
import dev.vouch.evidence.tpm.ima.ImaLog;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A file IMA measured and its digest (lower-case hex), as an IMA flavor lists it.
 *
 * @param file the path, or {@code boot_aggregate}
 * @param measurement the file digest
 */
public record ImaMeasurement(String file, String measurement) {
  public ImaMeasurement {
    Objects.requireNonNull(file, "file");
    measurement = measurement.toLowerCase(Locale.ROOT);
  }

  /**
   * The file measurements of the first {@code quotedEntries} entries of an IMA list (those the
   * quoted PCR 10 covers; {@code tpm.ima.quoted_entries}). Entries without a file digest ({@code
   * ima-buf}) are left out; violations keep their all-zero digest, so that an IMA flavor never
   * matches a log with a violation where the flavor had a real file.
   */
  public static List<ImaMeasurement> fromLog(ImaLog log, int quotedEntries) {
    List<ImaMeasurement> out = new ArrayList<>();
    for (ImaEntry e : log.prefix(Math.min(quotedEntries, log.size())).entries()) {
      if (e.fileDigest().isPresent() && !e.fileName().isEmpty()) {
        out.add(new ImaMeasurement(e.fileName(), Hex.encode(e.fileDigest().get().value())));
      }
    }
    return out;
  }
}
