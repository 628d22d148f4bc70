package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResponseCodeTest {

  @Test
  void formatOneHandleErrorNamesTheHandle() {
    ResponseCode rc = new ResponseCode(0x18B);
    assertThat(rc.isFormat1()).isTrue();
    assertThat(rc.base()).isEqualTo(ResponseCode.TPM_RC_HANDLE);
    assertThat(rc.name()).isEqualTo("TPM_RC_HANDLE");
    assertThat(rc.handle()).hasValue(1);
    assertThat(rc.parameter()).isEmpty();
    assertThat(rc.session()).isEmpty();
  }

  @Test
  void formatOneParameterErrorNamesTheParameter() {
    ResponseCode rc = new ResponseCode(0x2C4); // TPM_RC_VALUE + P + parameter 2
    assertThat(rc.base()).isEqualTo(ResponseCode.TPM_RC_VALUE);
    assertThat(rc.parameter()).hasValue(2);
    assertThat(rc.describe())
        .isEqualTo(
            "TPM_RC_VALUE (value is out of range or is not correct for the context), parameter 2"
                + " [0x2c4]");
  }

  @Test
  void formatOneSessionErrorNamesTheSession() {
    ResponseCode rc = new ResponseCode(0x98E); // TPM_RC_AUTH_FAIL + S + session 1
    assertThat(rc.base()).isEqualTo(ResponseCode.TPM_RC_AUTH_FAIL);
    assertThat(rc.session()).hasValue(1);
    assertThat(rc.handle()).isEmpty();
  }

  @Test
  void formatZeroErrorsAndWarningsAreNamed() {
    assertThat(new ResponseCode(0x100).name()).isEqualTo("TPM_RC_INITIALIZE");
    assertThat(new ResponseCode(0x100).isWarning()).isFalse();
    ResponseCode memory = new ResponseCode(0x902);
    assertThat(memory.name()).isEqualTo("TPM_RC_OBJECT_MEMORY");
    assertThat(memory.isWarning()).isTrue();
    assertThat(memory.base()).isEqualTo(ResponseCode.TPM_RC_OBJECT_MEMORY);
    assertThat(new ResponseCode(0x14A).name()).isEqualTo("TPM_RC_NV_UNINITIALIZED");
  }

  @Test
  void vendorTpm12AndLayeredCodesAreLabelledAsSuch() {
    assertThat(new ResponseCode(0x0D01).name()).startsWith("vendor code");
    assertThat(new ResponseCode(0x001E).name()).isEqualTo("TPM 1.2 code 0x01e");
    assertThat(new ResponseCode(0x000A0008).name()).startsWith("layer 0x0a");
    assertThat(new ResponseCode(0x1FF).name()).startsWith("unknown TPM_RC");
    assertThat(new ResponseCode(0).name()).isEqualTo("TPM_RC_SUCCESS");
  }
}
