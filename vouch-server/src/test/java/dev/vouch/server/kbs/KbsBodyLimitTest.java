package dev.vouch.server.kbs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vouch.core.Tee;
import dev.vouch.server.config.ConfigLoader;
import dev.vouch.server.config.ServerConfig;
import dev.vouch.server.http.VouchServer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default body limit is Trustee's 2 MiB: an Attestation carrying a TDX quote and a full 1 MiB
 * CCEL (base64, so about 1.4 MiB) is read, one over 2 MiB is refused with 413 before parsing.
 */
class KbsBodyLimitTest {
  @TempDir Path dir;

  @Test
  void anAttestationWithAFullOneMibEventLogFitsTheDefaultLimit() throws Exception {
    ServerConfig defaults =
        ConfigLoader.load(Optional.empty(), Map.of(), Optional.of(dir), Optional.empty());
    assertThat(defaults.http().maxRequestBytes()).isEqualTo(2L * 1024 * 1024);
    ServerConfig config =
        dev.vouch.server.TestServers.plain(dir)
            .withKbs(
                new ServerConfig.Kbs(
                    true,
                    Duration.ofMinutes(5),
                    List.of(),
                    EnumSet.of(Tee.SAMPLE),
                    Optional.empty()))
            .withVerifiers(ServerConfig.Verifiers.defaults().withSample(true));
    assertThat(config.http().maxRequestBytes()).isEqualTo(defaults.http().maxRequestBytes());
    try (VouchServer server = VouchServer.start(config, Clock.systemUTC(), List.of())) {
      DocClient c = new DocClient("http://127.0.0.1:" + server.baseUri().getPort());
      assertThat(c.auth("sample").statusCode()).isEqualTo(200);

      HttpResponse<String> fits = c.post("/kbs/v0/attest", attestation(1 << 20), Optional.empty());
      // read and parsed: refused for what it says (the sample evidence binds no such log), not
      // for its size
      assertThat(fits.statusCode()).as(fits.body()).isNotEqualTo(413);
      assertThat(fits.body()).doesNotContain("PayloadTooLarge");

      HttpResponse<String> tooBig =
          c.post("/kbs/v0/attest", attestation(3 << 20), Optional.empty());
      // refused by the server's limit before the KBS handler runs, as its problem document
      assertThat(tooBig.statusCode()).isEqualTo(413);
    }
  }

  /** An Attestation whose evidence carries {@code logBytes} of event log, base64-encoded. */
  private static String attestation(int logBytes) {
    String log = Base64.getEncoder().encodeToString(new byte[logBytes]);
    return "{\"runtime-data\":{\"nonce\":\"x\",\"tee-pubkey\":{\"kty\":\"EC\"}},"
        + "\"tee-evidence\":{\"primary_evidence\":{\"svn\":\"1\",\"cc_eventlog\":\""
        + log
        + "\"},\"additional_evidence\":\"\"}}";
  }
}
