-- The path of a cryptsetup binary IMA measured in the host's current boot, carried with the IMA
-- checkpoint: an attestation that continues from the checkpoint reads only later entries, and the
-- full-disk encryption prerequisite must still see the run. NULL when none was measured (and for
-- states kept before). Portable SQL (H2 and PostgreSQL).
ALTER TABLE host_ima_state ADD COLUMN cryptsetup VARCHAR(4096);
