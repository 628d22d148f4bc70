-- Key broker: sessions shared by replicas, sealed resources and the resource policy. Portable SQL:
-- the same file runs on H2 and PostgreSQL. Timestamps are UTC; sealed blobs are base64 text.

-- One row per handshake, keyed by SHA-256 of the session cookie so the table holds no live cookie.
-- A nonce is consumed by one conditional UPDATE ... WHERE state = 'AUTHED', which only one replica
-- can win. The attestation (token, TEE key) is sealed under the KEK once the session is ATTESTED.
CREATE TABLE kbs_sessions (
  id_hash            VARCHAR(64)      NOT NULL PRIMARY KEY,
  tee                VARCHAR(32)      NOT NULL,
  nonce              VARCHAR(128)     NOT NULL,
  state              VARCHAR(16)      NOT NULL,
  expires_at         TIMESTAMP WITH TIME ZONE NOT NULL,
  sealed_attestation VARCHAR(1048576)
);

CREATE INDEX kbs_sessions_expires_at ON kbs_sessions (expires_at);

-- Secrets the KBS releases, each sealed with the KEK bound to its path.
CREATE TABLE kbs_resources (
  path         VARCHAR(400)     NOT NULL PRIMARY KEY,
  sealed_value VARCHAR(4194304) NOT NULL,
  updated_at   TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The resource policy: a single row (id 1) replaced by the admin API.
CREATE TABLE kbs_policy (
  id         INTEGER          NOT NULL PRIMARY KEY,
  source     VARCHAR(1048576) NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);
