package dev.vouch.agent.tpm;

/**
 * Identity of a TPM from its fixed properties (TPM2_GetCapability, TPM_PROPERTIES).
 *
 * @param family TPM_PT_FAMILY_INDICATOR, e.g. "2.0"
 * @param manufacturer TPM_PT_MANUFACTURER as its four ASCII characters, e.g. "IBM"
 * @param manufacturerId the raw TPM_PT_MANUFACTURER value (TCG vendor id)
 * @param vendorString TPM_PT_VENDOR_STRING_1..4 concatenated
 * @param firmwareVersion1 TPM_PT_FIRMWARE_VERSION_1
 * @param firmwareVersion2 TPM_PT_FIRMWARE_VERSION_2
 * @param specRevision TPM_PT_REVISION (e.g. 164 for 1.64)
 * @param nvBufferMax TPM_PT_NV_BUFFER_MAX, the largest NV read or write
 */
public record TpmInfo(
    String family,
    String manufacturer,
    long manufacturerId,
    String vendorString,
    long firmwareVersion1,
    long firmwareVersion2,
    long specRevision,
    int nvBufferMax) {

  /** The firmware version as four numbers, as vendors usually print it. */
  public String firmwareVersion() {
    return String.format(
        "%d.%d.%d.%d",
        firmwareVersion1 >>> 16,
        firmwareVersion1 & 0xFFFF,
        firmwareVersion2 >>> 16,
        firmwareVersion2 & 0xFFFF);
  }
}
