-- The hash-chained audit log (issue 14). seq is the primary key, so two replicas appending at once
-- cannot both write the record after the same head: one insert fails and is retried on the new
-- head, and the chain never forks.
CREATE TABLE audit_records (
  seq        BIGINT        NOT NULL PRIMARY KEY,
  at         TIMESTAMP WITH TIME ZONE NOT NULL,
  actor      VARCHAR(200)  NOT NULL,
  action     VARCHAR(100)  NOT NULL,
  target     VARCHAR(600),
  outcome    VARCHAR(40)   NOT NULL,
  request_id VARCHAR(100),
  source     VARCHAR(100),
  detail     VARCHAR(600),
  prev_hash  CHAR(64)      NOT NULL,
  hash       CHAR(64)      NOT NULL
);

CREATE INDEX audit_records_actor ON audit_records (actor, seq);
CREATE INDEX audit_records_action ON audit_records (action, seq);

-- Signed heads of the chain, kept so that an export can show that earlier parts were not rewritten
-- by someone without the sealed reporting key.
CREATE TABLE audit_checkpoints (
  seq  BIGINT        NOT NULL PRIMARY KEY,
  jws  VARCHAR(8000) NOT NULL,
  at   TIMESTAMP WITH TIME ZONE NOT NULL
);

-- One row every append locks first (SELECT ... FOR UPDATE): appends from all replicas take turns
-- instead of racing for the next number and retrying.
CREATE TABLE audit_lock (
  id INT NOT NULL PRIMARY KEY
);
INSERT INTO audit_lock (id) VALUES (1);
