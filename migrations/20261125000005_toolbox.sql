-- The tester's toolbox: scripted faults ("scenarios") and the shared virtual
-- clock, both in the database so every instance agrees.

-- Personas: a label offered on the login page, and a lock (NULL: not locked).
ALTER TABLE users ADD COLUMN persona TEXT;
ALTER TABLE users ADD COLUMN locked_at BIGINT;

-- One row per scenario. NULL client_id/user_id match any client/user. A
-- scenario ends when `remaining` reaches 0 (if set) or at `expires_at` (if set);
-- at least one of the two is always set.
CREATE TABLE scenarios (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,   -- token_error | token_delay | expires_in_string | expires_in_omitted
                                 -- | omit_refresh_token | token_lifetime | api_error | consent_deny | login_fail
    client_id   TEXT,
    user_id     TEXT,
    error       TEXT,            -- token_error: the OAuth error code
    status      BIGINT,          -- token_error / api_error: the HTTP status
    delay_ms    BIGINT,          -- token_delay
    seconds     BIGINT,          -- token_lifetime: expires_in; api_error 429: Retry-After
    path        TEXT,            -- api_error: path prefix under /v1
    remaining   BIGINT,          -- requests left, decremented with a conditional UPDATE
    expires_at  BIGINT,
    created_at  BIGINT NOT NULL,
    seq         BIGINT NOT NULL  -- real-time microseconds: matching and listing order
);

-- The virtual clock's shared offset: one row, id 'global'.
CREATE TABLE clock_offsets (
    id              TEXT PRIMARY KEY,
    offset_seconds  BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
