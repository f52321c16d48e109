-- The Alexa simulator's state (portable: TEXT and BIGINT only, one file for
-- SQLite and PostgreSQL). Unlike the provider's tables, the link tokens are
-- stored in clear: the simulator plays Alexa, which must send them on.

-- Simulated Alexa users; `id` is an `amzn1.ask.account.<opaque>` user id.
-- The open skill session (if any) lives here so attributes carry across turns.
CREATE TABLE alexa_users (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    session_id         TEXT,                 -- NULL: no open session
    session_attributes TEXT,                 -- JSON object
    created_at         BIGINT NOT NULL
);

-- One account link per user (Alexa keeps one per user and skill).
CREATE TABLE alexa_links (
    user_id       TEXT PRIMARY KEY REFERENCES alexa_users(id) ON DELETE CASCADE,
    flow_id       TEXT NOT NULL,             -- the flow log of the linking
    access_token  TEXT NOT NULL,
    refresh_token TEXT,                      -- NULL: the provider sent none
    expires_at    BIGINT NOT NULL,
    scopes        TEXT NOT NULL,             -- space-separated, as granted
    linked_at     BIGINT NOT NULL,
    refreshed_at  BIGINT
);

-- "Enable skill" started, callback not yet received.
CREATE TABLE alexa_link_attempts (
    flow_id       TEXT PRIMARY KEY,
    state_hash    TEXT NOT NULL UNIQUE,      -- SHA-256 of the OAuth state
    user_id       TEXT NOT NULL REFERENCES alexa_users(id) ON DELETE CASCADE,
    pkce_verifier TEXT,
    redirect_uri  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

-- Every request and response of a link flow (and later refreshes), with
-- secrets cut to their first four characters.
CREATE TABLE alexa_flow_log (
    id        TEXT PRIMARY KEY,
    flow_id   TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    step      TEXT NOT NULL,
    direction TEXT NOT NULL,                 -- request | response | note
    method    TEXT,
    url       TEXT,
    status    BIGINT,
    headers   TEXT NOT NULL,                 -- JSON object
    body      TEXT NOT NULL
);
CREATE INDEX alexa_flow_log_flow ON alexa_flow_log (flow_id, seq);
