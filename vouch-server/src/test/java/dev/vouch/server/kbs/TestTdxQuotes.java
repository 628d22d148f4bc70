package dev.vouch.server.kbs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vouch.core.bytes.Hex;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test Intel PKI that signs TDX quotes (v4) and their collateral, built to pass every check of
 * the DCAP verifier without Intel's keys: a test root, a PCK platform CA and PCK certificate under
 * it (the PCK carrying the SGX extension copied from the dcap-qvl sample's PCK, so FMSPC, PCE ID
 * and TCB components are real ones), a TCB signing certificate under the root, and CRLs of both
 * CAs.
 *
 * <p>A quote is the dcap-qvl sample {@code tdx_quote} with the chosen REPORTDATA, a fresh
 * attestation key signing header and body, that key bound into the QE report data as DCAP binds it
 * (SHA-256(attestation key ‖ QE authentication data), zero-padded to 64 bytes), the QE report
 * signed by the test PCK key, and the test PCK chain (leaf, CA, root) as certification data. The
 * collateral is the sample's {@code tdx_quote_collateral.json} with its TCB info and QE identity
 * (unchanged text, so the TCB evaluation is the sample's: UpToDate) signed again by the test TCB
 * signing key, and the test chain and CRLs in place of Intel's. Valid 2025-01-01 to 2035-01-01; the
 * collateral's own window ends 2025-07-19T10:00:35Z, so verify at the sample's recorded time.
 */
final class TestTdxQuotes {
  /** Inside the sample collateral's validity window (the vectors' verification_time_used). */
  static final Instant AT = Instant.parse("2025-07-19T10:00:34Z");

  private static final String SGX_EXTENSION = "1.2.840.113741.1.13.1";
  private static final Date FROM = Date.from(Instant.parse("2025-01-01T00:00:00Z"));
  private static final Date TO = Date.from(Instant.parse("2035-01-01T00:00:00Z"));
  private static final AtomicLong SERIAL = new AtomicLong(1000);

  // offsets in a v4 TDX quote (header 48, TD report 584) and its QE report certification data
  private static final int SIGNED = 48 + 584;
  private static final int REPORT_DATA = 48 + 520;
  private static final int CERT_DATA = SIGNED + 4 + 64 + 64 + 2 + 4;
  private static final int QE_REPORT_SIZE = 384;

  private final byte[] template;
  private final byte[] templateCollateral;
  final KeyPair rootKey = ec();
  final X509Certificate root;
  private final KeyPair caKey = ec();
  private final X509Certificate ca;
  private final KeyPair pckKey = ec();
  private final X509Certificate pck;
  private final KeyPair tcbKey = ec();
  private final X509Certificate tcbSigner;

  TestTdxQuotes() throws Exception {
    template = resource("tdx/tdx_quote");
    templateCollateral = resource("tdx/tdx_quote_collateral.json");
    X509Certificate intelPck = firstCertificate(template);
    byte[] sgxExtension = intelPck.getExtensionValue(SGX_EXTENSION);
    root =
        cert(
            "CN=Vouch Test SGX Root CA",
            "CN=Vouch Test SGX Root CA",
            rootKey,
            rootKey.getPrivate(),
            null,
            true,
            null);
    ca =
        cert(
            "CN=Vouch Test SGX PCK Platform CA",
            "CN=Vouch Test SGX Root CA",
            caKey,
            rootKey.getPrivate(),
            root,
            true,
            null);
    pck =
        cert(
            "CN=Vouch Test SGX PCK Certificate",
            "CN=Vouch Test SGX PCK Platform CA",
            pckKey,
            caKey.getPrivate(),
            ca,
            false,
            sgxExtension);
    tcbSigner =
        cert(
            "CN=Vouch Test SGX TCB Signing",
            "CN=Vouch Test SGX Root CA",
            tcbKey,
            rootKey.getPrivate(),
            root,
            false,
            null);
  }

  /** The test root, PEM: what a test configures as an extra anchor. */
  String rootPem() throws IOException {
    return pem(root);
  }

  /** A v4 TDX quote whose REPORTDATA is {@code reportData} (at most 64 bytes, zero-padded). */
  byte[] quote(byte[] reportData) throws Exception {
    return quote(reportData, null);
  }

  /**
   * A v4 TDX quote with this REPORTDATA and, when not null, this MRCONFIGID (zero-padded to 48
   * bytes): the field init data is bound through.
   */
  byte[] quote(byte[] reportData, byte[] mrConfigId) throws Exception {
    ByteBuffer in = ByteBuffer.wrap(template).order(ByteOrder.LITTLE_ENDIAN);
    byte[] signed = Arrays.copyOf(template, SIGNED);
    System.arraycopy(Arrays.copyOf(reportData, 64), 0, signed, REPORT_DATA, 64);
    if (mrConfigId != null) {
      // TD report body: TEETCBSVN 16, MRSEAM 48, MRSIGNERSEAM 48, three 8-byte fields, MRTD 48
      System.arraycopy(Arrays.copyOf(mrConfigId, 48), 0, signed, 48 + 184, 48);
    }

    KeyPair att = ec();
    byte[] attKey = point((ECPublicKey) att.getPublic());
    byte[] quoteSig = sign(att.getPrivate(), signed);

    byte[] qeReport = Arrays.copyOfRange(template, CERT_DATA, CERT_DATA + QE_REPORT_SIZE);
    int authLenAt = CERT_DATA + QE_REPORT_SIZE + 64;
    int authLen = in.getShort(authLenAt) & 0xffff;
    byte[] auth = Arrays.copyOfRange(template, authLenAt + 2, authLenAt + 2 + authLen);
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    sha256.update(attKey);
    sha256.update(auth);
    System.arraycopy(Arrays.copyOf(sha256.digest(), 64), 0, qeReport, QE_REPORT_SIZE - 64, 64);
    byte[] qeSig = sign(pckKey.getPrivate(), qeReport);

    byte[] chain = (pem(pck) + pem(ca) + pem(root)).getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream cert6 = new ByteArrayOutputStream();
    cert6.write(qeReport);
    cert6.write(qeSig);
    cert6.write(le16(auth.length));
    cert6.write(auth);
    cert6.write(le16(5));
    cert6.write(le32(chain.length));
    cert6.write(chain);

    ByteArrayOutputStream sig = new ByteArrayOutputStream();
    sig.write(quoteSig);
    sig.write(attKey);
    sig.write(le16(6));
    sig.write(le32(cert6.size()));
    cert6.writeTo(sig);

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(signed);
    out.write(le32(sig.size()));
    sig.writeTo(out);
    return out.toByteArray();
  }

  /** The sample collateral, signed again under the test PKI (a dcap-qvl collateral JSON). */
  byte[] collateral() throws Exception {
    ObjectMapper json = new ObjectMapper();
    ObjectNode c = (ObjectNode) json.readTree(templateCollateral);
    String tcbInfo = c.get("tcb_info").textValue();
    String qeIdentity = c.get("qe_identity").textValue();
    c.put(
        "tcb_info_signature",
        Hex.encode(sign(tcbKey.getPrivate(), tcbInfo.getBytes(StandardCharsets.UTF_8))));
    c.put(
        "qe_identity_signature",
        Hex.encode(sign(tcbKey.getPrivate(), qeIdentity.getBytes(StandardCharsets.UTF_8))));
    String tcbChain = pem(tcbSigner) + pem(root);
    c.put("tcb_info_issuer_chain", tcbChain);
    c.put("qe_identity_issuer_chain", tcbChain);
    c.put("pck_crl_issuer_chain", pem(ca) + pem(root));
    c.put("root_ca_crl", Hex.encode(crl(root, rootKey.getPrivate()).getEncoded()));
    c.put("pck_crl", Hex.encode(crl(ca, caKey.getPrivate()).getEncoded()));
    return json.writeValueAsBytes(c);
  }

  private static X509CRL crl(X509Certificate issuer, PrivateKey key) throws Exception {
    X509v2CRLBuilder b =
        new X509v2CRLBuilder(
            X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
            Date.from(Instant.parse("2025-07-01T00:00:00Z")));
    b.setNextUpdate(Date.from(Instant.parse("2025-08-01T00:00:00Z")));
    b.addExtension(
        Extension.authorityKeyIdentifier,
        false,
        new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(issuer));
    b.addExtension(
        Extension.cRLNumber,
        false,
        new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.valueOf(SERIAL.incrementAndGet())));
    return new JcaX509CRLConverter().getCRL(b.build(signer(key)));
  }

  private static X509Certificate cert(
      String subject,
      String issuer,
      KeyPair subjectKey,
      PrivateKey issuerKey,
      X509Certificate issuerCert,
      boolean isCa,
      byte[] sgxExtension)
      throws Exception {
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name(issuer),
            BigInteger.valueOf(SERIAL.incrementAndGet()),
            FROM,
            TO,
            new X500Name(subject),
            subjectKey.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(
            isCa
                ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                : KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
    b.addExtension(
        Extension.subjectKeyIdentifier,
        false,
        ext.createSubjectKeyIdentifier(subjectKey.getPublic()));
    if (issuerCert != null) {
      b.addExtension(
          Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerCert));
    }
    if (sgxExtension != null) {
      // getExtensionValue gives the OCTET STRING wrapping the extension's DER value
      byte[] inner = org.bouncycastle.asn1.ASN1OctetString.getInstance(sgxExtension).getOctets();
      b.addExtension(new ASN1ObjectIdentifier(SGX_EXTENSION), false, inner);
    }
    return new JcaX509CertificateConverter().getCertificate(b.build(signer(issuerKey)));
  }

  private static ContentSigner signer(PrivateKey key) throws Exception {
    return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
  }

  private static byte[] sign(PrivateKey key, byte[] data) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
    s.initSign(key);
    s.update(data);
    return s.sign();
  }

  private static byte[] point(ECPublicKey k) {
    byte[] out = new byte[64];
    byte[] x = fixed(k.getW().getAffineX());
    byte[] y = fixed(k.getW().getAffineY());
    System.arraycopy(x, 0, out, 0, 32);
    System.arraycopy(y, 0, out, 32, 32);
    return out;
  }

  private static byte[] fixed(BigInteger v) {
    byte[] b = v.toByteArray();
    byte[] out = new byte[32];
    int n = Math.min(b.length, 32);
    System.arraycopy(b, b.length - n, out, 32 - n, n);
    return out;
  }

  private static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate firstCertificate(byte[] quote) throws Exception {
    String text = new String(quote, StandardCharsets.ISO_8859_1);
    int start = text.indexOf("-----BEGIN CERTIFICATE-----");
    int end =
        text.indexOf("-----END CERTIFICATE-----", start) + "-----END CERTIFICATE-----".length();
    List<? extends java.security.cert.Certificate> certs =
        List.copyOf(
            CertificateFactory.getInstance("X.509")
                .generateCertificates(
                    new ByteArrayInputStream(
                        text.substring(start, end).getBytes(StandardCharsets.ISO_8859_1))));
    return (X509Certificate) certs.get(0);
  }

  private static String pem(Object o) throws IOException {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o);
    }
    return w.toString();
  }

  private static byte[] le16(int v) {
    return new byte[] {(byte) v, (byte) (v >>> 8)};
  }

  private static byte[] le32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = TestTdxQuotes.class.getResourceAsStream("/vectors/" + name)) {
      if (in == null) {
        throw new IOException("missing test resource /vectors/" + name);
      }
      return in.readAllBytes();
    }
  }
}
