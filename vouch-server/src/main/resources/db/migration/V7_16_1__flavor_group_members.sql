-- Flavor groups that hold flavors, and hosts assigned to flavor groups (ISecL's model).
-- Portable SQL (H2 and PostgreSQL). Until now every group judged a host by every flavor; the
-- rows below keep that for what is already stored, and from here on membership decides.

-- A flavor belongs to one or more groups. The built-in groups "automatic" (flavors any host
-- may match) and "host_unique" (HOST_UNIQUE and ASSET_TAG flavors, bound to one host and counted
-- in every group of that host) need no row in flavor_groups, so group_name has no foreign key.
CREATE TABLE flavor_group_members (
  group_name VARCHAR(200) NOT NULL,
  flavor_id  VARCHAR(64)  NOT NULL REFERENCES flavors (id) ON DELETE CASCADE,
  PRIMARY KEY (group_name, flavor_id)
);

CREATE INDEX flavor_group_members_flavor ON flavor_group_members (flavor_id);

-- The flavor groups a host is judged by; a host with none is judged by "automatic".
-- assigned_by: ADMIN (API or CLI) or AGENT (asked for at enrollment).
CREATE TABLE host_flavor_groups (
  host_id     VARCHAR(200) NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
  group_name  VARCHAR(200) NOT NULL,
  assigned_by VARCHAR(16)  NOT NULL,
  assigned_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (host_id, group_name)
);

-- Existing flavors: host-unique parts into host_unique, the rest into automatic, and every
-- flavor into every stored group (each group used every flavor before).
INSERT INTO flavor_group_members (group_name, flavor_id)
  SELECT CASE WHEN part IN ('HOST_UNIQUE', 'ASSET_TAG') THEN 'host_unique' ELSE 'automatic' END, id
  FROM flavors;

INSERT INTO flavor_group_members (group_name, flavor_id)
  SELECT g.name, f.id FROM flavor_groups g CROSS JOIN flavors f
  WHERE g.name NOT IN ('automatic', 'host_unique', 'default')
    AND f.part NOT IN ('HOST_UNIQUE', 'ASSET_TAG');

-- A host was judged by the stored group named like its host group: it is now assigned to it.
INSERT INTO host_flavor_groups (host_id, group_name, assigned_by, assigned_at)
  SELECT h.id, g.name, 'ADMIN', g.updated_at FROM hosts h
  JOIN flavor_groups g ON g.name = h.host_group
  WHERE g.name NOT IN ('automatic', 'host_unique', 'default');

-- The built-in group was called "default"; a stored override of it becomes "automatic".
UPDATE flavor_groups SET name = 'automatic'
  WHERE name = 'default' AND NOT EXISTS (SELECT 1 FROM flavor_groups a WHERE a.name = 'automatic');

-- The flavor groups an agent asks for when it enrolls, comma-separated, applied at activation.
ALTER TABLE enrollment_challenges ADD COLUMN flavor_groups VARCHAR(4096) DEFAULT '' NOT NULL;
