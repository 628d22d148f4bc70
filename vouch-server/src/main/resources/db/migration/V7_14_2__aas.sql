-- Authentication and authorization service (AAS): accounts, custom roles, API keys, revoked
-- tokens, and the keys that sign admin JWTs (same layout as signing_keys, sealed under the KEK).
-- Replicas share all of it, so a revocation or a disabled account counts on every replica at once.
CREATE TABLE aas_accounts (
  name          VARCHAR(64)   NOT NULL PRIMARY KEY,
  kind          VARCHAR(16)   NOT NULL,
  password_hash VARCHAR(256),
  roles         VARCHAR(2000) NOT NULL,
  disabled      BOOLEAN       NOT NULL,
  created_at    TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE aas_roles (
  name        VARCHAR(64)   NOT NULL PRIMARY KEY,
  permissions VARCHAR(4000) NOT NULL,
  updated_at  TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE aas_api_keys (
  id         VARCHAR(64)  NOT NULL PRIMARY KEY,
  account    VARCHAR(64)  NOT NULL,
  key_hash   VARCHAR(128) NOT NULL UNIQUE,
  label      VARCHAR(200) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  revoked_at TIMESTAMP WITH TIME ZONE
);

CREATE TABLE aas_revoked_tokens (
  jti        VARCHAR(64) NOT NULL PRIMARY KEY,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE auth_signing_keys (
  kid                VARCHAR(128)  NOT NULL PRIMARY KEY,
  alg                VARCHAR(16)   NOT NULL,
  sealed_private_key VARCHAR(8192) NOT NULL,
  public_jwk         VARCHAR(4096) NOT NULL,
  created_at         TIMESTAMP WITH TIME ZONE NOT NULL,
  superseded_at      TIMESTAMP WITH TIME ZONE,
  retired_at         TIMESTAMP WITH TIME ZONE
);
