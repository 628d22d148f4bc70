package dev.vouch.agent.tpm;

import dev.vouch.core.bytes.ByteReader;

/**
 * A successful response, split into its handle area and parameter area (the authorization area has
 * been checked and dropped).
 */
public record TpmResponse(int[] handles, byte[] parameters) {
  public TpmResponse {
    handles = handles.clone();
    parameters = parameters.clone();
  }

  @Override
  public int[] handles() {
    return handles.clone();
  }

  @Override
  public byte[] parameters() {
    return parameters.clone();
  }

  /** A bounded reader over the parameter area. */
  public ByteReader reader() {
    return ByteReader.bigEndian(parameters);
  }
}
