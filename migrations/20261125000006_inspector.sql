-- The flow inspector: a bounded ring of recorded requests per client (trimmed
-- to `inspector_max_per_client` by the writer after every batch). Secrets are
-- redacted before a row is written: codes and tokens keep their first four
-- characters, passwords and client secrets are never stored.
CREATE TABLE inspector_events (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,   -- '' when no registered client could be told
    seq         BIGINT NOT NULL, -- recording order: real-time microseconds, increasing per instance
    at_ms       BIGINT NOT NULL, -- server clock (virtual clock included), milliseconds
    user_id     TEXT,            -- when known (no foreign key: a log outlives its user)
    grant_id    TEXT,            -- the grant the request belongs to, once known
    flow_id     TEXT,            -- the authorization request's flow, before its code exists
    kind        TEXT NOT NULL,   -- authorize | login | consent | token | revoke | introspect | api
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    status      BIGINT NOT NULL,
    latency_us  BIGINT NOT NULL,
    outcome     TEXT,            -- what the handler did: login_page, consent_page, code, logged_in, ...
    error       TEXT,            -- NULL: succeeded; else the error code or message
    request     TEXT NOT NULL,   -- JSON, redacted: query, form, headers
    response    TEXT NOT NULL    -- JSON, redacted: status, headers, body
);
CREATE INDEX inspector_events_client ON inspector_events (client_id, seq);
CREATE INDEX inspector_events_grant ON inspector_events (grant_id);
CREATE INDEX inspector_events_flow ON inspector_events (flow_id);
