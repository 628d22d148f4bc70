package dev.vouch.agent.tpm;

import static org.junit.jupiter.api.Assertions.fail;

import dev.vouch.core.bytes.ByteReader;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs tpm2-tools as an independent peer and converts between its file formats and ours. */
public final class Tools {
  private Tools() {}

  public record Result(int exitCode, String output) {}

  /** Runs a tool (skipping or failing the test when it is not installed). */
  public static Result run(Path workDir, String... cmd) throws IOException, InterruptedException {
    Swtpm.requireTool(cmd[0]);
    Path log = Files.createTempFile(workDir, "tool-", ".log");
    Process p =
        new ProcessBuilder(cmd)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(cmd[0] + " timed out");
    }
    return new Result(p.exitValue(), Files.readString(log));
  }

  /** A public key as PEM (SubjectPublicKeyInfo), as tpm2_checkquote reads it. */
  public static String pem(PublicKey key) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(key.getEncoded())
        + "\n-----END PUBLIC KEY-----\n";
  }

  /** Verifies a TPMT_SIGNATURE (RSASSA or ECDSA with SHA-256) over {@code message} with the JDK. */
  public static boolean verify(PublicKey key, byte[] message, byte[] tpmtSignature)
      throws Exception {
    ByteReader r = ByteReader.bigEndian(tpmtSignature);
    int alg = r.u16();
    int hash = r.u16();
    if (hash != 0x000B) {
      throw new IllegalArgumentException("test helper handles SHA-256 only");
    }
    Signature s;
    byte[] sig;
    if (alg == 0x0014) {
      s = Signature.getInstance("SHA256withRSA");
      sig = r.sized16();
    } else if (alg == 0x0018) {
      s = Signature.getInstance("SHA256withECDSAinP1363Format");
      byte[] rr = r.sized16();
      byte[] ss = r.sized16();
      int n =
          (((java.security.interfaces.ECPublicKey) key)
                      .getParams()
                      .getCurve()
                      .getField()
                      .getFieldSize()
                  + 7)
              / 8;
      sig = new byte[2 * n];
      copyFixed(rr, sig, 0, n);
      copyFixed(ss, sig, n, n);
    } else {
      throw new IllegalArgumentException("signature algorithm " + alg);
    }
    r.expectEnd("TPMT_SIGNATURE");
    s.initVerify(key);
    s.update(message);
    return s.verify(sig);
  }

  private static void copyFixed(byte[] v, byte[] out, int off, int n) {
    byte[] b = new BigInteger(1, v).toByteArray();
    int len = Math.min(b.length, n);
    System.arraycopy(b, b.length - len, out, off + n - len, len);
  }

  /**
   * PCR values in tpm2-tools' "serialized" form, which tpm2_checkquote reads for any number of PCRs
   * (its "-F values" reader fails above eight): the TPML_PCR_SELECTION and TPML_DIGEST C structs
   * dumped little-endian (16 selection slots of 8 bytes; digest groups of 8 slots of 66 bytes).
   */
  public static byte[] serializedPcrs(PcrSelection selection, List<byte[]> values) {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(4 + 16 * 8 + 4 + ((values.size() + 7) / 8) * (4 + 8 * 66))
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.putInt(1);
    byte[] map = selection.bitmap();
    b.putShort((short) selection.bank().tpmId()).put((byte) map.length);
    b.put(java.util.Arrays.copyOf(map, 4)).put((byte) 0);
    b.position(4 + 16 * 8);
    int groups = (values.size() + 7) / 8;
    b.putInt(groups);
    for (int g = 0; g < groups; g++) {
      int start = b.position();
      int n = Math.min(8, values.size() - g * 8);
      b.putInt(n);
      for (int i = 0; i < n; i++) {
        byte[] v = values.get(g * 8 + i);
        b.position(start + 4 + i * 66);
        b.putShort((short) v.length).put(v);
      }
      b.position(start + 4 + 8 * 66);
    }
    return b.array();
  }

  /**
   * The tpm2-tools credential file: magic BADCC0DE, version 1, TPM2B_ID_OBJECT,
   * TPM2B_ENCRYPTED_SECRET.
   */
  public static List<byte[]> readCredentialFile(byte[] file) throws Exception {
    ByteReader r = ByteReader.bigEndian(file);
    if (r.u32() != 0xBADCC0DEL || r.u32() != 1) {
      throw new IllegalArgumentException("not a tpm2-tools credential file");
    }
    List<byte[]> parts = new ArrayList<>();
    parts.add(r.sized16());
    parts.add(r.sized16());
    r.expectEnd("credential file");
    return parts;
  }
}
