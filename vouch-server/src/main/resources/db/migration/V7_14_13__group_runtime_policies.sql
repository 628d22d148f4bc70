-- Runtime policies assigned to host groups (issue 13): a host without its own assignment
-- (host_runtime_policies) is appraised by the newest version of its group's policy.
CREATE TABLE group_runtime_policies (
  group_name  VARCHAR(200) NOT NULL PRIMARY KEY,
  policy_name VARCHAR(200) NOT NULL,
  assigned_at TIMESTAMP WITH TIME ZONE NOT NULL
);
