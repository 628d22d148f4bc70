-- The flavors a host is judged by are read on every attestation in three branches (FlavorStore):
-- shared (host_id and hardware_uuid NULL), bound to the host id, bound to the machine. The shared
-- branch had no index of its own: the hardware_uuid index answered "hardware_uuid IS NULL" with
-- every golden flavor of the fleet and filtered them one by one. Portable SQL (H2 and PostgreSQL).
CREATE INDEX flavors_binding ON flavors (host_id, hardware_uuid, retired_at);
