package dev.vouch.evidence;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads a folder of collateral: every regular file in it, in name order, as raw bytes. Nothing is
 * chosen by file name: each verifier recognises what it needs by content (see {@link
 * Expectations#collateral()}). {@code vouch verify --collateral} and {@code vouch server
 * --collateral} both read folders here, so that both see the same files.
 */
public final class CollateralFolder {
  private CollateralFolder() {}

  /**
   * The files of {@code dir}.
   *
   * @throws IOException when {@code dir} is not a readable directory or a file cannot be read
   */
  public static List<byte[]> read(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IOException(dir + " is not a directory");
    }
    List<byte[]> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        out.add(Files.readAllBytes(f));
      }
    }
    return out;
  }
}
