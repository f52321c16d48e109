-- Portable schema: this one file runs on SQLite and PostgreSQL alike (sqlx Any
-- driver). Times are Unix seconds in BIGINT; booleans are nullable timestamps;
-- every secret (session ids, codes, refresh tokens, client secrets) is stored
-- as a SHA-256 hex digest, never in clear.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,          -- user name, also the Spotify-style user id
    password_hash TEXT NOT NULL,             -- argon2id PHC string
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL,
    country       TEXT NOT NULL,
    product       TEXT NOT NULL,             -- premium | free
    created_at    BIGINT NOT NULL
);

CREATE TABLE clients (
    id                     TEXT PRIMARY KEY,
    name                   TEXT NOT NULL,
    secret_hash            TEXT,             -- NULL: public client, PKCE only
    redirect_uris          TEXT NOT NULL,    -- newline-separated, matched exactly
    scopes                 TEXT NOT NULL,    -- space-separated allowed scopes
    refresh_policy         TEXT NOT NULL,    -- rotate | reuse
    refresh_grace_seconds  BIGINT NOT NULL,
    access_token_ttl       BIGINT NOT NULL,
    refresh_token_ttl      BIGINT NOT NULL,
    created_at             BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,  -- NULL before login
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

-- One row per authorization: created with its code, activated when the code is
-- redeemed, revoked as a whole (unlink, code replay, refresh-token reuse).
CREATE TABLE grants (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id      TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scopes         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,          -- absolute end of the refresh-token family
    activated_at   BIGINT,
    revoked_at     BIGINT,
    revoked_reason TEXT
);
CREATE INDEX grants_user ON grants (user_id);

CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,
    grant_id       TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL REFERENCES grants(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);

-- Access tokens are self-contained JWTs; only revoked ones are recorded, until
-- they would have expired anyway.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,               -- RS256 | ES256
    private_der TEXT NOT NULL,               -- base64 PKCS#8
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT                       -- no longer signs; still verifies
);
