package dev.vouch.evidence.tpm.eventlog;

import java.util.Objects;
import java.util.UUID;

/**
 * A measured UEFI variable ({@code UEFI_VARIABLE_DATA}) from {@code EV_EFI_VARIABLE_DRIVER_CONFIG},
 * {@code EV_EFI_VARIABLE_BOOT}, {@code EV_EFI_VARIABLE_BOOT2} or {@code EV_EFI_VARIABLE_AUTHORITY}.
 *
 * @param vendorGuid the variable's vendor GUID
 * @param name the variable name (UTF-16LE in the log)
 * @param value the variable data; empty when the variable does not exist
 */
public record EfiVariableEvent(EventHeader header, UUID vendorGuid, String name, byte[] value)
    implements TcgEvent {

  /** {@code EFI_GLOBAL_VARIABLE}: SecureBoot, PK, KEK, DeployedMode, AuditMode, Boot####. */
  public static final UUID EFI_GLOBAL_VARIABLE =
      UUID.fromString("8be4df61-93ca-11d2-aa0d-00e098032b8c");

  /** {@code EFI_IMAGE_SECURITY_DATABASE_GUID}: db, dbx, dbt, dbr. */
  public static final UUID EFI_IMAGE_SECURITY_DATABASE =
      UUID.fromString("d719b2cb-3d3a-4596-a3bc-dad00e67656f");

  public EfiVariableEvent {
    Objects.requireNonNull(header, "header");
    Objects.requireNonNull(vendorGuid, "vendorGuid");
    Objects.requireNonNull(name, "name");
    value = value.clone();
  }

  @Override
  public byte[] value() {
    return value.clone();
  }

  public int valueLength() {
    return value.length;
  }

  /** True when this is the variable {@code name} under {@code guid}. */
  public boolean is(UUID guid, String variableName) {
    return vendorGuid.equals(guid) && name.equals(variableName);
  }

  /** Value bytes without copying, for the secure-boot summary. */
  byte[] valueRef() {
    return value;
  }
}
