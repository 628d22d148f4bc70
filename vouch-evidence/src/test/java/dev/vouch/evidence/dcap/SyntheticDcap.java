package dev.vouch.evidence.dcap;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vouch.core.bytes.Hex;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Re-signs a real TDX quote and its real collateral under a throw-away Intel-shaped PKI (root, PCK
 * CA, PCK leaf carrying the real SGX extension, TCB signing certificate, fresh attestation key), so
 * that tests can revoke certificates, edit TCB levels and change signed fields, which Intel's own
 * keys would never allow.
 */
public final class SyntheticDcap {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  static final Instant NOT_BEFORE = Instant.parse("2020-01-01T00:00:00Z");
  static final Instant NOT_AFTER = Instant.parse("2040-01-01T00:00:00Z");

  private final byte[] realQuote;
  private final DcapQuote parsed;
  final KeyPair rootKey = ec();
  final KeyPair caKey = ec();
  final KeyPair pckKey = ec();
  final KeyPair tcbKey = ec();
  final KeyPair attKey = ec();
  public final X509Certificate root;
  public final X509Certificate ca;
  public final X509Certificate pck;
  public final X509Certificate tcbSigner;

  /** A PKI whose PCK certificate certifies what the real quote's PCK certificate certifies. */
  public SyntheticDcap(byte[] realQuote) throws Exception {
    this.realQuote = realQuote.clone();
    this.parsed = DcapQuote.parse(realQuote);
    X509Certificate realPck = IntelPki.pemCertificates(parsed.pckChainPem()).get(0);
    byte[] sgxExt =
        ASN1OctetString.getInstance(realPck.getExtensionValue(PckExtensions.SGX_EXTENSION_OID))
            .getOctets();
    X500Name rootName = new X500Name("CN=Test SGX Root CA,O=Vouch test");
    X500Name caName = new X500Name("CN=Test SGX PCK Platform CA,O=Vouch test");
    root = cert(rootName, rootName, rootKey, rootKey.getPrivate(), 1, true, null);
    ca = cert(caName, rootName, caKey, rootKey.getPrivate(), 2, true, null);
    pck =
        cert(
            new X500Name("CN=Test SGX PCK Certificate,O=Vouch test"),
            caName,
            pckKey,
            caKey.getPrivate(),
            3,
            false,
            sgxExt);
    tcbSigner =
        cert(
            new X500Name("CN=Test SGX TCB Signing,O=Vouch test"),
            rootName,
            tcbKey,
            rootKey.getPrivate(),
            4,
            false,
            null);
  }

  /** The PKI pinned to the synthetic root. */
  public IntelPki pki() {
    return IntelPki.withRoot(root);
  }

  /** The real quote re-signed, after {@code edit} changed its signed part (header and body). */
  public byte[] quote(UnaryOperator<byte[]> edit) throws Exception {
    byte[] signed = edit.apply(Arrays.copyOf(realQuote, parsed.signedLength()));
    byte[] att = rawPoint((ECPublicKey) attKey.getPublic());
    byte[] auth = parsed.qeAuthData();
    byte[] qe = parsed.qeReportBytes();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(att);
    sha.update(auth);
    byte[] binding = Arrays.copyOf(sha.digest(), 64);
    System.arraycopy(binding, 0, qe, 320, 64);
    byte[] pem = (pem(pck) + pem(ca) + pem(root)).getBytes(StandardCharsets.US_ASCII);
    ByteArrayOutputStream cert6 = new ByteArrayOutputStream();
    cert6.write(qe);
    cert6.write(rawSign(pckKey.getPrivate(), qe));
    cert6.write(le16(auth.length));
    cert6.write(auth);
    cert6.write(le16(5));
    cert6.write(le32(pem.length));
    cert6.write(pem);
    ByteArrayOutputStream sig = new ByteArrayOutputStream();
    sig.write(rawSign(attKey.getPrivate(), signed));
    sig.write(att);
    sig.write(le16(6));
    sig.write(le32(cert6.size()));
    cert6.writeTo(sig);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(signed);
    out.write(le32(sig.size()));
    sig.writeTo(out);
    return out.toByteArray();
  }

  /** The real quote re-signed unchanged. */
  public byte[] quote() throws Exception {
    return quote(b -> b);
  }

  /**
   * A dcap-qvl collateral bundle with {@code tcbInfo} and {@code qeIdentity} (exact JSON strings)
   * signed by the synthetic TCB signing key and CRLs valid {@code from}..{@code to}.
   */
  public byte[] collateral(
      String tcbInfo,
      String qeIdentity,
      List<BigInteger> revokedByRoot,
      List<BigInteger> revokedPck,
      Instant from,
      Instant to)
      throws Exception {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("pck_crl_issuer_chain", pem(ca) + pem(root));
    m.put("root_ca_crl", Hex.encode(crl(root, rootKey.getPrivate(), revokedByRoot, from, to)));
    m.put("pck_crl", Hex.encode(crl(ca, caKey.getPrivate(), revokedPck, from, to)));
    m.put("tcb_info_issuer_chain", pem(tcbSigner) + pem(root));
    m.put("tcb_info", tcbInfo);
    m.put(
        "tcb_info_signature",
        Hex.encode(rawSign(tcbKey.getPrivate(), tcbInfo.getBytes(StandardCharsets.UTF_8))));
    m.put("qe_identity_issuer_chain", pem(tcbSigner) + pem(root));
    m.put("qe_identity", qeIdentity);
    m.put(
        "qe_identity_signature",
        Hex.encode(rawSign(tcbKey.getPrivate(), qeIdentity.getBytes(StandardCharsets.UTF_8))));
    return MAPPER.writeValueAsBytes(m);
  }

  private static byte[] crl(
      X509Certificate issuer, PrivateKey key, List<BigInteger> revoked, Instant from, Instant to)
      throws Exception {
    X509v2CRLBuilder b =
        new X509v2CRLBuilder(
            X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), Date.from(from));
    b.setNextUpdate(Date.from(to));
    for (BigInteger s : revoked) {
      b.addCRLEntry(s, Date.from(from), CRLReason.keyCompromise);
    }
    X509CRL crl = new JcaX509CRLConverter().getCRL(b.build(signer(key)));
    return crl.getEncoded();
  }

  private static X509Certificate cert(
      X500Name subject,
      X500Name issuer,
      KeyPair subjectKey,
      PrivateKey issuerKey,
      long serial,
      boolean ca,
      byte[] sgxExtension)
      throws Exception {
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(serial),
            Date.from(NOT_BEFORE),
            Date.from(NOT_AFTER),
            subject,
            subjectKey.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    // the key usages Intel's own certificates carry (root and CAs: keyCertSign and cRLSign; PCK
    // and TCB signing certificates: digitalSignature and nonRepudiation)
    b.addExtension(
        Extension.keyUsage,
        true,
        new KeyUsage(
            ca
                ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                : KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
    if (sgxExtension != null) {
      b.addExtension(
          new ASN1ObjectIdentifier(PckExtensions.SGX_EXTENSION_OID),
          false,
          ASN1Primitive.fromByteArray(sgxExtension));
    }
    return new JcaX509CertificateConverter().getCertificate(b.build(signer(issuerKey)));
  }

  private static ContentSigner signer(PrivateKey key) throws Exception {
    return new JcaContentSignerBuilder("SHA256withECDSA").build(key);
  }

  static String pem(X509Certificate c) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(c.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  private static byte[] rawSign(PrivateKey key, byte[] data) throws Exception {
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(key);
    s.update(data);
    ASN1Sequence seq = ASN1Sequence.getInstance(s.sign());
    byte[] out = new byte[64];
    fixed(ASN1Integer.getInstance(seq.getObjectAt(0)).getPositiveValue(), out, 0);
    fixed(ASN1Integer.getInstance(seq.getObjectAt(1)).getPositiveValue(), out, 32);
    return out;
  }

  private static void fixed(BigInteger v, byte[] out, int off) {
    byte[] b = v.toByteArray();
    int n = Math.min(b.length, 32);
    System.arraycopy(b, b.length - n, out, off + 32 - n, n);
  }

  private static byte[] rawPoint(ECPublicKey k) {
    byte[] out = new byte[64];
    fixed(k.getW().getAffineX(), out, 0);
    fixed(k.getW().getAffineY(), out, 32);
    return out;
  }

  private static byte[] le16(int v) {
    return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array();
  }

  private static byte[] le32(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  private static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
