package dev.vouch.evidence.tpm.eventlog;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the log says about UEFI Secure Boot. Every fact is read from {@code
 * EV_EFI_VARIABLE_DRIVER_CONFIG} entries on PCR 7 whose digests were checked against their data
 * ({@link TcgEventLog#digestChecked}); an entry that fails the check, sits on another PCR or has
 * another type is ignored, so a forged value reads as absent rather than as the forger wished. The
 * facts are then only as trustworthy as PCR 7: use them after PCR 7 replayed to a quoted value
 * ({@code TpmEvidenceVerifier} emits them only then).
 *
 * <p>Per fact, the events it comes from and how they are bound:
 *
 * <ul>
 *   <li>{@code secureBootEnabled}: the first checked PCR 7 driver-config measurement of {@code
 *       SecureBoot} under {@code EFI_GLOBAL_VARIABLE} (firmware measures it before any OS code);
 *       bound by its digest = H(data) and PCR 7's replay;
 *   <li>{@code pkPresent}, {@code kekPresent}: the checked PCR 7 driver-config measurements of
 *       {@code PK} and {@code KEK} under {@code EFI_GLOBAL_VARIABLE}; same binding;
 *   <li>{@code dbPresent}, {@code dbxPresent}: the checked PCR 7 driver-config measurements of
 *       {@code db} and {@code dbx} under {@code EFI_IMAGE_SECURITY_DATABASE}; same binding;
 *   <li>{@code deployedMode}, {@code auditMode}: the checked PCR 7 driver-config measurements of
 *       {@code DeployedMode} and {@code AuditMode} under {@code EFI_GLOBAL_VARIABLE}; same binding;
 *   <li>{@code authorities}: the PCR 7 {@code EV_EFI_VARIABLE_AUTHORITY} entries, for display only:
 *       their digests are not checked ({@link DigestBinding#DEVIATES}: shim and some firmware hash
 *       other bytes), so no claim is derived from them.
 * </ul>
 *
 * @param secureBootEnabled the {@code SecureBoot} variable: true for the single byte 01, false for
 *     another single byte, empty when no checked entry measured it or it was measured with other
 *     than one byte
 * @param pkPresent {@code PK} was measured with a non-empty value
 * @param kekPresent {@code KEK} was measured with a non-empty value
 * @param dbPresent {@code db} was measured with a non-empty value
 * @param dbxPresent {@code dbx} was measured with a non-empty value
 * @param deployedMode the {@code DeployedMode} variable, when measured as one byte
 * @param auditMode the {@code AuditMode} variable, when measured as one byte
 * @param authorities the PCR 7 {@code EV_EFI_VARIABLE_AUTHORITY} entries (the db certificate or
 *     shim and MOK entries that authorized each loaded image), in log order; digests unchecked
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

  /** The register UEFI measures its Secure Boot policy into. */
  public static final int PCR = 7;

  public SecureBootState {
    Objects.requireNonNull(secureBootEnabled, "secureBootEnabled");
    Objects.requireNonNull(deployedMode, "deployedMode");
    Objects.requireNonNull(auditMode, "auditMode");
    authorities = List.copyOf(authorities);
  }

  static SecureBootState of(TcgEventLog log) {
    Optional<Boolean> secureBoot = Optional.empty();
    Optional<Boolean> deployed = Optional.empty();
    Optional<Boolean> audit = Optional.empty();
    boolean pk = false;
    boolean kek = false;
    boolean db = false;
    boolean dbx = false;
    boolean sawSecureBoot = false;
    List<EfiVariableEvent> authorities = new ArrayList<>();
    for (TcgEvent e : log.events()) {
      if (!(e instanceof EfiVariableEvent v) || v.pcr() != PCR) {
        continue;
      }
      if (v.type() == EventType.EV_EFI_VARIABLE_AUTHORITY.code()) {
        authorities.add(v);
        continue;
      }
      if (v.type() != EventType.EV_EFI_VARIABLE_DRIVER_CONFIG.code()) {
        continue;
      }
      boolean checked = log.digestChecked(v);
      boolean nonEmpty = v.valueLength() > 0;
      // the first SecureBoot measurement is the one firmware made before any OS code ran; when it
      // fails its check, a later one must not stand in for it
      if (!sawSecureBoot && v.is(EfiVariableEvent.EFI_GLOBAL_VARIABLE, "SecureBoot")) {
        sawSecureBoot = true;
        secureBoot = checked ? flag(v) : Optional.empty();
      } else if (!checked) {
        continue;
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
