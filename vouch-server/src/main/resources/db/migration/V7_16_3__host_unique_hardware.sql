-- HOST_UNIQUE and ASSET_TAG flavors bound to a machine rather than a host id (ISecL links them by
-- hardware UUID): the SMBIOS UUID the agent reports, or ek-sha256:<EK certificate digest> when it
-- reports none, copied from the flavor's signed description when it is stored. Flavors stored
-- before stay NULL and keep their binding to host_id. Portable SQL (H2 and PostgreSQL).
ALTER TABLE flavors ADD COLUMN hardware_uuid VARCHAR(200);

CREATE INDEX flavors_hardware ON flavors (hardware_uuid, retired_at);
