-- The Web API's data, in the same portable subset as the initial schema: one
-- file for SQLite and PostgreSQL; BIGINT 0/1 for flags; times in Unix seconds
-- (playback clocks in Unix milliseconds). Catalog rows are generated and
-- seeded at start-up; per-user rows are seeded lazily on first api use.

CREATE TABLE artists (
    id          TEXT PRIMARY KEY,            -- 22-char base62
    name        TEXT NOT NULL,
    genre       TEXT NOT NULL,
    popularity  BIGINT NOT NULL,
    followers   BIGINT NOT NULL,
    search_text TEXT NOT NULL                -- lowercased words searched by /v1/search
);

CREATE TABLE albums (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    artist_id    TEXT NOT NULL REFERENCES artists(id),
    album_type   TEXT NOT NULL,              -- album | single
    release_date TEXT NOT NULL,              -- YYYY-MM-DD
    label        TEXT NOT NULL,
    upc          TEXT NOT NULL,
    total_tracks BIGINT NOT NULL,
    popularity   BIGINT NOT NULL,
    search_text  TEXT NOT NULL
);
CREATE INDEX albums_artist ON albums (artist_id);

CREATE TABLE tracks (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    album_id     TEXT NOT NULL REFERENCES albums(id),
    artist_id    TEXT NOT NULL REFERENCES artists(id),
    track_number BIGINT NOT NULL,
    disc_number  BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    explicit     BIGINT NOT NULL,            -- 0 | 1
    popularity   BIGINT NOT NULL,
    isrc         TEXT NOT NULL,
    search_text  TEXT NOT NULL
);
CREATE INDEX tracks_album ON tracks (album_id, track_number);
CREATE INDEX tracks_artist ON tracks (artist_id);

-- Marks a user whose devices, playlists and saved tracks were seeded; the
-- insert of this row decides which concurrent request seeds.
CREATE TABLE library_seeded (
    user_id   TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    seeded_at BIGINT NOT NULL
);

CREATE TABLE devices (
    id              TEXT PRIMARY KEY,        -- 40 hex characters, like Spotify Connect ids
    user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    device_type     TEXT NOT NULL,           -- Spotify's device type names (Speaker, TV, ...)
    volume_percent  BIGINT NOT NULL,
    supports_volume BIGINT NOT NULL,         -- 0 | 1
    sort_order      BIGINT NOT NULL
);
CREATE INDEX devices_user ON devices (user_id);

-- One row per user: what is loaded, where, and how far it has played.
CREATE TABLE playback (
    user_id      TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    device_id    TEXT,                       -- the active device; NULL: nothing active
    context_uri  TEXT,                       -- album / playlist / artist being played, if any
    track_ids    TEXT NOT NULL,              -- the play order, comma-separated track ids
    position     BIGINT NOT NULL,            -- index of the current track in track_ids
    queued       BIGINT NOT NULL,            -- queued tracks inserted after position
    progress_ms  BIGINT NOT NULL,            -- progress at updated_ms
    is_playing   BIGINT NOT NULL,            -- 0 | 1; when 1, progress advances from updated_ms
    shuffle      BIGINT NOT NULL,            -- 0 | 1
    repeat_state TEXT NOT NULL,              -- off | track | context
    updated_ms   BIGINT NOT NULL,
    version      BIGINT NOT NULL             -- optimistic concurrency for commands
);

CREATE TABLE playlists (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    public        BIGINT NOT NULL,           -- 0 | 1
    collaborative BIGINT NOT NULL,           -- 0 | 1
    version       BIGINT NOT NULL,           -- bumped on every change; feeds snapshot_id
    created_at    BIGINT NOT NULL,
    search_text   TEXT NOT NULL
);
CREATE INDEX playlists_owner ON playlists (owner_id, created_at);

-- Entries are ordered by position; no unique constraint on it, so inserting
-- in the middle can shift the tail with one UPDATE on both engines.
CREATE TABLE playlist_tracks (
    playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    track_id    TEXT NOT NULL REFERENCES tracks(id),
    added_at    BIGINT NOT NULL,
    added_by    TEXT NOT NULL
);
CREATE INDEX playlist_tracks_order ON playlist_tracks (playlist_id, position);

CREATE TABLE saved_tracks (
    user_id  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    track_id TEXT NOT NULL REFERENCES tracks(id),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, track_id)
);
