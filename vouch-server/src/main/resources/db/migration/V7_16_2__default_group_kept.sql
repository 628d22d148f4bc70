-- V7_16_1 renamed a stored "default" flavor group to "automatic", but left it as it was when a
-- group named "automatic" was stored too (an ordinary name before). Hosts the stored "default"
-- judged (those whose host group names no stored group, or names "default") were then judged by
-- that other group: FlavorGroupsUpgradeTest found their verdicts changed. Here they are assigned
-- to "default", which gets the members every stored group got, so they are judged as before.
-- Portable SQL (H2 and PostgreSQL); nothing happens where no "default" group is stored.

INSERT INTO flavor_group_members (group_name, flavor_id)
  SELECT 'default', f.id FROM flavors f
  WHERE EXISTS (SELECT 1 FROM flavor_groups g WHERE g.name = 'default')
    AND f.part NOT IN ('HOST_UNIQUE', 'ASSET_TAG')
    AND NOT EXISTS (SELECT 1 FROM flavor_group_members m
                    WHERE m.group_name = 'default' AND m.flavor_id = f.id);

INSERT INTO host_flavor_groups (host_id, group_name, assigned_by, assigned_at)
  SELECT h.id, g.name, 'ADMIN', g.updated_at FROM hosts h
  JOIN flavor_groups g ON g.name = 'default'
  WHERE NOT EXISTS (SELECT 1 FROM host_flavor_groups a WHERE a.host_id = h.id)
    AND (h.host_group = 'default'
         OR NOT EXISTS (SELECT 1 FROM flavor_groups s WHERE s.name = h.host_group));
