package dev.vouch.agent.tpm;

import java.util.ArrayList;
import java.util.List;

/**
 * Marshals one TPM 2.0 command: header (tag TPM_ST_NO_SESSIONS or TPM_ST_SESSIONS, size, command
 * code), handle area, authorization area and parameter area (TPM 2.0 Part 1, section 18).
 *
 * <p>Handles, authorizations and parameters may be added in any order; {@link #build()} lays them
 * out as the specification requires. The tag follows from whether any authorization was added.
 */
public final class CommandBuilder {
  static final int TPM_ST_NO_SESSIONS = 0x8001;
  static final int TPM_ST_SESSIONS = 0x8002;
  static final int HEADER_SIZE = 10;

  private final CommandCode command;
  private final TpmWriter handles = new TpmWriter();
  private final List<SessionAuth> sessions = new ArrayList<>();
  private final TpmWriter parameters = new TpmWriter();

  private CommandBuilder(CommandCode command) {
    this.command = command;
  }

  public static CommandBuilder command(CommandCode command) {
    return new CommandBuilder(command);
  }

  public CommandCode commandCode() {
    return command;
  }

  /** Appends a handle to the handle area. */
  public CommandBuilder handle(int handle) {
    handles.u32(handle);
    return this;
  }

  /** Appends an authorization, in the order of the handles that need one. */
  public CommandBuilder auth(SessionAuth auth) {
    sessions.add(auth);
    return this;
  }

  /** The number of authorizations added, i.e. of sessions the response carries back. */
  public int sessionCount() {
    return sessions.size();
  }

  public CommandBuilder u8(int v) {
    parameters.u8(v);
    return this;
  }

  public CommandBuilder u16(int v) {
    parameters.u16(v);
    return this;
  }

  public CommandBuilder u32(long v) {
    parameters.u32(v);
    return this;
  }

  /** Raw parameter bytes, already marshalled. */
  public CommandBuilder bytes(byte[] b) {
    parameters.bytes(b);
    return this;
  }

  /** A TPM2B parameter: 16-bit size, then the bytes. */
  public CommandBuilder tpm2b(byte[] b) {
    parameters.tpm2b(b);
    return this;
  }

  /** The complete command bytes. */
  public byte[] build() {
    TpmWriter auth = new TpmWriter();
    for (SessionAuth s : sessions) {
      s.writeTo(auth);
    }
    int size =
        HEADER_SIZE
            + handles.size()
            + (sessions.isEmpty() ? 0 : 4 + auth.size())
            + parameters.size();
    TpmWriter w = new TpmWriter();
    w.u16(sessions.isEmpty() ? TPM_ST_NO_SESSIONS : TPM_ST_SESSIONS).u32(size).u32(command.code());
    w.bytes(handles.toByteArray());
    if (!sessions.isEmpty()) {
      w.u32(auth.size()).bytes(auth.toByteArray());
    }
    w.bytes(parameters.toByteArray());
    return w.toByteArray();
  }
}
