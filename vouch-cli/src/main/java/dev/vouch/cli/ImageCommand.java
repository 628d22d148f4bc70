package dev.vouch.cli;

import dev.vouch.agent.image.DockerReference;
import dev.vouch.agent.image.ImageDecryptor;
import dev.vouch.agent.image.ImageEncryptor;
import dev.vouch.agent.image.ImageSignatureVerifier;
import dev.vouch.agent.image.OciRef;
import dev.vouch.agent.image.PrivateKeyFile;
import dev.vouch.agent.image.SignaturePolicy;
import dev.vouch.agent.image.SignedImage;
import dev.vouch.agent.kbs.EvidenceException;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.agent.kbs.ResourceUri;
import dev.vouch.agent.tpm.TpmException;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vouch image ...}: encrypted container images. */
@Command(
    name = "image",
    description =
        "Encrypt, decrypt and verify OCI images (ocicrypt JWE recipients, CoCo key provider,"
            + " sigstore signature policy).",
    subcommands = {
      ImageCommand.Decrypt.class,
      ImageCommand.Encrypt.class,
      ImageCommand.Verify.class
    })
final class ImageCommand extends CommandGroup {

  /**
   * {@code vouch image decrypt (--key-file PEM | --url KBS --key-resource R/T/T) oci:SRC[:TAG]
   * oci:DST[:TAG]}: decrypts every encrypted layer with the JWE private key, from a file or
   * released by the KBS after attestation, and writes a plain layout. Exit 0 done; 1 the image does
   * not decrypt or verify, or the KBS refused; 2 bad input; 3 TPM, network or disk trouble. On any
   * failure nothing is written at DST.
   */
  @Command(
      name = "decrypt",
      mixinStandardHelpOptions = true,
      description = "Decrypt an ocicrypt-encrypted OCI layout into a new plain layout.")
  static final class Decrypt implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "oci:SRC[:TAG]", description = "Encrypted layout.")
    String src;

    @Parameters(
        index = "1",
        paramLabel = "oci:DST[:TAG]",
        description = "New layout to write; must not exist, or be an empty directory.")
    String dst;

    @Option(
        names = "--key-file",
        paramLabel = "PEM",
        description = "Private key the image was encrypted to (PKCS#8 or PKCS#1 PEM; RSA or EC).")
    Path keyFile;

    @Option(
        names = "--kek-file",
        paramLabel = "FILE",
        description =
            "32-byte key-encryption key for key-provider (attestation-agent) layers, offline.")
    Path kekFile;

    @Option(
        names = "--url",
        description =
            "KBS base URL: after attestation, fetch the private key (--key-resource) or the"
                + " key-encryption keys the layers' key-provider annotations name.")
    URI url;

    @Option(
        names = "--key-resource",
        paramLabel = "REPO/TYPE/TAG",
        description =
            "KBS resource holding the PEM private key (with --url); without it, the KEKs named"
                + " by the image's key-provider annotations are fetched.")
    String keyResource;

    @Mixin GuestOptions guest;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      OciRef from;
      OciRef to;
      try {
        from = OciRef.parse(src);
        to = OciRef.parse(dst);
      } catch (IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      if (url == null ? keyFile == null && kekFile == null : keyFile != null || kekFile != null) {
        err.println("error: give --key-file and/or --kek-file, or --url (with --key-resource)");
        return ExitCodes.BAD_INPUT;
      }
      ImageDecryptor decryptor;
      try {
        decryptor = url == null ? offline() : fromKbs(from, err);
        if (decryptor == null) {
          return lastExit;
        }
      } catch (CliIo.BadInput | IllegalArgumentException | IOException e) {
        err.println("error: " + describe(e));
        return ExitCodes.BAD_INPUT;
      } catch (VerificationException e) {
        err.println("error: " + e + " (nothing written at " + to.dir() + ")");
        return ExitCodes.FAILED;
      }
      try {
        ImageDecryptor.Result r = decryptor.decrypt(from, to);
        out.println(
            "decrypted "
                + r.decryptedLayers()
                + " layer(s), copied "
                + r.copiedLayers()
                + "; wrote "
                + to
                + " (manifest "
                + r.manifestDigest()
                + ")");
        out.flush();
        return ExitCodes.OK;
      } catch (VerificationException e) {
        err.println("error: " + e + " (nothing written at " + to.dir() + ")");
        return ExitCodes.FAILED;
      } catch (IllegalArgumentException | NoSuchFileException e) {
        err.println("error: " + describe(e));
        return ExitCodes.BAD_INPUT;
      } catch (IOException e) {
        err.println("error: " + describe(e) + " (nothing written at " + to.dir() + ")");
        return ExitCodes.INTERNAL;
      }
    }

    private int lastExit = ExitCodes.INTERNAL;

    private ImageDecryptor offline() throws IOException, CliIo.BadInput {
      List<PrivateKey> keys = keyFile == null ? List.of() : List.of(PrivateKeyFile.read(keyFile));
      if (kekFile == null) {
        return new ImageDecryptor(keys);
      }
      byte[] kek = Kek.read(kekFile, "--kek-file");
      ImageDecryptor.KekSource any = kid -> Optional.of(kek);
      return keys.isEmpty() ? ImageDecryptor.withKeks(any) : ImageDecryptor.withKeys(keys, any);
    }

    /**
     * Attests to the KBS once and builds the decryptor from what it releases: the PEM private key
     * named by --key-resource, or every KEK the image's key-provider annotations name. Null after
     * an error, with {@link #lastExit} set.
     */
    private ImageDecryptor fromKbs(OciRef from, PrintWriter err)
        throws VerificationException, IOException {
      List<ResourceUri> wanted;
      if (keyResource != null) {
        try {
          wanted = List.of(ResourceUri.ofPath(keyResource));
        } catch (IllegalArgumentException e) {
          err.println("error: --key-resource is REPO/TYPE/TAG");
          lastExit = ExitCodes.BAD_INPUT;
          return null;
        }
      } else {
        wanted = List.copyOf(ImageDecryptor.keyProviderKids(from));
        if (wanted.isEmpty()) {
          err.println("error: no layer names a key-provider KEK; give --key-resource");
          lastExit = ExitCodes.BAD_INPUT;
          return null;
        }
      }
      Map<ResourceUri, byte[]> released = fetchAll(err, wanted);
      if (released == null) {
        return null;
      }
      if (keyResource == null) {
        return ImageDecryptor.withKeks(kid -> Optional.ofNullable(released.get(kid)));
      }
      try {
        return new ImageDecryptor(List.of(PrivateKeyFile.parse(released.get(wanted.get(0)))));
      } catch (IllegalArgumentException e) {
        // the KBS released something, but not a key: the operator stored the wrong resource
        err.println("error: resource " + keyResource + " is not a PEM private key");
        lastExit = ExitCodes.FAILED;
        return null;
      }
    }

    /** Attests once and fetches every wanted resource; null after an error. */
    private Map<ResourceUri, byte[]> fetchAll(PrintWriter err, List<ResourceUri> wanted) {
      try (GuestOptions.Guest g = guest.open(url)) {
        Map<ResourceUri, byte[]> out = new HashMap<>();
        for (ResourceUri r : wanted) {
          out.put(r, g.kbs().getResource(r.repository(), r.type(), r.tag()));
        }
        return out;
      } catch (CliIo.BadInput | KbsException | EvidenceException | TpmException e) {
        lastExit = GuestOptions.failure(err, e, " (nothing written at " + dst + ")");
      }
      return null;
    }

    static String describe(Exception e) {
      return e instanceof NoSuchFileException n ? "no such file: " + n.getFile() : e.getMessage();
    }
  }

  /**
   * {@code vouch image encrypt --kbs-key R/T/T --key-file KEK oci:SRC oci:DST}: what coco
   * keyprovider does for skopeo, without a key-provider process: every plain layer encrypted, its
   * key wrapped under the KEK the KBS will hold as the resource. Exit 0 done; 1 the source layout
   * does not verify; 2 bad input; 3 disk trouble. Nothing is written at DST on failure.
   */
  @Command(
      name = "encrypt",
      mixinStandardHelpOptions = true,
      description =
          "Encrypt an OCI layout for the Confidential Containers key provider (KEK held by the"
              + " KBS).")
  static final class Encrypt implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "oci:SRC[:TAG]", description = "Plain layout.")
    String src;

    @Parameters(
        index = "1",
        paramLabel = "oci:DST[:TAG]",
        description = "New layout to write; must not exist, or be an empty directory.")
    String dst;

    @Option(
        names = "--kbs-key",
        required = true,
        paramLabel = "REPO/TYPE/TAG",
        description = "KBS resource that holds (or will hold) the KEK; also kbs:///REPO/TYPE/TAG.")
    String kbsKey;

    @Option(
        names = "--key-file",
        required = true,
        paramLabel = "KEK",
        description = "The 32-byte AES-256 key-encryption key (raw bytes, as coco keyprovider).")
    Path keyFile;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      OciRef from;
      OciRef to;
      ResourceUri kid;
      byte[] kek;
      try {
        from = OciRef.parse(src);
        to = OciRef.parse(dst);
        kid = kbsKey.startsWith("kbs://") ? ResourceUri.parse(kbsKey) : ResourceUri.ofPath(kbsKey);
        kek = Kek.read(keyFile, "--key-file");
      } catch (IllegalArgumentException | CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      try {
        ImageEncryptor.Result r =
            new ImageEncryptor(kid, kek, new SecureRandom()).encrypt(from, to);
        out.println(
            "encrypted "
                + r.encryptedLayers()
                + " layer(s) for "
                + kid
                + "; wrote "
                + to
                + " (manifest "
                + r.manifestDigest()
                + ")");
        out.flush();
        return ExitCodes.OK;
      } catch (VerificationException e) {
        err.println("error: " + e + " (nothing written at " + to.dir() + ")");
        return ExitCodes.FAILED;
      } catch (IllegalArgumentException | NoSuchFileException e) {
        err.println(
            "error: "
                + (e instanceof NoSuchFileException n
                    ? "no such file: " + n.getFile()
                    : e.getMessage()));
        return ExitCodes.BAD_INPUT;
      } catch (IOException e) {
        err.println("error: " + e.getMessage() + " (nothing written at " + to.dir() + ")");
        return ExitCodes.INTERNAL;
      } finally {
        java.util.Arrays.fill(kek, (byte) 0);
      }
    }
  }

  /**
   * {@code vouch image verify --reference REF (--policy FILE | --url KBS --policy-resource R/T/T)
   * oci:DIR[:TAG]}: judges the image by a containers-policy.json signature policy and the sigstore
   * signatures in the layout (cosign's {@code sha256-<hex>.sig} signature image). With {@code
   * --url} the policy and every {@code kbs:///} key it names are fetched after one attestation.
   * Exit 0 accepted; 1 refused (the stable code says why) or the KBS refused; 2 bad input (a
   * malformed policy, reference or layout path); 3 TPM, network or disk trouble.
   */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Check an OCI image's sigstore signatures against a containers-policy.json policy.")
  static final class Verify implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "oci:DIR[:TAG]|dir:DIR",
        description = "OCI image layout (cosign's signature tags), or skopeo's dir: layout.")
    String image;

    @Option(
        names = "--reference",
        required = true,
        paramLabel = "REF",
        description =
            "The image's name, HOST/PATH:TAG or HOST/PATH@sha256:HEX: the policy scope and the"
                + " identity its signatures must name.")
    String reference;

    @Option(names = "--policy", paramLabel = "FILE", description = "Policy file, offline.")
    Path policyFile;

    @Option(
        names = "--url",
        description = "KBS base URL: fetch the policy and kbs:/// keys after attestation.")
    URI url;

    @Option(
        names = "--policy-resource",
        paramLabel = "REPO/TYPE/TAG",
        description = "KBS resource holding the policy (with --url).")
    String policyResource;

    @Option(names = "--json", description = "Print one JSON document.")
    boolean json;

    @Mixin GuestOptions guest;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      SignedImage ref;
      DockerReference name;
      try {
        ref = SignedImage.parse(image);
        name = DockerReference.parse(reference);
        if ((policyFile == null) == (policyResource == null)
            || (policyResource == null) != (url == null)) {
          throw new IllegalArgumentException(
              "give --policy FILE, or --url with --policy-resource REPO/TYPE/TAG");
        }
      } catch (IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      Map<String, byte[]> released = new HashMap<>();
      SignaturePolicy policy;
      try {
        if (url == null) {
          policy = SignaturePolicy.parse(CliIo.read(policyFile, "--policy"));
          for (String k : policy.keyPaths()) {
            if (k.startsWith("kbs://")) {
              throw new CliIo.BadInput("the policy names key " + k + ": give --url");
            }
          }
        } else {
          policy = fromKbs(released);
        }
      } catch (IllegalArgumentException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (VerificationException e) {
        // the policy itself does not parse: bad input, whichever way it came
        err.println("error: " + e);
        return ExitCodes.BAD_INPUT;
      } catch (CliIo.BadInput | KbsException | EvidenceException | TpmException e) {
        return GuestOptions.failure(err, e, "");
      }
      ImageSignatureVerifier verifier =
          new ImageSignatureVerifier(
              policy,
              k ->
                  k.startsWith("kbs://")
                      ? released.get(k).clone()
                      : Files.readAllBytes(Path.of(k)));
      try {
        ImageSignatureVerifier.Accepted a = verifier.verify(ref, name);
        if (json) {
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("valid", true);
          doc.put("image", ref.toString());
          doc.put("reference", name.toString());
          doc.put("manifest_digest", a.manifestDigest());
          doc.put("rules", a.rules());
          CliIo.printJson(out, doc);
        } else {
          out.println(
              "accepted "
                  + ref
                  + " as "
                  + name
                  + " (manifest "
                  + a.manifestDigest()
                  + "; "
                  + String.join(", ", a.rules())
                  + ")");
          out.flush();
        }
        return ExitCodes.OK;
      } catch (VerificationException e) {
        return Outputs.failure(out, err, json, e);
      } catch (IllegalArgumentException | NoSuchFileException e) {
        err.println("error: " + Decrypt.describe(e));
        return ExitCodes.BAD_INPUT;
      } catch (IOException e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.INTERNAL;
      }
    }

    /** Attests once; fetches the policy and every kbs:/// key it names into {@code released}. */
    private SignaturePolicy fromKbs(Map<String, byte[]> released)
        throws CliIo.BadInput,
            TpmException,
            KbsException,
            EvidenceException,
            VerificationException {
      ResourceUri at = ResourceUri.ofPath(policyResource);
      try (GuestOptions.Guest g = guest.open(url)) {
        SignaturePolicy policy =
            SignaturePolicy.parse(g.kbs().getResource(at.repository(), at.type(), at.tag()));
        for (String k : policy.keyPaths()) {
          if (!k.startsWith("kbs://")) {
            // a guest's keys come from the KBS: a local file would be outside the attested chain
            throw new CliIo.BadInput(
                "the policy names key " + k + ": only kbs:/// keys with --url");
          }
          ResourceUri r = ResourceUri.parse(k);
          released.put(k, g.kbs().getResource(r.repository(), r.type(), r.tag()));
        }
        return policy;
      }
    }
  }

  /** A raw 32-byte AES-256 key-encryption key in a file, as coco keyprovider reads one. */
  static final class Kek {
    private Kek() {}

    static byte[] read(Path file, String what) throws CliIo.BadInput {
      byte[] k = CliIo.read(file, what);
      if (k.length != 32) {
        throw new CliIo.BadInput(
            what + " " + file + " holds " + k.length + " bytes; a KEK is 32 raw bytes");
      }
      return k;
    }
  }
}
