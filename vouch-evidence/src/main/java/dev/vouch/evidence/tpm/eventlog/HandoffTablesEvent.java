package dev.vouch.evidence.tpm.eventlog;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code EV_EFI_HANDOFF_TABLES} or {@code EV_EFI_HANDOFF_TABLES2}: configuration tables handed to
 * the OS (e.g. SMBIOS, ACPI).
 *
 * @param description the TABLES2 description, empty for the older form
 */
public record HandoffTablesEvent(
    EventHeader header, Optional<String> description, List<ConfigurationTable> tables)
    implements TcgEvent {

  public HandoffTablesEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(description, "description");
    tables = List.copyOf(tables);
  }

  /** One {@code EFI_CONFIGURATION_TABLE}: vendor GUID and table address. */
  public record ConfigurationTable(UUID vendorGuid, long address) {
    public ConfigurationTable {
      Objects.requireNonNull(vendorGuid, "vendorGuid");
    }
  }
}
