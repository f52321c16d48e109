-- The admin UI's per-client virtual clock, and scenarios narrowed to one
-- grant type (e.g. "the next refresh fails" without breaking new links).

-- Per-client offsets, added to the global one (clock_offsets) for everything
-- judged on behalf of that client. Only forward, like the global clock.
CREATE TABLE client_clock_offsets (
    client_id       TEXT PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
    offset_seconds  BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- token_error / token_delay: NULL applies to every grant type.
ALTER TABLE scenarios ADD COLUMN grant_type TEXT;
