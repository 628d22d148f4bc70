-- Registrar: pending enrollment challenges and enrolled hosts (their trusted attestation keys).
-- Portable SQL: the same file runs on H2 and PostgreSQL. Timestamps are UTC; binary values are
-- base64 text, hashes and TPM names hex.

-- One row per issued challenge. The secret that proves credential activation is sealed under the
-- KEK, bound to the row, so a database dump alone does not let anyone answer a challenge. A
-- challenge is consumed by one conditional UPDATE ... WHERE used = FALSE, which exactly one
-- replica can win. Rows are kept a while after expiry so a late answer is told "expired".
CREATE TABLE enrollment_challenges (
  id                    VARCHAR(64)   NOT NULL PRIMARY KEY,
  host_id               VARCHAR(200)  NOT NULL,
  ek_certificate_sha256 VARCHAR(64)   NOT NULL,
  ak_public             VARCHAR(4096) NOT NULL,
  ak_name               VARCHAR(256)  NOT NULL,
  issued_at             TIMESTAMP WITH TIME ZONE NOT NULL,
  expires_at            TIMESTAMP WITH TIME ZONE NOT NULL,
  sealed_secret         VARCHAR(512)  NOT NULL,
  host_group            VARCHAR(200)  NOT NULL,
  connection            VARCHAR(2000) NOT NULL,
  used                  BOOLEAN       NOT NULL
);

CREATE INDEX enrollment_challenges_expires_at ON enrollment_challenges (expires_at);

-- One row per enrolled host: the AK proven to live in the TPM whose EK certificate has this hash.
CREATE TABLE enrolled_hosts (
  host_id               VARCHAR(200)  NOT NULL PRIMARY KEY,
  ek_certificate_sha256 VARCHAR(64)   NOT NULL,
  ak_public             VARCHAR(4096) NOT NULL,
  ak_name               VARCHAR(256)  NOT NULL,
  enrolled_at           TIMESTAMP WITH TIME ZONE NOT NULL
);
