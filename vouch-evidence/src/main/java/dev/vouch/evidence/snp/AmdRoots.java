package dev.vouch.evidence.snp;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pinned AMD trust anchors per product: the ARK (AMD Root Key), and the ASK and ASVK it signed
 * (the intermediates for VCEKs and VLEKs). The built-in set holds Milan, Genoa and Turin as AMD's
 * KDS publishes them. A certificate supplied with evidence or collateral is never trusted as a
 * root; an ASK or ASVK so supplied is used only after it verifies under the pinned ARK.
 *
 * <p>Immutable and thread-safe.
 */
public final class AmdRoots {
  private static final String RESOURCE = "/dev/vouch/evidence/snp/%s_ask_ark_asvk.pem";

  private final Map<SnpProduct, Anchors> byProduct;

  /** One product's ARK and the intermediates it signed. */
  record Anchors(
      SnpProduct product, AmdCertificate ark, AmdCertificate ask, Optional<AmdCertificate> asvk) {

    /** The intermediate for this kind of VEK, if pinned. */
    Optional<AmdCertificate> intermediate(SnpReport.SigningKey kind) {
      return kind == SnpReport.SigningKey.VLEK ? asvk : Optional.of(ask);
    }
  }

  private AmdRoots(Map<SnpProduct, Anchors> byProduct) {
    this.byProduct = Map.copyOf(byProduct);
  }

  /** AMD's ARK, ASK and ASVK for Milan, Genoa and Turin, from this library's resources. */
  public static AmdRoots builtIn() {
    Map<SnpProduct, Anchors> m = new EnumMap<>(SnpProduct.class);
    for (SnpProduct p : SnpProduct.values()) {
      String path = String.format(RESOURCE, p.wireName());
      try (InputStream in = AmdRoots.class.getResourceAsStream(path)) {
        if (in == null) {
          throw new IllegalStateException("missing built-in AMD roots " + path);
        }
        List<byte[]> certs = new ArrayList<>();
        for (Pem.Block b : Pem.blocks(in.readAllBytes())) {
          certs.add(b.der());
        }
        m.put(p, anchors(p, certs));
      } catch (IOException | VerificationException e) {
        throw new IllegalStateException("built-in AMD roots " + path + " are unusable", e);
      }
    }
    return new AmdRoots(m);
  }

  /**
   * Trust anchors given by the caller (another AMD hierarchy, or a test hierarchy): for each
   * product, DER certificates holding exactly one self-signed ARK, one ASK and at most one ASVK
   * (recognised by a {@code SEV-VLEK-} common name), each signed by that ARK.
   *
   * @throws VerificationException {@link Failure#CHAIN_UNTRUSTED} when a certificate is not signed
   *     by the ARK, {@link Failure#MALFORMED} when the set is incomplete or does not parse
   */
  public static AmdRoots of(Map<SnpProduct, List<byte[]>> certificates)
      throws VerificationException {
    Map<SnpProduct, Anchors> m = new EnumMap<>(SnpProduct.class);
    for (Map.Entry<SnpProduct, List<byte[]>> e : certificates.entrySet()) {
      m.put(e.getKey(), anchors(e.getKey(), e.getValue()));
    }
    return new AmdRoots(m);
  }

  private static Anchors anchors(SnpProduct product, List<byte[]> ders)
      throws VerificationException {
    AmdCertificate ark = null;
    AmdCertificate ask = null;
    AmdCertificate asvk = null;
    for (byte[] der : ders) {
      AmdCertificate c = AmdCertificate.parse(der);
      if (c.selfIssued()) {
        if (ark != null) {
          throw new VerificationException(Failure.MALFORMED, product + ": two ARKs");
        }
        ark = c;
      } else if (c.subjectCn().startsWith("SEV-VLEK-")) {
        asvk = c;
      } else {
        ask = c;
      }
    }
    if (ark == null || ask == null) {
      throw new VerificationException(
          Failure.MALFORMED, product + ": trust anchors need an ARK and an ASK");
    }
    ark.requireSignedBy(ark);
    ask.requireSignedBy(ark);
    if (asvk != null) {
      asvk.requireSignedBy(ark);
    }
    return new Anchors(product, ark, ask, Optional.ofNullable(asvk));
  }

  Optional<Anchors> anchors(SnpProduct product) {
    return Optional.ofNullable(byProduct.get(product));
  }

  /** The products these anchors cover. */
  public java.util.Set<SnpProduct> products() {
    return byProduct.keySet();
  }

  /** The pinned ARK of {@code product}, DER. */
  public Optional<byte[]> ark(SnpProduct product) {
    return anchors(product).map(a -> a.ark().der());
  }
}
