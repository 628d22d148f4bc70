-- Incremental IMA verification and runtime appraisal (issue 13). Portable SQL (H2 and PostgreSQL).

-- Per host, how far its IMA list was verified in the current TPM boot: the entry count, PCR 10 per
-- bank after those entries ({"sha256":"hex",...}) and the replay mode, the boot (reset and restart
-- counts of the quote), the runtime policy version the entries were appraised under, the
-- boot_aggregate verdict, the appraisal findings so far (the first ones, with their total) and why
-- verification last started again from entry 0 (a reboot, a mismatch), if it did.
-- Written in the transaction that stores the trust report it led to; deleted when a check fails.
CREATE TABLE host_ima_state (
  host_id        VARCHAR(200)     NOT NULL PRIMARY KEY,
  reset_count    BIGINT           NOT NULL,
  restart_count  BIGINT           NOT NULL,
  entries        BIGINT           NOT NULL,
  replay_mode    VARCHAR(16)      NOT NULL,
  pcr10_json     VARCHAR(4096)    NOT NULL,
  policy_name    VARCHAR(200),
  policy_version INT,
  boot_aggregate VARCHAR(16)      NOT NULL,
  findings_json  VARCHAR(1048576) NOT NULL,
  findings_total BIGINT           NOT NULL,
  last_restart   VARCHAR(2000),
  updated_at     TIMESTAMP WITH TIME ZONE NOT NULL
);

-- Runtime policies (Keylime runtime policy JSON, version 1), every version kept; a new upload of
-- a name is its next version.
CREATE TABLE runtime_policies (
  name        VARCHAR(200)     NOT NULL,
  version     INT              NOT NULL,
  sha256      VARCHAR(64)      NOT NULL,
  created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  policy_json VARCHAR(8388608) NOT NULL,
  PRIMARY KEY (name, version)
);

-- Which runtime policy a host is appraised by: always the newest version of the name.
CREATE TABLE host_runtime_policies (
  host_id     VARCHAR(200) NOT NULL PRIMARY KEY,
  policy_name VARCHAR(200) NOT NULL,
  assigned_at TIMESTAMP WITH TIME ZONE NOT NULL
);
