package dev.vouch.server.cms;

import java.io.IOException;
import java.io.StringWriter;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/** PKCS#10 requests as an agent makes them, and damaged ones. */
public final class Csrs {
  private Csrs() {}

  public static KeyPair p256() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** A CSR with subject CN={@code cn} and DNS SANs {@code dnsNames}, signed by {@code keys}. */
  public static PKCS10CertificationRequest csr(KeyPair keys, String cn, String... dnsNames)
      throws Exception {
    JcaPKCS10CertificationRequestBuilder b =
        new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn), keys.getPublic());
    if (dnsNames.length > 0) {
      ExtensionsGenerator ext = new ExtensionsGenerator();
      ext.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              Arrays.stream(dnsNames)
                  .map(n -> new GeneralName(GeneralName.dNSName, n))
                  .toArray(GeneralName[]::new)));
      b.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate());
    }
    return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
  }

  public static String pem(PKCS10CertificationRequest csr) throws IOException {
    return pem(csr.getEncoded());
  }

  public static String pem(byte[] der) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(new PemObject("CERTIFICATE REQUEST", der));
    }
    return out.toString();
  }

  /** The CSR with one bit of its signature's last byte flipped (the DER still parses). */
  public static String flippedSignature(PKCS10CertificationRequest csr) throws IOException {
    byte[] der = csr.getEncoded();
    der[der.length - 1] ^= 0x01;
    return pem(der);
  }
}
