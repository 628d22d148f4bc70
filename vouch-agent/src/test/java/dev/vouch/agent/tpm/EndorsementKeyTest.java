package dev.vouch.agent.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vouch.core.crypto.HashAlg;
import dev.vouch.evidence.tpm.TpmPublic;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.Test;

class EndorsementKeyTest extends SwtpmTest {

  private static X509Certificate certificate(byte[] der) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  @Test
  void rsaEkFromTheL1TemplateIsTheKeyInTheEkCertificate() throws Exception {
    X509Certificate cert = certificate(tpm.readEkCertificate(EkTemplate.RSA_2048));
    try (TransientKey ek = tpm.createEk(EkTemplate.RSA_2048)) {
      TpmPublic pub = ek.parsedPublic();
      RSAPublicKey key = (RSAPublicKey) pub.toPublicKey();
      assertThat(key.getModulus()).isEqualTo(((RSAPublicKey) cert.getPublicKey()).getModulus());
      assertThat(key.getPublicExponent())
          .isEqualTo(((RSAPublicKey) cert.getPublicKey()).getPublicExponent());
      assertThat(ek.name()).isEqualTo(pub.name());
      // the same key that swtpm_setup made persistent
      PersistentKey persistent = tpm.persistentKey(0x81010001);
      assertThat(persistent.publicArea()).isEqualTo(ek.publicArea());
      assertThat(persistent.name()).isEqualTo(ek.name());
    }
  }

  @Test
  void eccP384EkFromTheH3TemplateIsTheKeyInTheEkCertificate() throws Exception {
    X509Certificate cert = certificate(tpm.readEkCertificate(EkTemplate.ECC_NIST_P384));
    try (TransientKey ek = tpm.createEk(EkTemplate.ECC_NIST_P384)) {
      ECPublicKey key = (ECPublicKey) ek.parsedPublic().toPublicKey();
      assertThat(key.getW()).isEqualTo(((ECPublicKey) cert.getPublicKey()).getW());
      assertThat(ek.parsedPublic().nameAlg()).isEqualTo(HashAlg.SHA384);
      assertThat(tpm.persistentKey(0x81010016).publicArea()).isEqualTo(ek.publicArea());
    }
  }

  @Test
  void eccP256EkFromTheL2TemplateIsAP256DecryptionKeyWithTheEkPolicy() throws Exception {
    try (TransientKey ek = tpm.createEk(EkTemplate.ECC_NIST_P256)) {
      TpmPublic pub = ek.parsedPublic();
      assertThat(((ECPublicKey) pub.toPublicKey()).getParams().getCurve().getField().getFieldSize())
          .isEqualTo(256);
      assertThat(pub.authPolicy()).isEqualTo(KeyTemplate.EK_POLICY_A_SHA256);
      assertThat(pub.objectAttributes()).isEqualTo(0x000300B2);
    }
    // swtpm certifies no P-256 EK: its certificate index does not exist
    assertThatThrownBy(() -> tpm.readEkCertificate(EkTemplate.ECC_NIST_P256))
        .isInstanceOf(TpmException.class)
        .satisfies(e -> assertThat(((TpmException) e).is(ResponseCode.TPM_RC_HANDLE)).isTrue());
  }

  @Test
  void ekCertificateIsReadInChunksNoLargerThanTheNvBuffer() throws Exception {
    NvPublic nv = tpm.nvReadPublic(EkTemplate.RSA_2048.certificateIndex());
    assertThat(nv.dataSize()).isGreaterThan(tpm.nvBufferMax() / 2);
    assertThat(nv.has(NvPublic.WRITTEN)).isTrue();
    byte[] cert = tpm.nvRead(nv.index());
    assertThat(cert).hasSize(nv.dataSize());
    assertThat(certificate(cert).getSubjectX500Principal().getName()).isEqualTo("CN=unknown");
  }

  @Test
  void policySecretOnEndorsementGivesTheEkPolicyDigest() throws Exception {
    try (PolicySession s = tpm.startPolicySession(HashAlg.SHA256)) {
      assertThat(Handles.type(s.handle())).isEqualTo(0x03);
      assertThat(tpm.policyGetDigest(s)).isEqualTo(new byte[32]);
      tpm.policySecret(s, Handles.TPM_RH_ENDORSEMENT);
      assertThat(tpm.policyGetDigest(s)).isEqualTo(KeyTemplate.EK_POLICY_A_SHA256);
    }
  }

  @Test
  void srkIsAStorageKeyInTheOwnerHierarchyAndStableAcrossCreations() throws Exception {
    byte[] first;
    try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkRsa2048())) {
      first = srk.publicArea();
      assertThat(srk.parsedPublic().objectAttributes() & ObjectAttributes.RESTRICTED).isNotZero();
    }
    try (TransientKey srk = tpm.createPrimary(Handles.TPM_RH_OWNER, KeyTemplate.srkRsa2048())) {
      assertThat(srk.publicArea()).isEqualTo(first);
    }
  }
}
