-- Alexa's account-linking rules applied by the simulator (issue 14): every
-- finding of a link or refresh, kept with its flow so the flow page, the JSON
-- API and a restarted server show the same verdicts. Portable SQL.
CREATE TABLE alexa_findings (
    id          TEXT PRIMARY KEY,
    flow_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,              -- virtual clock, seconds
    step        TEXT NOT NULL,                -- enable skill | preflight | redirect back | token exchange | refresh
    rule        TEXT NOT NULL,                -- linkcheck rule id
    verdict     TEXT NOT NULL,                -- pass | warn | fail
    text        TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    advice      TEXT NOT NULL,
    assumption  BIGINT NOT NULL,              -- 1: Amazon does not document this
    page_title  TEXT NOT NULL,
    page_url    TEXT NOT NULL
);
CREATE INDEX alexa_findings_flow ON alexa_findings (flow_id, seq);
