package dev.vouch.agent.kbs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.VerificationException;
import dev.vouch.evidence.snp.SnpCertTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * TDX and SEV-SNP evidence through Linux configfs-tsm ({@code /sys/kernel/config/tsm/report}): make
 * a report entry (a directory), check its {@code provider}, write the 64-byte report data to {@code
 * inblob}, read {@code outblob} (the TDX quote or the SNP report) and, for SNP, {@code auxblob}
 * (the certificate table), check that {@code generation} counted exactly our one write (another
 * writer to the same entry would have changed it), and remove the entry.
 *
 * <p>Evidence shapes: {@code tdx} → {@code {"quote": base64, "cc_eventlog": base64|null}} (the CCEL
 * ACPI table when readable); {@code snp} → {@code {"attestation_report": base64, "cert_chain":
 * [{"cert_type": "VCEK"|"ASK"|"ARK"|..., "data": [bytes]}] | null}} in Trustee's shape, the chain
 * being the host's certificate table ({@link SnpCertTable}) so that the verifier needs no AMD KDS
 * lookup (it still checks the chain to its pinned ARK); null when the host supplied none.
 */
public final class TsmEvidenceProvider implements EvidenceProvider {
  /** Where configfs-tsm reports live on a guest. */
  public static final Path DEFAULT_ROOT = Path.of("/sys/kernel/config/tsm/report");

  /** Where the TDX CC event log (ACPI CCEL table data) is exposed. */
  public static final Path DEFAULT_CCEL = Path.of("/sys/firmware/acpi/tables/data/CCEL");

  private static final int REPORT_DATA_BYTES = 64;

  private final Path root;
  private final String tee;
  private final Optional<Path> ccel;
  private final SecureRandom random = new SecureRandom();
  private final Fs fs;

  /**
   * The file operations on configfs. On a guest each operation is the plain file call and the
   * kernel does the rest (populating an entry on mkdir, producing outblob and counting generation
   * on an inblob write); tests put a simulation of that behaviour over a temporary directory.
   */
  interface Fs {
    void mkdir(Path p) throws IOException;

    byte[] read(Path p) throws IOException;

    boolean exists(Path p);

    void write(Path p, byte[] b) throws IOException;

    void rmdir(Path p) throws IOException;

    Fs REAL =
        new Fs() {
          @Override
          public void mkdir(Path p) throws IOException {
            Files.createDirectory(p);
          }

          @Override
          public byte[] read(Path p) throws IOException {
            return Files.readAllBytes(p);
          }

          @Override
          public boolean exists(Path p) {
            return Files.exists(p);
          }

          @Override
          public void write(Path p, byte[] b) throws IOException {
            Files.write(p, b);
          }

          @Override
          public void rmdir(Path p) throws IOException {
            Files.deleteIfExists(p);
          }
        };
  }

  /**
   * @param root the configfs-tsm report directory
   * @param tee {@code tdx} or {@code snp}
   * @param ccel the TDX CC event log to attach, if any
   */
  public TsmEvidenceProvider(Path root, String tee, Optional<Path> ccel) {
    this(root, tee, ccel, Fs.REAL);
  }

  TsmEvidenceProvider(Path root, String tee, Optional<Path> ccel, Fs fs) {
    this.fs = fs;
    if (!tee.equals("tdx") && !tee.equals("snp")) {
      throw new IllegalArgumentException("configfs-tsm serves tdx or snp, not " + tee);
    }
    this.root = root;
    this.tee = tee;
    this.ccel = ccel;
  }

  /** True when this machine has configfs-tsm. */
  public static boolean available(Path root) {
    return Files.isDirectory(root);
  }

  @Override
  public String tee() {
    return tee;
  }

  @Override
  public JsonNode evidence(byte[] bindingDigest) throws EvidenceException {
    if (bindingDigest.length > REPORT_DATA_BYTES) {
      throw new EvidenceException("binding digest longer than the 64-byte report data");
    }
    byte[] inblob = Arrays.copyOf(bindingDigest, REPORT_DATA_BYTES);
    byte[] name = new byte[8];
    random.nextBytes(name);
    Path entry = root.resolve("vouch-" + HexFormat.of().formatHex(name));
    try {
      fs.mkdir(entry);
      try {
        String provider = readText(entry.resolve("provider"));
        String expected = tee.equals("tdx") ? "tdx_guest" : "sev_guest";
        if (!provider.equals(expected)) {
          throw new EvidenceException(
              "configfs-tsm provider is " + provider + ", not " + expected + " for " + tee);
        }
        long before = generation(entry);
        fs.write(entry.resolve("inblob"), inblob);
        byte[] out = fs.read(entry.resolve("outblob"));
        Optional<byte[]> aux =
            tee.equals("snp") && fs.exists(entry.resolve("auxblob"))
                ? Optional.of(fs.read(entry.resolve("auxblob")))
                : Optional.empty();
        long after = generation(entry);
        if (after != before + 1) {
          throw new EvidenceException(
              "configfs-tsm entry was written concurrently (generation "
                  + before
                  + " -> "
                  + after
                  + "); retry");
        }
        if (out.length == 0) {
          throw new EvidenceException("configfs-tsm returned an empty report");
        }
        return shape(out, aux);
      } finally {
        fs.rmdir(entry);
      }
    } catch (IOException e) {
      throw new EvidenceException("configfs-tsm: " + e.getMessage(), e);
    }
  }

  private JsonNode shape(byte[] out, Optional<byte[]> aux) throws IOException, EvidenceException {
    Base64.Encoder b64 = Base64.getEncoder();
    ObjectNode n = JsonNodeFactory.instance.objectNode();
    if (tee.equals("tdx")) {
      n.put("quote", b64.encodeToString(out));
      if (ccel.isPresent() && Files.isReadable(ccel.get())) {
        n.put("cc_eventlog", b64.encodeToString(Files.readAllBytes(ccel.get())));
      } else {
        n.putNull("cc_eventlog");
      }
    } else {
      n.put("attestation_report", b64.encodeToString(out));
      List<SnpCertTable.Entry> certs;
      try {
        certs = SnpCertTable.parse(aux.orElse(new byte[0]));
      } catch (VerificationException e) {
        // the host filled the table; a broken one is reported, not silently dropped
        throw new EvidenceException("configfs-tsm auxblob: " + e.getMessage(), e);
      }
      if (certs.isEmpty()) {
        n.putNull("cert_chain");
      } else {
        ArrayNode chain = n.putArray("cert_chain");
        for (SnpCertTable.Entry c : certs) {
          ObjectNode entry = chain.addObject();
          // the sev crate's serde shape, which Trustee's verifier reads: unit variants as
          // strings, OTHER(guid) as an object, the bytes as an array of numbers
          if (c.kind().equals("OTHER")) {
            entry.putObject("cert_type").put("OTHER", c.guid());
          } else {
            entry.put("cert_type", c.kind());
          }
          ArrayNode data = entry.putArray("data");
          for (byte b : c.data()) {
            data.add(b & 0xff);
          }
        }
      }
    }
    return n;
  }

  private long generation(Path entry) throws IOException, EvidenceException {
    String g = readText(entry.resolve("generation"));
    try {
      return Long.parseLong(g);
    } catch (NumberFormatException e) {
      throw new EvidenceException("configfs-tsm generation is not a number: " + g);
    }
  }

  private String readText(Path p) throws IOException {
    return new String(fs.read(p), StandardCharsets.US_ASCII).strip();
  }
}
