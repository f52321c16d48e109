-- Issue 15 (what real clients call), in the portable subset of the other
-- migrations: BIGINT 0/1 for flags, playback times in Unix milliseconds.

-- Spotify withdrew several-tracks, several-artists and artist-top-tracks from
-- development-mode apps in February 2026; clients with extended quota (1)
-- still get them, the others Spotify's 403.
ALTER TABLE clients ADD COLUMN extended_quota BIGINT NOT NULL DEFAULT 0;

-- What each user played, for GET /v1/me/player/recently-played: a few plays
-- seeded with the library, then one row per track the player finished, or
-- left after playing it for 30 seconds.
CREATE TABLE play_history (
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    played_at   BIGINT NOT NULL,             -- Unix milliseconds, when the play ended
    track_id    TEXT NOT NULL REFERENCES tracks(id),
    context_uri TEXT,                        -- album / playlist / artist played from, if any
    PRIMARY KEY (user_id, played_at)
);
