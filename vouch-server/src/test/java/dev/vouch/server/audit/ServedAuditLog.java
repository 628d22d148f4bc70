package dev.vouch.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.policy.audit.AuditExport;
import dev.vouch.server.TestServers.Client;
import dev.vouch.server.TestServers.Reply;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A running server's audit export, checked as {@code vouch audit verify} checks it: against the
 * reporting CA the same server serves.
 *
 * @param lines the export's JSON lines
 * @param intact what the verification established
 */
public record ServedAuditLog(List<String> lines, AuditExport.Intact intact) {

  /** Exports the log over the admin API and verifies it; fails the test when it does not verify. */
  public static ServedAuditLog exportAndVerify(Client c) throws Exception {
    Reply export = c.get("/api/v1/audit/export", true);
    assertThat(export.status()).isEqualTo(200);
    X509Certificate ca =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(
                    new ByteArrayInputStream(
                        c.get("/api/v1/reports/ca", false)
                            .body()
                            .getBytes(StandardCharsets.US_ASCII)));
    List<String> lines = export.body().lines().toList();
    return new ServedAuditLog(lines, AuditExport.verify(lines, List.of(ca), Instant.now()));
  }
}
