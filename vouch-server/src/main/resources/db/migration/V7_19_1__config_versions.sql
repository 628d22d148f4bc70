-- One counter per kind of appraisal input that replicas cache in memory (policies, reference
-- values, the KBS resource policy). Every write bumps its counter in the same transaction; a replica re-reads its cache
-- when the counter differs from the one it loaded, checking this one row at most a few times a
-- second instead of reading the inputs themselves on every attestation.
CREATE TABLE config_versions (
  name VARCHAR(64) PRIMARY KEY,
  version BIGINT NOT NULL
);
INSERT INTO config_versions (name, version) VALUES ('policies', 0);
INSERT INTO config_versions (name, version) VALUES ('reference_values', 0);
INSERT INTO config_versions (name, version) VALUES ('kbs_resource_policy', 0);
