package dev.vouch.evidence.tpm.eventlog;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the log says about UEFI Secure Boot, read from the {@code EV_EFI_VARIABLE_DRIVER_CONFIG}
 * measurements of the global and image-security-database variables. The values are only as
 * trustworthy as the log: use them after the replay matched quoted PCRs (PCR 7 in particular).
 *
 * @param secureBootEnabled the {@code SecureBoot} variable: true for the single byte 01, false for
 *     another single byte, empty when it was not measured or was measured with other than one byte
 * @param pkPresent {@code PK} was measured with a non-empty value
 * @param kekPresent {@code KEK} was measured with a non-empty value
 * @param dbPresent {@code db} was measured with a non-empty value
 * @param dbxPresent {@code dbx} was measured with a non-empty value
 * @param deployedMode the {@code DeployedMode} variable, when measured as one byte
 * @param auditMode the {@code AuditMode} variable, when measured as one byte
 * @param authorities the {@code EV_EFI_VARIABLE_AUTHORITY} entries (the db certificate or shim and
 *     MOK entries that authorized each loaded image), in log order
 */
public record SecureBootState(
    Optional<Boolean> secureBootEnabled,
    boolean pkPresent,
    boolean kekPresent,
    boolean dbPresent,
    boolean dbxPresent,
    Optional<Boolean> deployedMode,
    Optional<Boolean> auditMode,
    List<EfiVariableEvent> authorities) {

  public SecureBootState {
    Objects.requireNonNull(secureBootEnabled, "secureBootEnabled");
    Objects.requireNonNull(deployedMode, "deployedMode");
    Objects.requireNonNull(auditMode, "auditMode");
    authorities = List.copyOf(authorities);
  }

  static SecureBootState of(List<TcgEvent> events) {
    Optional<Boolean> secureBoot = Optional.empty();
    Optional<Boolean> deployed = Optional.empty();
    Optional<Boolean> audit = Optional.empty();
    boolean pk = false;
    boolean kek = false;
    boolean db = false;
    boolean dbx = false;
    boolean sawSecureBoot = false;
    List<EfiVariableEvent> authorities = new ArrayList<>();
    for (TcgEvent e : events) {
      if (!(e instanceof EfiVariableEvent v)) {
        continue;
      }
      if (v.type() == EventType.EV_EFI_VARIABLE_AUTHORITY.code()) {
        authorities.add(v);
        continue;
      }
      if (v.type() != EventType.EV_EFI_VARIABLE_DRIVER_CONFIG.code()) {
        continue;
      }
      boolean nonEmpty = v.valueLength() > 0;
      // the first SecureBoot measurement is the one firmware made before any OS code ran
      if (!sawSecureBoot && v.is(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot")) {
        sawSecureBoot = true;
        secureBoot = flag(v);
      } else if (v.is(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "PK")) {
        pk |= nonEmpty;
      } else if (v.is(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "KEK")) {
        kek |= nonEmpty;
      } else if (v.is(EfiVariableEvent.EFI_IMAGE_SECURITY_DATABASE, "db")) {
        db |= nonEmpty;
      } else if (v.is(EfiVariableEvent.EFI_IMAGE_SECURITY_DATABASE, "dbx")) {
        dbx |= nonEmpty;
      } else if (v.is(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "DeployedMode")) {
        deployed = flag(v);
      } else if (v.is(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "AuditMode")) {
        audit = flag(v);
      }
    }
    return new SecureBootState(secureBoot, pk, kek, db, dbx, deployed, audit, authorities);
  }

  private static Optional<Boolean> flag(EfiVariableEvent v) {
    byte[] value = v.valueRef();
    return value.length == 1 ? Optional.of(value[0] == 1) : Optional.empty();
  }
}
