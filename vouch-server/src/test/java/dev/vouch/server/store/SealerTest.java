package dev.vouch.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealerTest {
  @TempDir Path dir;

  private final Sealer sealer = new Sealer(new byte[32]);
  private final byte[] secret = "private key".getBytes(StandardCharsets.UTF_8);

  @Test
  void aSealedBlobOpensOnlyWhereItWasSealed() {
    byte[] blob = sealer.seal(secret, "signing_keys", "kid-1");
    assertThat(sealer.unseal(blob, "signing_keys", "kid-1")).isEqualTo(secret);
    assertThatThrownBy(() -> sealer.unseal(blob, "signing_keys", "kid-2"))
        .isInstanceOf(Sealer.SealedDataException.class);
    assertThatThrownBy(() -> sealer.unseal(blob, "resources", "kid-1"))
        .isInstanceOf(Sealer.SealedDataException.class);
  }

  @Test
  void sealingTwiceUsesFreshNoncesAndHidesThePlaintext() {
    byte[] a = sealer.seal(secret, "t", "1");
    byte[] b = sealer.seal(secret, "t", "1");
    assertThat(a).isNotEqualTo(b);
    assertThat(new String(a, StandardCharsets.ISO_8859_1)).doesNotContain("private key");
    assertThat(a.length).isEqualTo(1 + 12 + secret.length + 16);
  }

  @Test
  void aFlippedBitOrTruncationIsRefused() {
    byte[] blob = sealer.seal(secret, "t", "1");
    blob[20] ^= 1;
    assertThatThrownBy(() -> sealer.unseal(blob, "t", "1"))
        .isInstanceOf(Sealer.SealedDataException.class);
    assertThatThrownBy(() -> sealer.unseal(new byte[5], "t", "1"))
        .isInstanceOf(Sealer.SealedDataException.class);
  }

  @Test
  void theKeyFileIsGeneratedOwnerOnlyAndReused() throws Exception {
    Path kek = dir.resolve("kek");
    Sealer first = Sealer.load(Optional.empty(), kek);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kek)))
        .isEqualTo("rw-------");
    byte[] blob = first.seal(secret, "t", "1");
    assertThat(Sealer.load(Optional.empty(), kek).unseal(blob, "t", "1")).isEqualTo(secret);
    String b64 = Files.readString(kek).strip();
    assertThat(Sealer.load(Optional.of(b64), dir.resolve("unused")).unseal(blob, "t", "1"))
        .isEqualTo(secret);
    assertThat(Files.exists(dir.resolve("unused"))).isFalse();
    assertThat(Base64.getDecoder().decode(b64)).hasSize(32);
  }
}
