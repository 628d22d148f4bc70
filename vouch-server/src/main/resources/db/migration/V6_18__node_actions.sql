-- Kubernetes node actions a failing host needs (cordon, pod eviction), kept until done so that an
-- API server that is down when the host fails, or a server restart, loses none of them. One row
-- per host and kind: a later failure while one is pending keeps its backoff; one that finds it
-- done makes it pending again (cordoning is idempotent, so the node is checked once more).
CREATE TABLE node_actions (
  host_id         VARCHAR(200)  NOT NULL,
  kind            VARCHAR(16)   NOT NULL,
  host_name       VARCHAR(255)  NOT NULL,
  reason          VARCHAR(1100) NOT NULL,
  state           VARCHAR(16)   NOT NULL,
  attempts        INT           NOT NULL,
  last_error      VARCHAR(2000),
  result          VARCHAR(2000),
  requested_at    TIMESTAMP WITH TIME ZONE NOT NULL,
  next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL,
  done_at         TIMESTAMP WITH TIME ZONE,
  PRIMARY KEY (host_id, kind)
);

CREATE INDEX node_actions_due ON node_actions (state, next_attempt_at);
