package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.bytes.Hex;
import org.junit.jupiter.api.Test;

class CommandBuilderTest {

  @Test
  void commandWithoutSessionsIsHeaderThenParameters() {
    byte[] cmd = CommandBuilder.command(CommandCode.GET_RANDOM).u16(8).build();
    // the bytes the dependency probe sent to swtpm by hand
    assertThat(Hex.encode(cmd)).isEqualTo("80010000000c0000017b0008");
  }

  @Test
  void commandWithAPasswordSessionHasHandlesThenAuthorizationAreaThenParameters() {
    byte[] cmd =
        CommandBuilder.command(CommandCode.NV_READ)
            .handle(Handles.TPM_RH_OWNER)
            .u16(16)
            .auth(SessionAuth.emptyPassword())
            .handle(0x01C00002)
            .u16(32)
            .build();
    assertThat(Hex.encode(cmd))
        .isEqualTo(
            "8002" // TPM_ST_SESSIONS
                + "00000023" // 35 bytes
                + "0000014e" // TPM2_NV_Read
                + "40000001" // auth handle
                + "01c00002" // NV index
                + "00000009" // authorization area size
                + "40000009" // TPM_RS_PW
                + "0000" // empty nonce
                + "01" // continueSession
                + "0000" // empty password
                + "0010" // size
                + "0020"); // offset
  }

  @Test
  void commandNamesFollowTheSpecification() {
    assertThat(CommandCode.PCR_READ.tpmName()).isEqualTo("TPM2_PCR_Read");
    assertThat(CommandCode.NV_READ_PUBLIC.tpmName()).isEqualTo("TPM2_NV_ReadPublic");
    assertThat(CommandCode.ACTIVATE_CREDENTIAL.tpmName()).isEqualTo("TPM2_ActivateCredential");
  }

  @Test
  void passwordsAreNotPrinted() {
    assertThat(SessionAuth.password("hunter2".getBytes()).toString()).doesNotContain("hunter2");
  }
}
