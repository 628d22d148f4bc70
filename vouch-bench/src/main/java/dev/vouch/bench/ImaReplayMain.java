package dev.vouch.bench;

import dev.vouch.core.VerificationException;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.ima.ImaReplay;
import dev.vouch.evidence.tpm.ima.ImaReplayMode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * A minimal stand-in for {@code vouch eventlog replay FILE --format ima --json}, for timing the
 * streaming replay in a fresh JVM before the CLI carries it. Prints {@code
 * {"banks":{"sha1":{"10":"hex"}},"events":N}}; exit 0, 1 on a verification failure, 2 on bad
 * arguments, 3 on an I/O error.
 *
 * <p>Usage: {@code ImaReplayMain FILE [BANK,BANK...] [per-bank|old-kernel]} (default banks sha1 and
 * sha256, per-bank mode).
 */
public final class ImaReplayMain {
  private ImaReplayMain() {}

  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println("usage: ImaReplayMain FILE [BANK,BANK...] [per-bank|old-kernel]");
      System.exit(2);
    }
    Set<HashAlg> banks = EnumSet.noneOf(HashAlg.class);
    for (String b : (args.length > 1 ? args[1] : "sha1,sha256").split(",")) {
      banks.add(HashAlg.fromName(b).orElseThrow(() -> new IllegalArgumentException(b)));
    }
    ImaReplayMode mode =
        args.length > 2 && args[2].equals("old-kernel")
            ? ImaReplayMode.OLD_KERNEL
            : ImaReplayMode.PER_BANK;
    try {
      ImaReplay.Result r = ImaReplay.replay(Path.of(args[0]), banks, mode);
      StringBuilder sb = new StringBuilder("{\"banks\":{");
      boolean firstBank = true;
      for (Map.Entry<String, Map<String, String>> bank : r.pcrs().toHexMap().entrySet()) {
        sb.append(firstBank ? "" : ",").append('"').append(bank.getKey()).append("\":{");
        firstBank = false;
        boolean firstReg = true;
        for (Map.Entry<String, String> reg : bank.getValue().entrySet()) {
          sb.append(firstReg ? "" : ",");
          sb.append('"').append(reg.getKey()).append("\":\"").append(reg.getValue()).append('"');
          firstReg = false;
        }
        sb.append('}');
      }
      sb.append("},\"events\":").append(r.entries()).append('}');
      System.out.println(sb);
    } catch (VerificationException e) {
      System.out.println(
          "{\"valid\":false,\"errors\":[{\"code\":\""
              + e.failure().code()
              + "\",\"message\":\""
              + e.getMessage().replace("\\", "\\\\").replace("\"", "\\\"")
              + "\"}]}");
      System.exit(1);
    } catch (IOException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(3);
    }
  }
}
