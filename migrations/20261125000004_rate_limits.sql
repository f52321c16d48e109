-- Failed login and client-authentication attempts, for rate limiting that
-- every instance sharing the database agrees on. Rows older than the window
-- are pruned as new ones arrive.
CREATE TABLE auth_failures (
    key        TEXT NOT NULL,   -- e.g. "login:demo@127.0.0.1", "ip:127.0.0.1"
    failed_at  BIGINT NOT NULL
);
CREATE INDEX auth_failures_key ON auth_failures (key, failed_at);
