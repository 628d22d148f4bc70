package dev.vouch.agent.tpm;

/**
 * TPMS_TIME_INFO as TPM2_ReadClock returns it.
 *
 * @param time milliseconds since the last TPM reset or power-on
 * @param clock milliseconds the TPM has been powered over its life (since TPM2_Clear)
 * @param resetCount TPM resets (machine reboots) since the last TPM2_Clear
 * @param restartCount restarts and resumes since the last reset
 * @param safe whether {@code clock} can never have been reported higher before
 */
public record ClockInfo(long time, long clock, long resetCount, long restartCount, boolean safe) {}
