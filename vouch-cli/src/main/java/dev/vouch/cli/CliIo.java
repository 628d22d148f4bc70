package dev.vouch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.vouch.core.bytes.Hex;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reading inputs and writing outputs the same way in every command. */
final class CliIo {
  /** Larger inputs are refused rather than read into memory. */
  static final long MAX_INPUT_BYTES = 1L << 30;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private CliIo() {}

  /** Bad input: the command prints the message and exits with {@link ExitCodes#BAD_INPUT}. */
  static final class BadInput extends Exception {
    private static final long serialVersionUID = 1L;

    BadInput(String message) {
      super(message);
    }
  }

  /** Reads a whole input file, mapping every problem to a {@link BadInput} with the path. */
  static byte[] read(Path file, String what) throws BadInput {
    try {
      long size = Files.size(file);
      if (size > MAX_INPUT_BYTES) {
        throw new BadInput(what + " " + file + " is larger than " + MAX_INPUT_BYTES + " bytes");
      }
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new BadInput(what + " " + file + " does not exist");
    } catch (IOException e) {
      throw new BadInput(what + " " + file + " cannot be read: " + e.getMessage());
    }
  }

  /** Parses a hex option value such as a nonce. */
  static byte[] hex(String value, String option) throws BadInput {
    if (!Hex.isHex(value)) {
      throw new BadInput(option + " must be an even number of hex digits");
    }
    return Hex.decode(value);
  }

  static void printJson(PrintWriter out, Object document) {
    out.println(new String(json(document), java.nio.charset.StandardCharsets.UTF_8));
    out.flush();
  }

  /** A document as indented JSON, UTF-8. */
  static byte[] json(Object document) {
    try {
      return JSON.writeValueAsBytes(document);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise output", e);
    }
  }
}
