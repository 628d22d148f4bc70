package dev.vouch.agent.trust;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The listener's key manager: a replaced identity is chosen from the next handshake on, while the
 * identity a handshake chose just before still resolves to its own key and chain.
 */
class ReloadingKeyManagerTest {
  @Test
  void aReplacedIdentityIsChosenNextAndThePreviousOneStillResolves() throws Exception {
    TestPki pki = TestPki.create("Agents CA");
    TestPki.Issued first = pki.issueTls("agent");
    TestPki.Issued second = pki.issueTls("agent");
    ReloadingKeyManager km =
        new ReloadingKeyManager(first.keys().getPrivate(), List.of(first.certificate()));
    String before = km.chooseServerAlias("EC", null, null);
    assertThat(km.getCertificateChain(before)).containsExactly(first.certificate());

    km.replace(second.keys().getPrivate(), List.of(second.certificate()));
    String after = km.chooseServerAlias("EC", null, null);
    assertThat(after).isNotEqualTo(before);
    assertThat(km.getCertificateChain(after)).containsExactly(second.certificate());
    assertThat(km.getPrivateKey(after)).isEqualTo(second.keys().getPrivate());
    assertThat(km.chain()).containsExactly(second.certificate());
    // a handshake that picked its alias before the swap finishes with a matching key and chain
    assertThat(km.getCertificateChain(before)).containsExactly(first.certificate());
    assertThat(km.getPrivateKey(before)).isEqualTo(first.keys().getPrivate());

    // one more swap and the first identity is forgotten
    TestPki.Issued third = pki.issueTls("agent");
    km.replace(third.keys().getPrivate(), List.of(third.certificate()));
    assertThat(km.getPrivateKey(before)).isNull();
    assertThat(km.getPrivateKey(after)).isEqualTo(second.keys().getPrivate());
    // other key types and the client role get nothing
    assertThat(km.getPrivateKey("no-such-alias")).isNull();
    assertThat(km.chooseServerAlias("RSA", null, null)).isNull();
    assertThat(km.chooseClientAlias(new String[] {"EC"}, null, null)).isNull();
  }
}
