package dev.vouch.evidence.tpm.ima;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.bytes.Hex;
import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.testing.ResearchData;
import dev.vouch.evidence.tpm.PcrValues;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ima-evm-utils' {@code evmctl ima_measurement} as an independent peer: it recomputes every
 * template hash of our lists (including the original {@code ima} template, for which no real sample
 * exists) and accepts the registers we replay.
 */
class ImaEvmctlCrossCheckTest {
  private static final Path EVMCTL = Path.of("/usr/bin/evmctl");

  @Test
  void evmctlAcceptsOurNewTemplateListAndItsReplayedRegisters(@TempDir Path dir) throws Exception {
    Random rnd = new Random(7);
    ImaListWriter w = new ImaListWriter(HashAlg.SHA1, false);
    w.ng(10, "sha256", bytes(rnd, 32), "boot_aggregate");
    for (int i = 0; i < 60; i++) {
      String name = "/usr/bin/tool" + i;
      switch (i % 4) {
        case 0 -> w.sig(10, "sha256", bytes(rnd, 32), name, new byte[0]);
        case 1 -> w.buf(10, HashAlg.SHA256, ".ima", bytes(rnd, 40));
        case 2 -> w.violation(10, "sha256", name);
        default -> w.ng(10, "sha1", bytes(rnd, 20), name);
      }
    }
    assertEvmctlAccepts(dir, w.binary());
  }

  @Test
  void evmctlAcceptsOurOriginalImaTemplateList(@TempDir Path dir) throws Exception {
    // evmctl refuses lists that mix "ima" with other templates, so this one is pure
    Random rnd = new Random(8);
    ImaListWriter w = new ImaListWriter(HashAlg.SHA1, false);
    w.legacy(10, bytes(rnd, 20), "boot_aggregate");
    for (int i = 0; i < 40; i++) {
      w.legacy(10, bytes(rnd, 20), "/usr/lib/x86_64-linux-gnu/" + "lib".repeat(i % 80) + i);
    }
    assertEvmctlAccepts(dir, w.binary());
  }

  private static void assertEvmctlAccepts(Path dir, byte[] binary) throws Exception {
    if (!Files.isExecutable(EVMCTL)) {
      if (ResearchData.requireTools()) {
        throw new AssertionError("evmctl is not installed (bin/install-test-deps installs it)");
      }
      Assumptions.abort("evmctl is not installed");
    }
    Path list = dir.resolve("binary_runtime_measurements");
    Files.write(list, binary);
    PcrValues pcrs =
        ImaReplay.replayBinary(
                binary, EnumSet.of(HashAlg.SHA1, HashAlg.SHA256), ImaReplayMode.PER_BANK)
            .pcrs();
    Path sha1 = pcrFile(dir, HashAlg.SHA1, pcrs);
    Path sha256 = pcrFile(dir, HashAlg.SHA256, pcrs);
    Process p =
        new ProcessBuilder(
                EVMCTL.toString(),
                "ima_measurement",
                "--ignore-violations",
                "--pcrs",
                "sha1," + sha1,
                "--pcrs",
                "sha256," + sha256,
                list.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("Matched per TPM bank").doesNotContain("Failed to verify");
  }

  /** evmctl reads registers 0..10 in order, one {@code PCR-NN: hex} line each. */
  private static Path pcrFile(Path dir, HashAlg bank, PcrValues pcrs) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      sb.append(String.format("PCR-%02d: %s%n", i, "0".repeat(bank.size() * 2)));
    }
    sb.append("PCR-10: ").append(Hex.encode(pcrs.get(bank, 10).orElseThrow())).append('\n');
    Path f = dir.resolve("pcrs-" + bank.shortName());
    Files.writeString(f, sb);
    return f;
  }

  private static byte[] bytes(Random rnd, int n) {
    byte[] b = new byte[n];
    rnd.nextBytes(b);
    return b;
  }
}
