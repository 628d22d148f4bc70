package dev.vouch.cli;

import dev.vouch.agent.kbs.EvidenceException;
import dev.vouch.agent.kbs.KbsException;
import dev.vouch.agent.tpm.TpmException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vouch kbs ...}: the guest side of the KBS protocol. */
@Command(
    name = "kbs",
    description = "Talk to a key broker (Trustee KBS protocol 0.4.0).",
    subcommands = {KbsCommand.GetResource.class})
public final class KbsCommand extends CommandGroup {

  /**
   * {@code vouch kbs get-resource --url URL REPO/TYPE/TAG}: attests with this machine's TPM (or the
   * sample attester when asked for by name), fetches the resource and prints it. Exit 0 with the
   * secret on stdout; 1 when the KBS refuses (401 attestation failed, 403 policy denied, 404) with
   * the reason on stderr; 2 bad input; 3 TPM or network trouble.
   */
  @Command(
      name = "get-resource",
      mixinStandardHelpOptions = true,
      description = "Run the attestation handshake and print the released resource.")
  static final class GetResource implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--url", required = true, description = "KBS base URL, e.g. https://kbs:8080")
    URI url;

    @Parameters(index = "0", paramLabel = "REPO/TYPE/TAG", description = "The resource path.")
    String path;

    @Mixin GuestOptions guest;

    @Option(
        names = "--output",
        description = "Write the raw bytes to this file instead of printing them.")
    Path output;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String[] seg = path.split("/", -1);
      if (seg.length != 3) {
        err.println("error: the resource path is REPO/TYPE/TAG");
        return ExitCodes.BAD_INPUT;
      }
      try (GuestOptions.Guest g = guest.open(url)) {
        byte[] secret = g.kbs().getResource(seg[0], seg[1], seg[2]);
        emit(secret, out, err);
        return ExitCodes.OK;
      } catch (CliIo.BadInput | KbsException | EvidenceException | TpmException e) {
        return GuestOptions.failure(err, e, "");
      } catch (IOException e) {
        err.println("error: cannot write " + output + ": " + e.getMessage());
        return ExitCodes.INTERNAL;
      }
    }

    private void emit(byte[] secret, PrintWriter out, PrintWriter err) throws IOException {
      if (output != null) {
        Files.write(output, secret);
        return;
      }
      try {
        out.print(
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(secret)));
      } catch (CharacterCodingException e) {
        // a terminal would mangle binary: print it recoverably and say so
        out.println(Base64.getEncoder().encodeToString(secret));
        err.println("note: the resource is binary; printed as base64 (use --output FILE)");
      }
      out.flush();
    }
  }
}
