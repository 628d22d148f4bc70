-- Failed admin logins per account and per source address, shared by replicas: a guesser spread
-- over N replicas meets one count and one lockout, not N.
CREATE TABLE aas_login_failures (
  limit_key    VARCHAR(300) NOT NULL PRIMARY KEY,
  failures     INTEGER      NOT NULL,
  locked_until TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at   TIMESTAMP WITH TIME ZONE NOT NULL
);
