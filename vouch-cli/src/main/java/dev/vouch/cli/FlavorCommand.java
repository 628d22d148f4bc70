package dev.vouch.cli;

import dev.vouch.core.VerificationException;
import dev.vouch.policy.flavor.FlavorJson;
import dev.vouch.policy.flavor.FlavorSigner;
import dev.vouch.policy.flavor.SignedFlavor;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vouch flavor verify}: checks flavor signatures offline. */
@Command(
    name = "flavor",
    description = "Work with flavors (signed host baselines).",
    subcommands = {FlavorCommand.Verify.class})
final class FlavorCommand extends CommandGroup {

  /** Exit 0 when every flavor's signature verifies, 1 when one does not, 2 for bad input. */
  @Command(
      name = "verify",
      description = "Verify the signatures of signed flavors with the flavor-signing key.")
  static final class Verify implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "FILE",
        description = "signed flavors JSON ({flavor, signature} or an array)")
    Path file;

    @Option(
        names = "--key",
        required = true,
        paramLabel = "PEM",
        description = "flavor-signing public key or certificate (PEM)")
    Path key;

    @Option(names = "--json", description = "print one JSON document")
    boolean json;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      List<SignedFlavor> flavors;
      PublicKey pub;
      try {
        flavors = FlavorJson.readSigned(CliIo.read(file, "flavors"));
        pub = publicKey(CliIo.read(key, "key"), key);
      } catch (CliIo.BadInput e) {
        err.println("error: " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      } catch (VerificationException e) {
        err.println("error: " + e.failure().code() + ": " + e.getMessage());
        return ExitCodes.BAD_INPUT;
      }
      boolean all = true;
      List<Map<String, Object>> results = new ArrayList<>();
      for (SignedFlavor f : flavors) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", f.flavor().meta().id().toString());
        r.put("flavor_part", f.flavor().part().name());
        try {
          FlavorSigner.verify(f, List.of(pub));
          r.put("valid", true);
        } catch (VerificationException e) {
          all = false;
          r.put("valid", false);
          r.put("error", Outputs.error(e));
        }
        results.add(r);
      }
      if (json) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("valid", all);
        doc.put("flavors", results);
        CliIo.printJson(out, doc);
      } else {
        for (Map<String, Object> r : results) {
          out.printf(
              "%s %s %s%s%n",
              Boolean.TRUE.equals(r.get("valid")) ? "VALID " : "FAILED",
              r.get("flavor_part"),
              r.get("id"),
              r.containsKey("error") ? ": " + ((Map<?, ?>) r.get("error")).get("message") : "");
        }
        out.flush();
      }
      return all ? ExitCodes.OK : ExitCodes.FAILED;
    }
  }

  static PublicKey publicKey(byte[] pem, Path from) throws CliIo.BadInput {
    String text = new String(pem, StandardCharsets.US_ASCII);
    if (text.contains("BEGIN CERTIFICATE")) {
      return ReportCommand.certificates(pem, from).get(0).getPublicKey();
    }
    String b64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    try {
      return KeyFactory.getInstance("EC")
          .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    } catch (IllegalArgumentException | java.security.GeneralSecurityException e) {
      throw new CliIo.BadInput(from + " is not a PEM EC public key or certificate");
    }
  }
}
