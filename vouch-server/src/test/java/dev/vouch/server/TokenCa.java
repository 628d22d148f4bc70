package dev.vouch.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A root and an issuing CA for token {@code x5c} tests, made by the {@code openssl} tool (an
 * independent peer: the server must read the PEM files OpenSSL writes). P-256 keys, PKCS#8 PEM.
 *
 * @param rootCert the root certificate relying parties pin
 * @param caCert the issuing CA's certificate (issued by the root)
 * @param caKey the issuing CA's private key
 * @param rootKey the root's private key (a key that does not match {@code caCert})
 */
public record TokenCa(Path rootCert, Path caCert, Path caKey, Path rootKey) {

  /** Makes the pair under {@code dir}. */
  public static TokenCa make(Path dir) throws IOException, InterruptedException {
    Path rootKey = dir.resolve("root.key");
    Path rootCert = dir.resolve("root.pem");
    Path caKey = dir.resolve("ca.key");
    Path csr = dir.resolve("ca.csr");
    Path caCert = dir.resolve("ca.pem");
    Path ext =
        Files.writeString(
            dir.resolve("ca.ext"),
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n");
    newKey(
        dir,
        rootKey,
        rootCert,
        "-x509",
        "-subj",
        "/CN=token root",
        "-days",
        "30",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign");
    newKey(dir, caKey, csr, "-new", "-subj", "/CN=token issuing CA");
    openssl(
        dir,
        "x509",
        "-req",
        "-in",
        csr.toString(),
        "-CA",
        rootCert.toString(),
        "-CAkey",
        rootKey.toString(),
        "-set_serial",
        "2",
        "-days",
        "30",
        "-extfile",
        ext.toString(),
        "-out",
        caCert.toString());
    return new TokenCa(rootCert, caCert, caKey, rootKey);
  }

  /** {@code openssl req} with a new P-256 key: a self-signed certificate or a request. */
  private static void newKey(Path dir, Path key, Path out, String... more)
      throws IOException, InterruptedException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                out.toString()));
    args.addAll(List.of(more));
    openssl(dir, args.toArray(String[]::new));
  }

  private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("openssl.log").toFile())
            .start();
    if (p.waitFor() != 0) {
      throw new IOException(
          "openssl " + args[0] + " failed: " + Files.readString(dir.resolve("openssl.log")));
    }
  }
}
