package dev.vouch.evidence.dcap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Intel collateral recognised by content among caller-supplied files: TCB info and QE identity JSON
 * (as PCS serves them, {@code {"tcbInfo":{...},"signature":"hex"}}), Phala dcap-qvl collateral
 * bundles ({@code *_collateral.json}: {@code tcb_info}, {@code qe_identity}, issuer chains, hex
 * CRLs), certificates and CRLs in PEM, DER or hex. Files that are none of these (AMD chains, notes)
 * are ignored. Nothing here is trusted yet: {@link DcapQuoteVerifier} checks every signature
 * against the pinned Intel root before it uses an item.
 */
public record DcapCollateral(
    List<TcbInfo> tcbInfos,
    List<QeIdentity> qeIdentities,
    List<X509CRL> crls,
    List<X509Certificate> certificates) {

  public DcapCollateral {
    tcbInfos = List.copyOf(tcbInfos);
    qeIdentities = List.copyOf(qeIdentities);
    crls = List.copyOf(crls);
    certificates = List.copyOf(certificates);
  }

  /** No collateral. */
  public static DcapCollateral empty() {
    return new DcapCollateral(List.of(), List.of(), List.of(), List.of());
  }

  /** True when no TCB info, QE identity or CRL was found. */
  public boolean isEmpty() {
    return tcbInfos.isEmpty() && qeIdentities.isEmpty() && crls.isEmpty();
  }

  /** This collateral and {@code other} together. */
  public DcapCollateral plus(DcapCollateral other) {
    return new DcapCollateral(
        concat(tcbInfos, other.tcbInfos),
        concat(qeIdentities, other.qeIdentities),
        concat(crls, other.crls),
        concat(certificates, other.certificates));
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** Recognises every file of {@code files}. */
  public static DcapCollateral parse(List<byte[]> files) throws VerificationException {
    DcapCollateral all = empty();
    for (byte[] f : files) {
      all = all.plus(parseFile(f));
    }
    return all;
  }

  /**
   * Recognises one file.
   *
   * @throws VerificationException {@link Failure#MALFORMED} for a file that is shaped as Intel
   *     collateral but whose content is broken
   */
  public static DcapCollateral parseFile(byte[] file) throws VerificationException {
    int first = 0;
    while (first < file.length && Character.isWhitespace(file[first])) {
      first++;
    }
    if (first == file.length) {
      return empty();
    }
    if (file[first] == '{') {
      return json(file);
    }
    if (contains(file, "-----BEGIN ")) {
      return pem(file);
    }
    if ((file[first] & 0xff) == 0x30) {
      return der(file);
    }
    String text = new String(file, StandardCharsets.US_ASCII).strip();
    if (Hex.isHex(text) && text.length() < 4_000_000) {
      return der(Hex.decode(text));
    }
    return empty();
  }

  private static DcapCollateral json(byte[] file) throws VerificationException {
    var tcb = SignedJson.member(file, "tcbInfo");
    var qe = SignedJson.member(file, "enclaveIdentity");
    if (tcb.isPresent() || qe.isPresent()) {
      JsonNode tree = Json.tree(file, "collateral JSON");
      byte[] sig = signature(Json.text(tree, "signature"));
      List<TcbInfo> t = new ArrayList<>();
      List<QeIdentity> q = new ArrayList<>();
      if (tcb.isPresent()) {
        t.add(TcbInfo.parse(tcb.get(), sig));
      }
      if (qe.isPresent()) {
        q.add(QeIdentity.parse(qe.get(), sig));
      }
      return new DcapCollateral(t, q, List.of(), List.of());
    }
    JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(file);
    } catch (java.io.IOException e) {
      return empty();
    }
    if (tree == null || !tree.isObject() || !tree.has("tcb_info") || !tree.has("qe_identity")) {
      return empty();
    }
    // a dcap-qvl QuoteCollateralV3 bundle: the signed JSON as strings, CRLs as hex DER
    List<X509Certificate> certs = new ArrayList<>();
    for (String chain :
        List.of("tcb_info_issuer_chain", "qe_identity_issuer_chain", "pck_crl_issuer_chain")) {
      if (tree.has(chain)) {
        certs.addAll(
            IntelPki.pemCertificates(Json.text(tree, chain).getBytes(StandardCharsets.US_ASCII)));
      }
    }
    List<X509CRL> crls = new ArrayList<>();
    for (String crl : List.of("root_ca_crl", "pck_crl")) {
      if (tree.has(crl)) {
        crls.add(IntelPki.crl(hexOrPemCrl(Json.text(tree, crl))));
      }
    }
    TcbInfo tcbInfo =
        TcbInfo.parse(
            Json.text(tree, "tcb_info").getBytes(StandardCharsets.UTF_8),
            signature(Json.text(tree, "tcb_info_signature")));
    QeIdentity qeIdentity =
        QeIdentity.parse(
            Json.text(tree, "qe_identity").getBytes(StandardCharsets.UTF_8),
            signature(Json.text(tree, "qe_identity_signature")));
    return new DcapCollateral(List.of(tcbInfo), List.of(qeIdentity), crls, certs);
  }

  private static byte[] hexOrPemCrl(String s) throws VerificationException {
    if (Hex.isHex(s)) {
      return Hex.decode(s);
    }
    for (IntelPki.PemBlock b : IntelPki.pemBlocks(s.getBytes(StandardCharsets.US_ASCII))) {
      if (b.label().equals("X509 CRL")) {
        return b.der();
      }
    }
    throw new VerificationException(Failure.MALFORMED, "CRL is neither hex nor PEM");
  }

  private static byte[] signature(String hex) throws VerificationException {
    if (!Hex.isHex(hex) || hex.length() != 128) {
      throw new VerificationException(
          Failure.MALFORMED, "collateral signature is not 64 bytes of hex");
    }
    return Hex.decode(hex);
  }

  private static DcapCollateral pem(byte[] file) throws VerificationException {
    List<X509Certificate> certs = new ArrayList<>();
    List<X509CRL> crls = new ArrayList<>();
    for (IntelPki.PemBlock b : IntelPki.pemBlocks(file)) {
      switch (b.label()) {
        case "CERTIFICATE" -> certs.add(IntelPki.certificate(b.der()));
        case "X509 CRL" -> crls.add(IntelPki.crl(b.der()));
        default -> {
          // keys and other blocks are not collateral
        }
      }
    }
    return new DcapCollateral(List.of(), List.of(), crls, certs);
  }

  private static DcapCollateral der(byte[] der) {
    try {
      return new DcapCollateral(List.of(), List.of(), List.of(IntelPki.crl(der)), List.of());
    } catch (VerificationException notCrl) {
      try {
        return new DcapCollateral(
            List.of(), List.of(), List.of(), List.of(IntelPki.certificate(der)));
      } catch (VerificationException notCert) {
        return empty();
      }
    }
  }

  private static boolean contains(byte[] file, String marker) {
    byte[] m = marker.getBytes(StandardCharsets.US_ASCII);
    outer:
    for (int i = 0; i + m.length <= file.length; i++) {
      for (int j = 0; j < m.length; j++) {
        if (file[i + j] != m[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
