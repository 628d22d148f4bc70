package dev.vouch.policy.flavor;

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
}
