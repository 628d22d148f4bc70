-- Attestation service, RVPS and token signing keys. Portable SQL: the same file runs on H2 and
-- PostgreSQL. Timestamps are UTC; JSON is stored as text; sealed blobs as base64 text.

CREATE TABLE policies (
  id         VARCHAR(128)     NOT NULL,
  version    INTEGER          NOT NULL,
  source     VARCHAR(1048576) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE reference_values (
  name       VARCHAR(256)     NOT NULL PRIMARY KEY,
  value_json VARCHAR(1048576) NOT NULL,
  provenance VARCHAR(4096)    NOT NULL,
  not_before TIMESTAMP WITH TIME ZONE,
  expires    TIMESTAMP WITH TIME ZONE
);

CREATE TABLE signing_keys (
  kid                VARCHAR(128)  NOT NULL PRIMARY KEY,
  alg                VARCHAR(16)   NOT NULL,
  sealed_private_key VARCHAR(8192) NOT NULL,
  public_jwk         VARCHAR(4096) NOT NULL,
  created_at         TIMESTAMP WITH TIME ZONE NOT NULL,
  superseded_at      TIMESTAMP WITH TIME ZONE,
  retired_at         TIMESTAMP WITH TIME ZONE
);
