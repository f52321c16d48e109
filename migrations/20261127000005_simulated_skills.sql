-- Simulated skills (issue 14): the simulator holds several skills, each with
-- its own account-linking form; a simulated user enables them one by one and
-- each (user, skill) has its own userId, session and link. The skill of the
-- alexa_* settings is `default`. Portable: TEXT and BIGINT only.

-- Skills created in the UI or the JSON API (those of the settings and the
-- config file are not stored). `spec` is the JSON form without the secret.
CREATE TABLE alexa_skills (
    skill_key     TEXT PRIMARY KEY,
    spec          TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

-- One row per (user, skill) the user has used: the userId the skill sees,
-- whether it is enabled, and the open session.
CREATE TABLE alexa_enablements (
    user_id            TEXT NOT NULL REFERENCES alexa_users(id) ON DELETE CASCADE,
    skill_key          TEXT NOT NULL,
    skill_user_id      TEXT,                 -- NULL after a disable until next use
    enabled            BIGINT NOT NULL DEFAULT 0,
    session_id         TEXT,
    session_attributes TEXT,
    session_state      TEXT,
    PRIMARY KEY (user_id, skill_key)
);
INSERT INTO alexa_enablements (user_id, skill_key, skill_user_id, enabled, session_id,
                               session_attributes, session_state)
    SELECT id, 'default', skill_user_id, skill_enabled, session_id, session_attributes,
           session_state FROM alexa_users;
ALTER TABLE alexa_users DROP COLUMN session_id;
ALTER TABLE alexa_users DROP COLUMN session_attributes;
ALTER TABLE alexa_users DROP COLUMN session_state;
ALTER TABLE alexa_users DROP COLUMN skill_user_id;
ALTER TABLE alexa_users DROP COLUMN skill_enabled;

-- Links: one per (user, skill).
CREATE TABLE alexa_skill_links (
    user_id          TEXT NOT NULL REFERENCES alexa_users(id) ON DELETE CASCADE,
    skill_key        TEXT NOT NULL,
    flow_id          TEXT NOT NULL,
    access_token     TEXT NOT NULL,
    refresh_token    TEXT,
    expires_at       BIGINT NOT NULL,
    scopes           TEXT NOT NULL,
    linked_at        BIGINT NOT NULL,
    refreshed_at     BIGINT,
    refresh_failures BIGINT NOT NULL DEFAULT 0,
    next_refresh_at  BIGINT,
    PRIMARY KEY (user_id, skill_key)
);
INSERT INTO alexa_skill_links (user_id, skill_key, flow_id, access_token, refresh_token,
                               expires_at, scopes, linked_at, refreshed_at, refresh_failures,
                               next_refresh_at)
    SELECT user_id, 'default', flow_id, access_token, refresh_token, expires_at, scopes,
           linked_at, refreshed_at, refresh_failures, next_refresh_at FROM alexa_links;
DROP TABLE alexa_links;

ALTER TABLE alexa_link_attempts ADD COLUMN skill_key TEXT NOT NULL DEFAULT 'default';
ALTER TABLE alexa_events ADD COLUMN skill_key TEXT NOT NULL DEFAULT 'default';
