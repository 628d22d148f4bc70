package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import dev.vouch.evidence.tpm.CredentialProtection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class CredentialActivationTest extends SwtpmTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(EkTemplate.class)
  void secretProtectedInJavaIsRecoveredByTheTpm(EkTemplate template) throws Exception {
    try (TransientKey ek = tpm.createEk(template);
        TransientKey ak = tpm.createAndLoad(ek, KeyTemplate.akEccP256())) {
      byte[] secret = tpm.getRandom(32);
      CredentialProtection.Credential c =
          CredentialProtection.makeCredential(ek.publicArea(), ak.name(), secret);
      assertThat(tpm.activateCredential(ak, ek, c.idObject(), c.encryptedSecret()))
          .isEqualTo(secret);
    }
  }

  @Test
  void secretProtectedInJavaForAnRsaAkUnderTheRsaEkIsRecovered() throws Exception {
    try (TransientKey ek = tpm.createEk(EkTemplate.RSA_2048);
        TransientKey ak = tpm.createAndLoad(ek, KeyTemplate.akRsa2048())) {
      byte[] secret = "a short secret".getBytes();
      CredentialProtection.Credential c =
          CredentialProtection.makeCredential(ek.publicArea(), ak.name(), secret);
      assertThat(tpm.activateCredential(ak, ek, c.idObject(), c.encryptedSecret()))
          .isEqualTo(secret);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = EkTemplate.class,
      names = {"RSA_2048", "ECC_NIST_P384"})
  void credentialMadeByTpm2MakecredentialIsActivatedByThisClient(EkTemplate template)
      throws Exception {
    try (TransientKey ek = tpm.createEk(template);
        TransientKey ak = tpm.createAndLoad(ek, KeyTemplate.akRsa2048())) {
      byte[] secret = tpm.getRandom(32);
      Files.write(dir.resolve("ek.pub"), ek.publicArea());
      Files.write(dir.resolve("secret.bin"), secret);
      Tools.Result r =
          Tools.run(
              dir,
              "tpm2_makecredential",
              "-T",
              "none",
              "-u",
              "ek.pub",
              "-s",
              "secret.bin",
              "-n",
              Hex.encode(ak.name()),
              "-o",
              "cred.out");
      assertThat(r.exitCode()).as(r.output()).isZero();
      List<byte[]> cred = Tools.readCredentialFile(Files.readAllBytes(dir.resolve("cred.out")));
      assertThat(tpm.activateCredential(ak, ek, cred.get(0), cred.get(1))).isEqualTo(secret);
    }
  }

  @Test
  void credentialForAnotherKeyNameIsRefusedByTheTpm() throws Exception {
    try (TransientKey ek = tpm.createEk(EkTemplate.RSA_2048);
        TransientKey ak = tpm.createAndLoad(ek, KeyTemplate.akEccP256())) {
      byte[] otherName = ak.name();
      otherName[otherName.length - 1] ^= 1;
      CredentialProtection.Credential c =
          CredentialProtection.makeCredential(ek.publicArea(), otherName, new byte[16]);
      assertThatThrownBy(() -> tpm.activateCredential(ak, ek, c.idObject(), c.encryptedSecret()))
          .isInstanceOf(TpmException.class)
          .hasMessageContaining("TPM2_ActivateCredential")
          .hasMessageContaining("TPM_RC_INTEGRITY")
          .satisfies(
              e -> assertThat(((TpmException) e).is(ResponseCode.TPM_RC_INTEGRITY)).isTrue());
    }
  }

  @Test
  void makeCredentialRefusesBadSecretsNamesAndKeys() throws Exception {
    try (TransientKey ek = tpm.createEk(EkTemplate.RSA_2048);
        TransientKey ak = tpm.createAndLoad(ek, KeyTemplate.akEccP256())) {
      byte[] ekPub = ek.publicArea();
      byte[] name = ak.name();
      assertFailure(
          () -> CredentialProtection.makeCredential(ekPub, name, new byte[33]), Failure.MALFORMED);
      assertFailure(
          () -> CredentialProtection.makeCredential(ekPub, name, new byte[0]), Failure.MALFORMED);
      assertFailure(
          () -> CredentialProtection.makeCredential(ekPub, new byte[] {0, 0x0b, 1}, new byte[8]),
          Failure.MALFORMED);
      assertFailure(
          () -> CredentialProtection.makeCredential(ak.publicArea(), name, new byte[8]),
          Failure.UNSUPPORTED);
      byte[] truncated = java.util.Arrays.copyOf(ekPub, ekPub.length - 1);
      assertFailure(
          () -> CredentialProtection.makeCredential(truncated, name, new byte[8]),
          Failure.TRUNCATED);
    }
  }

  private interface Call {
    void run() throws VerificationException;
  }

  private static void assertFailure(Call call, Failure failure) {
    assertThatThrownBy(call::run)
        .isInstanceOf(VerificationException.class)
        .satisfies(e -> assertThat(((VerificationException) e).failure()).isEqualTo(failure));
  }
}
