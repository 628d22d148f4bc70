package dev.vouch.evidence.snp;

import dev.vouch.core.crypto.Crypto;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A test AMD hierarchy (ARK, ASK, ASVK with RSASSA-PSS SHA-384 as AMD signs, VCEK/VLEK with P-384
 * keys and AMD's extensions) and a report builder, for the cases no real vector covers: CRLs, Turin
 * and version 5 layouts, unsigned reports, rogue intermediates. Public for the tests of kinds that
 * embed an SNP report (Azure's HCL report).
 */
public final class TestAmdPki {
  static final Instant NOT_BEFORE = Instant.parse("2024-01-01T00:00:00Z");
  public static final Instant NOT_AFTER = Instant.parse("2030-01-01T00:00:00Z");
  public static final Instant AT = Instant.parse("2025-01-01T00:00:00Z");

  private static final KeyPair ARK = rsa();
  private static final KeyPair ASK = rsa();
  private static final KeyPair ASVK = rsa();
  private static final KeyPair ROGUE = rsa();

  final SnpProduct product;
  final byte[] arkDer;
  final byte[] askDer;
  final byte[] asvkDer;
  final KeyPair vekKey = ec();

  public TestAmdPki(SnpProduct product) throws Exception {
    this.product = product;
    String p = product.amdName();
    arkDer = cert("ARK-" + p, "ARK-" + p, ARK.getPublic(), ARK.getPrivate(), 1, NOT_AFTER, null);
    askDer = cert("SEV-" + p, "ARK-" + p, ASK.getPublic(), ARK.getPrivate(), 2, NOT_AFTER, null);
    asvkDer =
        cert("SEV-VLEK-" + p, "ARK-" + p, ASVK.getPublic(), ARK.getPrivate(), 3, NOT_AFTER, null);
  }

  public AmdRoots roots() throws Exception {
    return AmdRoots.of(Map.of(product, List.of(arkDer, askDer, asvkDer)));
  }

  /** An ASK with the genuine name and key that the ARK did not sign. */
  byte[] rogueAsk() throws Exception {
    String p = product.amdName();
    return cert("SEV-" + p, "ARK-" + p, ASK.getPublic(), ROGUE.getPrivate(), 2, NOT_AFTER, null);
  }

  /**
   * A complete rogue chain: an ASK with the genuine name signed by a key that is not the ARK's, a
   * VCEK it signed, and (as PKCS#8) the VCEK's private key: {ask, vcek, key}.
   */
  byte[][] rogueChain(Tcb tcb, byte[] hwId) throws Exception {
    String p = product.amdName();
    KeyPair vek = ec();
    byte[] ask =
        cert("SEV-" + p, "ARK-" + p, ROGUE.getPublic(), ROGUE.getPrivate(), 2, NOT_AFTER, null);
    byte[] vcek =
        cert(
            "SEV-VCEK",
            "SEV-" + p,
            vek.getPublic(),
            ROGUE.getPrivate(),
            0,
            NOT_AFTER,
            b -> extensions(b, tcb, hwId, null));
    return new byte[][] {ask, vcek, vek.getPrivate().getEncoded()};
  }

  byte[] askExpiringAt(Instant notAfter) throws Exception {
    String p = product.amdName();
    return cert("SEV-" + p, "ARK-" + p, ASK.getPublic(), ARK.getPrivate(), 2, notAfter, null);
  }

  /** The VEK's AMD extensions. */
  public record Tcb(int fmc, int bl, int tee, int snp, int ucode) {}

  public byte[] vcek(Tcb tcb, byte[] hwId) throws Exception {
    return cert(
        "SEV-VCEK",
        "SEV-" + product.amdName(),
        vekKey.getPublic(),
        ASK.getPrivate(),
        0,
        NOT_AFTER,
        b -> extensions(b, tcb, hwId, null));
  }

  byte[] vlek(Tcb tcb) throws Exception {
    return cert(
        "SEV-VLEK",
        "SEV-VLEK-" + product.amdName(),
        vekKey.getPublic(),
        ASVK.getPrivate(),
        0,
        NOT_AFTER,
        b -> extensions(b, tcb, null, "CN=csp.example"));
  }

  private void extensions(X509v3CertificateBuilder b, Tcb tcb, byte[] hwId, String csp)
      throws Exception {
    String amd = "1.3.6.1.4.1.3704.1";
    b.addExtension(oid(amd + ".1"), false, new ASN1Integer(0));
    b.addExtension(oid(amd + ".2"), false, new DERIA5String(product.amdName() + "-B0"));
    b.addExtension(oid(amd + ".3.1"), false, new ASN1Integer(tcb.bl()));
    b.addExtension(oid(amd + ".3.2"), false, new ASN1Integer(tcb.tee()));
    b.addExtension(oid(amd + ".3.3"), false, new ASN1Integer(tcb.snp()));
    b.addExtension(oid(amd + ".3.8"), false, new ASN1Integer(tcb.ucode()));
    if (product.fmcTcbLayout()) {
      b.addExtension(oid(amd + ".3.9"), false, new ASN1Integer(tcb.fmc()));
    }
    if (hwId != null) {
      // the newer encoding: the hwID wrapped in an OCTET STRING
      b.addExtension(oid(amd + ".4"), false, new DEROctetString(hwId));
    }
    if (csp != null) {
      b.addExtension(oid(amd + ".5"), false, new DERIA5String(csp));
    }
  }

  /**
   * A CRL by the ARK (revoking intermediates), or one by the ASK, which may not sign CRLs (its
   * keyUsage is keyCertSign only, as AMD's), so that no validator should use it.
   */
  public byte[] crl(boolean byArk, Instant nextUpdate, BigInteger... revoked) throws Exception {
    String p = product.amdName();
    X500Name issuer = name(byArk ? "ARK-" + p : "SEV-" + p);
    X509v2CRLBuilder b = new X509v2CRLBuilder(issuer, Date.from(NOT_BEFORE));
    b.setNextUpdate(Date.from(nextUpdate));
    for (BigInteger s : revoked) {
      b.addCRLEntry(s, Date.from(NOT_BEFORE), CRLReason.keyCompromise);
    }
    return b.build(pss(byArk ? ARK.getPrivate() : ASK.getPrivate())).getEncoded();
  }

  /** A CRL naming the ARK as issuer but signed by another key. */
  byte[] forgedArkCrl() throws Exception {
    X509v2CRLBuilder b =
        new X509v2CRLBuilder(name("ARK-" + product.amdName()), Date.from(NOT_BEFORE));
    b.setNextUpdate(Date.from(NOT_AFTER));
    return b.build(pss(ROGUE.getPrivate())).getEncoded();
  }

  /** Report fields the tests vary; everything else is fixed. */
  public static final class ReportSpec {
    int version = 3;
    int family = 0x19;
    int model = 0x01;
    long policy = 0x30000;
    long keyInfo = 0;
    public long vmpl = 0;
    public long tcb;
    public byte[] chipId = new byte[64];
    public byte[] reportData = new byte[64];
  }

  /** A Milan report spec with this TCB and chip ID, the shape other packages' tests need. */
  public static ReportSpec milan(Tcb t, byte[] chipId) {
    ReportSpec s = new ReportSpec();
    s.tcb =
        TcbVersion.encode(
            SnpProduct.MILAN, java.util.OptionalInt.empty(), t.bl(), t.tee(), t.snp(), t.ucode());
    s.chipId = chipId.clone();
    return s;
  }

  /** Builds and signs a report with the VEK key. */
  public byte[] report(ReportSpec s) throws Exception {
    return report(s, vekKey.getPrivate());
  }

  /** Builds a report signed by the given PKCS#8 P-384 key. */
  byte[] report(ReportSpec s, byte[] pkcs8) throws Exception {
    return report(
        s,
        java.security.KeyFactory.getInstance("EC")
            .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pkcs8)));
  }

  private byte[] report(ReportSpec s, PrivateKey key) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(SnpReport.LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x00, s.version);
    b.putInt(0x04, 7);
    b.putLong(0x08, s.policy);
    b.putInt(0x30, (int) s.vmpl);
    b.putInt(0x34, 1);
    b.putLong(0x38, s.tcb);
    b.putLong(0x40, 0x3);
    b.putInt(0x48, (int) s.keyInfo);
    b.put(0x50, s.reportData);
    for (int i = 0; i < 48; i++) {
      b.put(0x90 + i, (byte) i);
    }
    b.putLong(0x180, s.tcb);
    if (s.version >= 3) {
      b.put(0x188, (byte) s.family);
      b.put(0x189, (byte) s.model);
      b.put(0x18A, (byte) 1);
    }
    b.put(0x1A0, s.chipId);
    b.putLong(0x1E0, s.tcb);
    b.put(0x1E8, (byte) 3).put(0x1E9, (byte) 55).put(0x1EA, (byte) 1);
    b.put(0x1EC, (byte) 3).put(0x1ED, (byte) 55).put(0x1EE, (byte) 1);
    b.putLong(0x1F0, s.tcb);
    if (s.version >= 5) {
      b.putLong(0x1F8, 0x11);
      b.putLong(0x200, 0x13);
    }
    byte[] out = b.array();
    Signature sig = Signature.getInstance("SHA384withECDSA", Crypto.bouncyCastle());
    sig.initSign(key);
    sig.update(out, 0, SnpReport.SIGNED_LENGTH);
    ASN1Sequence rs = ASN1Sequence.getInstance(sig.sign());
    putLittleEndian(out, 0x2A0, ASN1Integer.getInstance(rs.getObjectAt(0)).getValue());
    putLittleEndian(out, 0x2E8, ASN1Integer.getInstance(rs.getObjectAt(1)).getValue());
    return out;
  }

  private static void putLittleEndian(byte[] out, int at, BigInteger v) {
    byte[] be = v.toByteArray();
    for (int i = 0; i < be.length && i < 72; i++) {
      out[at + i] = be[be.length - 1 - i];
    }
  }

  @FunctionalInterface
  private interface Customizer {
    void apply(X509v3CertificateBuilder b) throws Exception;
  }

  private static byte[] cert(
      String subject,
      String issuer,
      PublicKey key,
      PrivateKey signer,
      long serial,
      Instant notAfter,
      Customizer extra)
      throws Exception {
    X509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            name(issuer),
            BigInteger.valueOf(serial),
            Date.from(NOT_BEFORE),
            Date.from(notAfter),
            name(subject),
            key);
    // the extensions AMD's own certificates carry: ARK and ASK/ASVK are CAs (the ARK may sign
    // CRLs, the ASK and ASVK only certificates); VCEKs and VLEKs carry neither extension
    boolean ark = subject.startsWith("ARK-");
    boolean vek = subject.equals("SEV-VCEK") || subject.equals("SEV-VLEK");
    if (ark) {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } else if (!vek) {
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
    }
    if (extra != null) {
      extra.apply(b);
    }
    return b.build(pss(signer)).getEncoded();
  }

  private static ContentSigner pss(PrivateKey k) throws Exception {
    return new JcaContentSignerBuilder("SHA384WITHRSAANDMGF1")
        .setProvider(Crypto.bouncyCastle())
        .build(k);
  }

  private static X500Name name(String cn) {
    return new X500Name("CN=" + cn + ",O=Test Micro Devices,C=US");
  }

  private static org.bouncycastle.asn1.ASN1ObjectIdentifier oid(String s) {
    return new org.bouncycastle.asn1.ASN1ObjectIdentifier(s);
  }

  private static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp384r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
