package dev.vouch.server.actions;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;

class StatusSubjectPropertiesTest {

  @Property(tries = 300)
  void everyHostIdGivesOneLiteralTokenBetweenTheFixedParts(
      @ForAll @StringLength(max = 40) String id) {
    String s = AttestationEvents.subjectFor(id);
    assertThat(s).startsWith("vouch.host.").endsWith(".status");
    String token = s.substring("vouch.host.".length(), s.length() - ".status".length());
    assertThat(token).doesNotContain(".", "*", ">", " ", "\t", "\n");
  }

  @Property(tries = 300)
  void distinctHostIdsGetDistinctSubjects(
      @ForAll @StringLength(max = 12) String a, @ForAll @StringLength(max = 12) String b) {
    if (!a.equals(b)) {
      assertThat(AttestationEvents.subjectFor(a)).isNotEqualTo(AttestationEvents.subjectFor(b));
    }
  }
}
