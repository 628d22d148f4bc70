-- Certificate management service (CMS): the internal CA for agent and replica TLS. The root and
-- the online intermediate keys are sealed under the KEK; only the intermediate is ever unsealed
-- after creation. Bootstrap tokens are stored hashed and used once; issued certificates are kept
-- for listing, revocation and the CRL. Replicas share all of it.
CREATE TABLE cms_ca (
  name            VARCHAR(32)   NOT NULL PRIMARY KEY,
  sealed_key      VARCHAR(8192) NOT NULL,
  certificate_pem VARCHAR(8192) NOT NULL,
  created_at      TIMESTAMP WITH TIME ZONE NOT NULL
);

CREATE TABLE cms_bootstrap_tokens (
  id         VARCHAR(64)  NOT NULL PRIMARY KEY,
  token_hash VARCHAR(128) NOT NULL UNIQUE,
  host_id    VARCHAR(253) NOT NULL,
  created_by VARCHAR(64)  NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
  used_at    TIMESTAMP WITH TIME ZONE
);

CREATE TABLE cms_certificates (
  serial          VARCHAR(64)   NOT NULL PRIMARY KEY,
  host_id         VARCHAR(253)  NOT NULL,
  certificate_pem VARCHAR(8192) NOT NULL,
  issued_by       VARCHAR(128)  NOT NULL,
  not_before      TIMESTAMP WITH TIME ZONE NOT NULL,
  not_after       TIMESTAMP WITH TIME ZONE NOT NULL,
  revoked_at      TIMESTAMP WITH TIME ZONE
);

CREATE INDEX cms_certificates_host ON cms_certificates (host_id);
