package dev.vouch.agent.cdh;

import dev.vouch.agent.kbs.EvidenceException;
import dev.vouch.agent.kbs.KbsClient;
import dev.vouch.agent.kbs.KbsException;
import java.time.Instant;

/** Where the data hub gets resources from: a KBS through the attestation handshake. */
public interface ResourceSource {

  /** A resource and the instant after which it must be fetched again. */
  record Fetched(byte[] value, Instant expiresAt) {
    public Fetched {
      value = value.clone();
    }

    @Override
    public byte[] value() {
      return value.clone();
    }

    @Override
    public String toString() {
      return "Fetched[" + value.length + " bytes, until " + expiresAt + "]";
    }
  }

  /** Fetches a resource. */
  Fetched fetch(String repository, String type, String tag) throws KbsException, EvidenceException;

  /**
   * A KBS client as source: a resource stays valid while the token that released it does, so a
   * policy change or a failing attestation takes effect at the next token refresh at the latest.
   */
  static ResourceSource of(KbsClient kbs) {
    return (repository, type, tag) -> {
      byte[] v = kbs.getResource(repository, type, tag);
      Instant until = kbs.usableUntil().orElse(Instant.now());
      return new Fetched(v, until);
    };
  }
}
