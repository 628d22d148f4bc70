package dev.vouch.evidence.dcap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Failure;
import dev.vouch.core.VerificationException;
import dev.vouch.core.bytes.Hex;
import java.io.InputStream;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.function.UnaryOperator;
import org.bouncycastle.asn1.ASN1Boolean;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * The platform members of the PCK certificate's SGX extension (Intel's PCK certificate profile:
 * PlatformInstanceID 1.2.840.113741.1.13.1.6 and Configuration .7 with DynamicPlatform, CachedKeys
 * and SMTEnabled), read from real Intel-issued PCK certificates and from altered copies of their
 * extension.
 */
class PckPlatformTest {
  private static final String PLATFORM_CA = "CN=Intel SGX PCK Platform CA,O=Intel Corporation";
  private static final String PROCESSOR_CA = "CN=Intel SGX PCK Processor CA,O=Intel Corporation";

  private static byte[] resource(String name) throws Exception {
    try (InputStream in = PckPlatformTest.class.getResourceAsStream("/vectors/tdx/" + name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static X509Certificate pckOf(String quote) throws Exception {
    return IntelPki.pemCertificates(DcapQuote.parse(resource(quote)).pckChainPem()).get(0);
  }

  private static ASN1Sequence sgxExtension(X509Certificate pck) throws Exception {
    return ASN1Sequence.getInstance(
        ASN1Primitive.fromByteArray(
            ASN1OctetString.getInstance(pck.getExtensionValue(PckExtensions.SGX_EXTENSION_OID))
                .getOctets()));
  }

  /** A certificate by {@code issuer} carrying {@code ext} as its SGX extension. */
  private static X509Certificate withExtension(String issuer, ASN1Sequence ext) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair k = g.generateKeyPair();
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            new X500Name(issuer),
            BigInteger.ONE,
            Date.from(Instant.parse("2020-01-01T00:00:00Z")),
            Date.from(Instant.parse("2040-01-01T00:00:00Z")),
            new X500Name("CN=Intel SGX PCK Certificate"),
            k.getPublic());
    b.addExtension(new ASN1ObjectIdentifier(PckExtensions.SGX_EXTENSION_OID), false, ext);
    return new JcaX509CertificateConverter()
        .getCertificate(
            b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate())));
  }

  /** The occlum quote's extension with its members passed through {@code edit}. */
  private static ASN1Sequence edited(UnaryOperator<List<ASN1Encodable>> edit) throws Exception {
    List<ASN1Encodable> members = new ArrayList<>();
    sgxExtension(pckOf("sgx/occlum_quote.dat")).forEach(members::add);
    return new DERSequence(edit.apply(members).toArray(ASN1Encodable[]::new));
  }

  private static String oidOf(ASN1Encodable member) {
    return ASN1ObjectIdentifier.getInstance(ASN1Sequence.getInstance(member).getObjectAt(0))
        .getId();
  }

  private static List<ASN1Encodable> without(List<ASN1Encodable> members, String oid) {
    members.removeIf(m -> oidOf(m).equals(oid));
    return members;
  }

  private static Failure failureOf(X509Certificate cert) {
    try {
      PckExtensions.of(cert);
      throw new AssertionError("accepted");
    } catch (VerificationException e) {
      return e.failure();
    }
  }

  @Test
  void readsTheOcclumPlatformInstanceAsTrusteePrintsIt() throws Exception {
    PckExtensions p = PckExtensions.of(pckOf("sgx/occlum_quote.dat"));
    PckExtensions.Platform platform = p.platform().orElseThrow();
    // Trustee's parse_sgx_claims expects this value for the same certificate
    assertThat(Hex.encode(platform.instanceIdBigEndian()))
        .isEqualTo("7a3a6941065cd5060bd93d3db2cfc0c8");
    assertThat(platform.dynamicPlatform()).isTrue();
    assertThat(platform.cachedKeys()).isTrue();
    assertThat(platform.smtEnabled()).isTrue();
    assertThat(p.sgxType()).isEqualTo(1);
  }

  @Test
  void readsTheTdxPlatformInstanceTrusteeExpects() throws Exception {
    PckExtensions p = PckExtensions.of(pckOf("trustee/tdx_quote_4.dat"));
    assertThat(Hex.encode(p.platform().orElseThrow().instanceIdBigEndian()))
        .isEqualTo("82548d228d94d5e204a95b354dc61a02");
  }

  @Test
  void aProcessorCaCertificateHasNoPlatformMembers() throws Exception {
    PckExtensions p = PckExtensions.of(pckOf("sgx/sgx_quote"));
    assertThat(p.platform()).isEmpty();
    assertThat(p.sgxType()).isZero();
  }

  @Test
  void theUnchangedExtensionReadsTheSameUnderThePlatformCa() throws Exception {
    assertThat(PckExtensions.of(withExtension(PLATFORM_CA, edited(m -> m))).platform()).isPresent();
  }

  @Test
  void refusesAPlatformCaCertificateWithoutThePlatformMembers() throws Exception {
    ASN1Sequence ext =
        edited(m -> without(without(m, "1.2.840.113741.1.13.1.6"), "1.2.840.113741.1.13.1.7"));
    assertThat(failureOf(withExtension(PLATFORM_CA, ext))).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void refusesAProcessorCaCertificateWithPlatformMembers() throws Exception {
    assertThat(failureOf(withExtension(PROCESSOR_CA, edited(m -> m)))).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void refusesAnInstanceIdWithoutConfiguration() throws Exception {
    ASN1Sequence ext = edited(m -> without(m, "1.2.840.113741.1.13.1.7"));
    assertThat(failureOf(withExtension(PLATFORM_CA, ext))).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void refusesATruncatedInstanceId() throws Exception {
    ASN1Sequence ext =
        edited(
            m -> {
              List<ASN1Encodable> out = without(m, "1.2.840.113741.1.13.1.6");
              out.add(
                  new DERSequence(
                      new ASN1Encodable[] {
                        new ASN1ObjectIdentifier("1.2.840.113741.1.13.1.6"),
                        new DEROctetString(new byte[15])
                      }));
              return out;
            });
    assertThat(failureOf(withExtension(PLATFORM_CA, ext))).isEqualTo(Failure.MALFORMED);
  }

  @Test
  void refusesAConfigurationLackingOrRepeatingAFlag() throws Exception {
    for (int flags : new int[] {2, 4}) {
      ASN1Sequence ext =
          edited(
              m -> {
                List<ASN1Encodable> out = without(m, "1.2.840.113741.1.13.1.7");
                ASN1EncodableVector config = new ASN1EncodableVector();
                for (int i = 0; i < flags; i++) {
                  config.add(
                      new DERSequence(
                          new ASN1Encodable[] {
                            new ASN1ObjectIdentifier(
                                "1.2.840.113741.1.13.1.7." + Math.min(i + 1, 3)),
                            ASN1Boolean.TRUE
                          }));
                }
                out.add(
                    new DERSequence(
                        new ASN1Encodable[] {
                          new ASN1ObjectIdentifier("1.2.840.113741.1.13.1.7"),
                          new DERSequence(config)
                        }));
                return out;
              });
      assertThat(failureOf(withExtension(PLATFORM_CA, ext)))
          .as("%d flags", flags)
          .isEqualTo(Failure.MALFORMED);
    }
  }
}
