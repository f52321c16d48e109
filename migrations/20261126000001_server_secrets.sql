-- Secrets of the server that are not signing keys, generated on the first
-- start and shared by every instance on the database: `csrf_hmac` signs the
-- anonymous CSRF cookie of the login form (no session row before login).
CREATE TABLE server_secrets (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
