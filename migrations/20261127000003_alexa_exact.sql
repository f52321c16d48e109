-- Alexa-exact (issue 14): what a device's envelopes and Alexa's own
-- bookkeeping need. Portable: TEXT and BIGINT only, one column per ALTER.

-- The simulated user's Alexa region (NA | EU | FE): picks `apiEndpoint`.
ALTER TABLE alexa_users ADD COLUMN region TEXT NOT NULL DEFAULT 'NA';
-- The userId the skill sees. Alexa issues a new one when the skill is
-- enabled again after a disable; NULL until then (a fresh one is made on use).
ALTER TABLE alexa_users ADD COLUMN skill_user_id TEXT;
-- 1 once "Enable skill" was used and until "Disable skill".
ALTER TABLE alexa_users ADD COLUMN skill_enabled BIGINT NOT NULL DEFAULT 0;
-- The simulator's side of the open session (JSON): a pending reprompt,
-- whether it was played, a dialog in progress.
ALTER TABLE alexa_users ADD COLUMN session_state TEXT;
UPDATE alexa_users SET skill_user_id = id WHERE skill_user_id IS NULL;

-- Failed refreshes that kept the link (5xx, timeout, not JSON): how many in a
-- row, and not before when the next one may be tried (backoff).
ALTER TABLE alexa_links ADD COLUMN refresh_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE alexa_links ADD COLUMN next_refresh_at BIGINT;

-- What happened to a simulated user outside the talk itself: skill events
-- sent (SkillEnabled, SkillAccountLinked, SkillDisabled), SessionEndedRequests
-- sent by Alexa on its own, refresh failures and the relink notification.
CREATE TABLE alexa_events (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES alexa_users(id) ON DELETE CASCADE,
    seq       BIGINT NOT NULL,               -- wall-clock microseconds: order
    at        BIGINT NOT NULL,               -- virtual clock, seconds
    kind      TEXT NOT NULL,                 -- skill_event | session_ended | refresh | relink
    summary   TEXT NOT NULL,
    request   TEXT NOT NULL,                 -- JSON envelope sent (token cut), or ''
    status    BIGINT,                        -- the skill's HTTP status, if sent
    response  TEXT NOT NULL                  -- the skill's answer or what went wrong
);
CREATE INDEX alexa_events_user ON alexa_events (user_id, seq);
