package dev.vouch.agent.tpm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A Linux TPM character device: {@code /dev/tpmrm0} (kernel resource manager; preferred, it flushes
 * what a closed connection leaves behind) or {@code /dev/tpm0}. The kernel takes one whole command
 * per write and hands back one whole response per read.
 */
public final class DeviceTransport implements TpmTransport {
  private final Path path;
  private final FileChannel channel;

  /** Opens the device for reading and writing. */
  public DeviceTransport(Path path) throws TpmException {
    this.path = path;
    try {
      this.channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw TpmException.transport("cannot open TPM device " + path, e);
    }
  }

  @Override
  public synchronized byte[] transmit(byte[] command) throws TpmException {
    try {
      ByteBuffer cmd = ByteBuffer.wrap(command);
      while (cmd.hasRemaining()) {
        channel.write(cmd);
      }
      ByteBuffer resp = ByteBuffer.allocate(TpmTransport.MAX_RESPONSE);
      long expected = -1;
      while (expected < 0 || resp.position() < expected) {
        if (channel.read(resp) < 0) {
          throw new IOException("device closed after " + resp.position() + " response bytes");
        }
        if (expected < 0 && resp.position() >= CommandBuilder.HEADER_SIZE) {
          expected =
              ResponseFraming.declaredSize(Arrays.copyOf(resp.array(), CommandBuilder.HEADER_SIZE));
        }
      }
      if (resp.position() != expected) {
        throw new IOException(
            "device returned " + resp.position() + " bytes, header says " + expected);
      }
      return Arrays.copyOf(resp.array(), (int) expected);
    } catch (IOException e) {
      throw TpmException.transport("TPM device " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() throws TpmException {
    try {
      channel.close();
    } catch (IOException e) {
      throw TpmException.transport("closing TPM device " + path, e);
    }
  }

  @Override
  public String toString() {
    return "device:" + path;
  }
}
