package dev.vouch.evidence.pki;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.evidence.testing.ResearchData;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Why the Intel, AMD and TPM path settings allow no extra critical extension: in every certificate
 * of the research vectors (PCK chains inside the TDX and SGX quotes, Intel collateral chains, AMD
 * ARK/ASK/ASVK/VCEK/VLEK, Google's EK/AK CAs and AK certificate) the only critical extensions are
 * keyUsage, basicConstraints and subjectAltName, which PKIX itself processes. Intel's SGX extension
 * (1.2.840.113741.1.13.1) and AMD's VEK extensions (1.3.6.1.4.1.3704.1.*) are non-critical. Should
 * a vendor mark one critical, this test and the validator both say so instead of passing it.
 */
class VendorCriticalExtensionsTest {
  private static final Set<String> PKIX_PROCESSED = Set.of("2.5.29.15", "2.5.29.19", "2.5.29.17");
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", Pattern.DOTALL);

  @Test
  void vendorCertificatesMarkOnlyPkixExtensionsCritical() throws Exception {
    List<X509Certificate> certs = new ArrayList<>();
    for (String folder : List.of("tdx", "sev-snp", "tpm-quote")) {
      try (Stream<Path> files = Files.walk(ResearchData.vectors(folder))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          certs.addAll(certificates(Files.readAllBytes(f)));
        }
      }
    }
    // PCK chains of several quotes, Intel collateral, three AMD products, Google's CAs
    assertThat(certs).hasSizeGreaterThan(40);
    boolean sawSgxExtension = false;
    boolean sawAmdExtension = false;
    for (X509Certificate c : certs) {
      Set<String> critical = c.getCriticalExtensionOIDs();
      assertThat(critical == null ? Set.of() : critical)
          .as("critical extensions of %s", c.getSubjectX500Principal())
          .isSubsetOf(PKIX_PROCESSED);
      sawSgxExtension |= c.getExtensionValue("1.2.840.113741.1.13.1") != null;
      sawAmdExtension |= c.getExtensionValue("1.3.6.1.4.1.3704.1.3.1") != null;
    }
    assertThat(sawSgxExtension).as("an Intel PCK certificate was among them").isTrue();
    assertThat(sawAmdExtension).as("an AMD VCEK was among them").isTrue();
  }

  /** PEM blocks anywhere in a file (quotes embed them; JSON escapes line breaks), else DER. */
  private static List<X509Certificate> certificates(byte[] file) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    String text = new String(file, StandardCharsets.ISO_8859_1).replace("\\n", "\n");
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      byte[] der = Base64.getMimeDecoder().decode(m.group(1));
      out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
    }
    if (out.isEmpty() && file.length > 0 && file[0] == 0x30) {
      try {
        out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(file)));
      } catch (java.security.cert.CertificateException e) {
        // a DER file that is not a certificate (a CRL, a TPM structure)
      }
    }
    return out;
  }
}
