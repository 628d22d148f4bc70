package dev.vouch.agent.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.agent.tpm.PcrSelection;
import dev.vouch.agent.tpm.TpmClient;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.protocol.SoftwareMeasurement;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Measures the files of a software manifest into SHA-256 PCR 15, one logged measurement per file,
 * as ISecL's application integrity does at boot: the verifier replays the log against the quoted
 * PCR 15, so a file changed before the measurement shows in the log under its path.
 *
 * <p>The manifest is text: one absolute path a line, {@code #} comments and blank lines ignored. A
 * directory stands for every regular file below it, in path order (symbolic links are not
 * followed). A path that is not a readable file is logged with {@link SoftwareMeasurement#ABSENT}.
 *
 * <p>The log lives as long as the boot: while PCR 15 is at its reset value the kept log is from an
 * earlier boot and is started afresh; otherwise new measurements are appended to it, so an agent
 * started again in the same boot measures the files again after the earlier ones.
 */
public final class SoftwareMeasurer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SoftwareMeasurer() {}

  /**
   * Measures {@code manifest} into {@code tpm} and writes the boot's whole log to {@code log}.
   *
   * @return the measurements added now
   * @throws IOException when the manifest or the kept log cannot be read or the log written
   * @throws TpmException when PCR 15 cannot be read or extended
   */
  public static List<SoftwareMeasurement> measure(TpmClient tpm, Path manifest, Path log)
      throws IOException, TpmException {
    List<Path> files = files(manifest);
    byte[] pcr15 =
        tpm.pcrRead(
                List.of(
                    new PcrSelection(
                        HashAlg.SHA256, new TreeSet<>(List.of(SoftwareMeasurement.PCR)))))
            .get(HashAlg.SHA256, SoftwareMeasurement.PCR)
            .orElseThrow(() -> new IOException("the TPM has no SHA-256 PCR 15"));
    List<SoftwareMeasurement> out = new ArrayList<>();
    if (!Arrays.equals(pcr15, new byte[pcr15.length])) {
      out.addAll(read(log));
    }
    List<SoftwareMeasurement> added = new ArrayList<>();
    for (Path f : files) {
      added.add(new SoftwareMeasurement(f.toString(), digest(f)));
    }
    // logged before extending: a crash between the two leaves a log that does not replay, which
    // the verifier refuses, never an extend the log does not explain silently accepted
    out.addAll(added);
    write(log, out);
    for (SoftwareMeasurement m : added) {
      tpm.pcrExtend(SoftwareMeasurement.PCR, Map.of(HashAlg.SHA256, m.sha256()));
    }
    return List.copyOf(added);
  }

  /** The boot's log as kept at {@code log}; empty when there is none. */
  public static List<SoftwareMeasurement> read(Path log) throws IOException {
    if (!Files.exists(log)) {
      return List.of();
    }
    try {
      JsonNode node = JSON.readTree(Files.readAllBytes(log));
      return SoftwareMeasurement.fromJson(node);
    } catch (VerificationException | com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException("software measurement log " + log + " is not readable", e);
    }
  }

  /** The files the manifest names, directories expanded, in manifest order. */
  static List<Path> files(Path manifest) throws IOException {
    List<Path> out = new ArrayList<>();
    for (String line : Files.readAllLines(manifest, StandardCharsets.UTF_8)) {
      String entry = line.strip();
      if (entry.isEmpty() || entry.startsWith("#")) {
        continue;
      }
      Path p = Path.of(entry);
      if (!p.isAbsolute()) {
        throw new IOException("software manifest " + manifest + ": not an absolute path: " + entry);
      }
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        try (Stream<Path> walk = Files.walk(p)) {
          walk.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
              .sorted()
              .forEach(out::add);
        }
      } else {
        out.add(p);
      }
      if (out.size() > SoftwareMeasurement.MAX_ENTRIES) {
        throw new IOException(
            "software manifest " + manifest + " names over " + SoftwareMeasurement.MAX_ENTRIES);
      }
    }
    return out;
  }

  private static byte[] digest(Path f) throws IOException {
    if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || !Files.isReadable(f)) {
      return SoftwareMeasurement.ABSENT;
    }
    MessageDigest md = HashAlg.SHA256.newDigest();
    try (InputStream in = Files.newInputStream(f)) {
      byte[] buf = new byte[64 * 1024];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return md.digest();
  }

  private static void write(Path log, List<SoftwareMeasurement> all) throws IOException {
    Path dir = log.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".software", ".json");
    Files.write(tmp, JSON.writeValueAsBytes(SoftwareMeasurement.toJson(all)));
    Files.move(tmp, log, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
